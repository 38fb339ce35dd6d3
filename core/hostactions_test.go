package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestHostActionsFor(t *testing.T) {
	now := time.Now()
	pinged := now.Add(-time.Second)
	silent := now.Add(-time.Hour)
	row := func(deploy, stage, status, state string) *core.Agent {
		return &core.Agent{DeployID: deploy, DeployStage: stage, Status: status, State: state}
	}
	for _, tc := range []struct {
		name  string
		agent *core.Agent
		ping  *time.Time
		want  string
	}{
		{"never seen", nil, nil, ""},
		{"no row yet", nil, &pinged, "exclude"},
		{"serving", row("d1", protocol.StageServingBuild, protocol.StatusSucceeded, core.AgentNormal), &pinged, "pause,exclude,stop"},
		{"deploying", row("d1", protocol.StageDownloading, protocol.StatusUnknown, core.AgentNormal), &pinged, "retry,pause,exclude,stop"},
		{"failed", row("d1", protocol.StageRestarting, protocol.StatusScriptFailed, core.AgentPausedBySystem), &pinged, "retry,exclude,stop"},
		{"excluded", row("d1", protocol.StageServingBuild, protocol.StatusSucceeded, core.AgentPausedByUser), &pinged, "resume,pause"},
		{"paused", row("d1", protocol.StageDownloading, protocol.StatusUnknown, core.AgentPausedInDeploy), &pinged, "resume,exclude"},
		{"on another build", row("d0", protocol.StageServingBuild, protocol.StatusSucceeded, core.AgentNormal), &pinged, "pause,exclude,stop"},
		{"unreachable", row("d1", protocol.StageServingBuild, protocol.StatusSucceeded, core.AgentNormal), &silent, "pause,exclude,stop"},
		{"stopped", row("d1", protocol.StageServingBuild, protocol.StatusSucceeded, core.AgentStop), &pinged, "resume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := core.PhaseOf(tc.agent, tc.ping, "d1", now)
			if got := strings.Join(core.HostActionsFor(tc.agent, p), ","); got != tc.want {
				t.Errorf("%s (phase %s): %q, want %q", tc.name, p, got, tc.want)
			}
			for _, a := range core.HostActionsFor(tc.agent, p) {
				if core.HostActionState[a] == "" {
					t.Errorf("action %s sets no state", a)
				}
			}
		})
	}
	// A paused host is painted paused; an excluded one excluded.
	if p := core.PhaseOf(row("d1", protocol.StageDownloading, protocol.StatusUnknown, core.AgentPausedInDeploy), &pinged, "d1", now); p != core.PhasePaused {
		t.Errorf("paused host phase %s", p)
	}
}

// TestPausedHostStaysInTheDeploy: a paused host counts as in flight (the deploy waits for
// it, and it turns stuck), an excluded one only in the total.
func TestPausedHostStaysInTheDeploy(t *testing.T) {
	now := time.Now()
	start := now.Add(-time.Hour)
	host := func(name, state string) core.StageHost {
		return core.StageHost{HostName: name, HostID: name, LastPingAt: &now, MemberBy: "host",
			Agent: &core.Agent{HostID: name, DeployID: "d1", DeployStage: protocol.StageDownloading, Status: protocol.StatusUnknown, State: state, StageStartedAt: start}}
	}
	tally := core.TallyDeploy([]core.StageHost{host("a", core.AgentPausedInDeploy), host("b", core.AgentPausedByUser)}, "d1", "", start, nil, now, 10*time.Minute)
	if c := tally.Counts; c.Total != 2 || c.InFlight != 1 || c.Stuck != 1 || c.Succeeded+c.Failed+c.Remaining != 0 {
		t.Errorf("counts %+v, want the paused host in flight and stuck, the excluded one only in the total", c)
	}
}

func TestIsStaleError(t *testing.T) {
	at := time.Now()
	e := &core.AgentError{ErrorMessage: "exit 1", UpdatedAt: at}
	serving := &core.Agent{DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded, UpdatedAt: at.Add(time.Minute)}
	failing := &core.Agent{DeployStage: protocol.StageRestarting, Status: protocol.StatusScriptFailed, UpdatedAt: at}
	earlier := &core.Agent{DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded, UpdatedAt: at.Add(-time.Minute)}
	for _, tc := range []struct {
		name  string
		agent *core.Agent
		e     *core.AgentError
		want  bool
	}{
		{"serving since the error", serving, e, true},
		{"still failing", failing, e, false},
		{"serving reported before the error", earlier, e, false},
		{"no error", serving, nil, false},
		{"no agent", nil, e, false},
	} {
		if got := core.IsStaleError(tc.agent, tc.e); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBranchWarning(t *testing.T) {
	for _, tc := range []struct{ stage, build, want string }{
		{"main", "main", ""},
		{"main", "", ""},
		{"", "feature/x", ""},
		{"main", "feature/x", "build is from branch feature/x, but the stage deploys main"},
	} {
		if got := core.BranchWarning(tc.stage, tc.build); got != tc.want {
			t.Errorf("BranchWarning(%q, %q) = %q, want %q", tc.stage, tc.build, got, tc.want)
		}
	}
}
