package core

import (
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// HostPhase is where one host of a stage stands against the stage's current deploy. Every
// count and colour of a host (the board's grid, its host tables and home counts, the API's
// host lists) is its phase; nothing else classifies hosts for display.
type HostPhase string

// Host phases.
const (
	// PhaseServing is a host serving the current deploy's build.
	PhaseServing HostPhase = "serving"
	// PhaseDeploying is a host on its way to the current deploy's build.
	PhaseDeploying HostPhase = "deploying"
	// PhaseFailed is a host the system paused after a fatal error, or whose last step failed.
	PhaseFailed HostPhase = "failed"
	// PhasePaused is a host a person paused at its step (PAUSED_IN_DEPLOY), or stopped, or
	// that is leaving the stage (STOP, DELETE).
	PhasePaused HostPhase = "paused"
	// PhaseExcluded is a host an operator excluded from deploys (PAUSED_BY_USER).
	PhaseExcluded HostPhase = "excluded"
	// PhaseOtherBuild is a host on another build than the current deploy's, or on none.
	PhaseOtherBuild HostPhase = "other"
	// PhaseUnreachable is a host silent for longer than UnreachableAfter.
	PhaseUnreachable HostPhase = "unreachable"
	// PhaseNeverSeen is a host named in the stage's capacity that never pinged.
	PhaseNeverSeen HostPhase = "never-seen"
)

// HostPhases lists every phase, in the order a summary shows them.
func HostPhases() []HostPhase {
	return []HostPhase{PhaseServing, PhaseDeploying, PhaseFailed, PhasePaused, PhaseExcluded,
		PhaseOtherBuild, PhaseUnreachable, PhaseNeverSeen}
}

// UnreachableAfter is how long a host may stay silent before it is unreachable; agents
// ping every few seconds, so five minutes of silence means the host is gone.
const UnreachableAfter = 5 * time.Minute

// PhaseOf classifies one host of a stage: agent is its row in the stage (nil when it has
// none), lastPingAt its last ping (nil when it never pinged), currentDeployID the stage's
// current deploy ("" when never deployed). Silence wins, because nothing else the row says
// can be trusted once the host stopped talking; then an operator's hold, then a failure,
// then the build it runs.
//
// Examples: never pinged → never-seen; pinged 6 minutes ago → unreachable; PAUSED_BY_USER
// → excluded; SCRIPT_FAILED on any deploy → failed; SERVING_BUILD/SUCCEEDED on the current
// deploy → serving; DOWNLOADING on it → deploying; on an older deploy → other.
func PhaseOf(agent *Agent, lastPingAt *time.Time, currentDeployID string, now time.Time) HostPhase {
	switch {
	case lastPingAt == nil:
		return PhaseNeverSeen
	case now.Sub(*lastPingAt) > UnreachableAfter:
		return PhaseUnreachable
	case agent == nil:
		return PhaseOtherBuild
	}
	switch agent.State {
	case AgentPausedByUser:
		return PhaseExcluded
	case AgentPausedInDeploy, AgentStop, AgentDelete:
		return PhasePaused
	case AgentPausedBySystem:
		return PhaseFailed
	}
	if agent.Status != "" && agent.Status != protocol.StatusSucceeded && agent.Status != protocol.StatusUnknown {
		return PhaseFailed
	}
	if currentDeployID == "" || agent.DeployID != currentDeployID {
		return PhaseOtherBuild
	}
	if agent.DeployStage == protocol.StageServingBuild && agent.Status == protocol.StatusSucceeded {
		return PhaseServing
	}
	return PhaseDeploying
}

// IsHeldByOperator reports whether an operator keeps the host out of deploys (excluded or
// stopped): the ping gives it no goal and a deploy counts it only in its total.
func IsHeldByOperator(agent *Agent) bool {
	return agent != nil && (agent.State == AgentPausedByUser || agent.State == AgentStop)
}
