package core

// Host actions: what a person can do to one host of a stage (POST
// .../hosts/{host}/actions/{action}).
const (
	// HostRetry starts the stage's current deploy over on the host (RESET).
	HostRetry = "retry"
	// HostExclude takes the host out of the stage's deploys (PAUSED_BY_USER, Teletraan's
	// "pause host"): it keeps its build and deploys count it only in their total.
	HostExclude = "exclude"
	// HostPause holds the host at its current step (PAUSED_IN_DEPLOY): the deploy still
	// counts it as in flight and waits for it.
	HostPause = "pause"
	// HostResume lets an excluded, paused or stopped host take part in deploys again (NORMAL).
	HostResume = "resume"
	// HostStop makes the host's agent run the build's STOPPING script and rest at STOPPED
	// (STOP), as before the machine is terminated; the deploy counts it as held.
	HostStop = "stop"
)

// HostActionState is the agent state each host action sets.
var HostActionState = map[string]string{
	HostRetry:   AgentReset,
	HostExclude: AgentPausedByUser,
	HostPause:   AgentPausedInDeploy,
	HostResume:  AgentNormal,
	HostStop:    AgentStop,
}

// HostActionsFor lists the actions that change something for a host in phase p whose
// agent row in the stage is agent (nil: it has not deployed there), in the order the board
// offers them. The store refuses the others (schema.AgentTransition).
//
// Examples: never seen → none (it has no id yet); excluded → resume, pause; paused →
// resume, exclude (a person can switch between the two holds); failed → retry, exclude; deploying → retry, pause, exclude; serving, on another
// build or unreachable → pause, exclude; and stop for any host that deployed in the stage;
// no row yet → exclude; stopped → resume; leaving → none.
func HostActionsFor(agent *Agent, p HostPhase) []string {
	switch {
	case p == PhaseNeverSeen:
		return nil
	case agent == nil:
		return []string{HostExclude}
	}
	switch agent.State {
	case AgentPausedByUser:
		return []string{HostResume, HostPause}
	case AgentPausedInDeploy:
		return []string{HostResume, HostExclude}
	case AgentStop:
		return []string{HostResume}
	case AgentDelete:
		return nil
	}
	var out []string
	switch p {
	case PhaseFailed:
		out = []string{HostRetry, HostExclude}
	case PhaseDeploying:
		out = []string{HostRetry, HostPause, HostExclude}
	default:
		out = []string{HostPause, HostExclude}
	}
	if agent.DeployID != "" {
		out = append(out, HostStop)
	}
	return out
}
