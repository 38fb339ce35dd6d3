package core_test

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// TestDecideGoalStopsWorkNoLongerWanted: a host working on an aborted deploy, or held out
// by an operator, gets NOOP with an explicit StopWork (Teletraan's agent stops on the NOOP
// alone); an aborted deploy starts nowhere; hosts done with it, and a host that already
// reported the stop, get a plain NOOP.
func TestDecideGoalStopsWorkNoLongerWanted(t *testing.T) {
	aborted := func(ps *core.PingStage) { ps.Deploy.State = core.StateAborted }
	restarting := report("stg-web", "d2", protocol.StageRestarting, protocol.StatusUnknown)
	for _, tc := range []struct {
		name     string
		ps       core.PingStage
		rep      *protocol.PingReport
		wantStop string // reason substring; "" wants no StopWork
	}{
		{"aborted mid-stage", goalStage(aborted, withAgent("d2", protocol.StageRestarting, protocol.StatusUnknown, core.AgentNormal, false)),
			&restarting, "deploy d2 was aborted"},
		{"aborted, retrying a failed stage", goalStage(aborted, withAgent("d2", protocol.StageRestarting, protocol.StatusScriptFailed, core.AgentNormal, false)),
			ptr(report("stg-web", "d2", protocol.StageRestarting, protocol.StatusScriptFailed)), "was aborted"},
		{"aborted, already stopped", goalStage(aborted, withAgent("d2", protocol.StageRestarting, protocol.StatusAbortedByService, core.AgentNormal, false)),
			ptr(report("stg-web", "d2", protocol.StageRestarting, protocol.StatusAbortedByService)), ""},
		{"aborted, host done", goalStage(aborted, withAgent("d2", protocol.StageServingBuild, protocol.StatusSucceeded, core.AgentNormal, false)),
			ptr(report("stg-web", "d2", protocol.StageServingBuild, protocol.StatusSucceeded)), ""},
		{"aborted, new host", goalStage(aborted), nil, ""},
		{"aborted, host on the previous deploy", goalStage(aborted, withAgent("d1", protocol.StageServingBuild, protocol.StatusSucceeded, core.AgentNormal, false)),
			ptr(report("stg-web", "d1", protocol.StageServingBuild, protocol.StatusSucceeded)), ""},
		{"paused by an operator mid-stage", goalStage(withAgent("d2", protocol.StageRestarting, protocol.StatusUnknown, core.AgentPausedByUser, false)),
			&restarting, "PAUSED_BY_USER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reps []protocol.PingReport
			if tc.rep != nil {
				reps = append(reps, *tc.rep)
			}
			d := core.DecideGoal(core.GoalInput{HostID: "i-1", HostName: "host-1", Reports: reps,
				State: core.PingState{Stages: []core.PingStage{tc.ps}, Now: goalNow}})
			if d.Response.OpCode != protocol.OpNoop || d.Response.DeployGoal != nil {
				t.Fatalf("response = %+v, want NOOP without a goal", d.Response)
			}
			stop := d.Response.StopWork
			switch {
			case tc.wantStop == "" && stop != nil:
				t.Fatalf("StopWork = %+v, want none", stop)
			case tc.wantStop != "" && (stop == nil || stop.EnvID != "stg-web" || stop.DeployID != tc.rep.DeployID ||
				!strings.Contains(stop.Reason, tc.wantStop)):
				t.Fatalf("StopWork = %+v, want one for stg-web/%s mentioning %q", stop, tc.rep.DeployID, tc.wantStop)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
