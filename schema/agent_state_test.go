package schema_test

import (
	"context"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// agentOf returns host's agent row in env/stage, nil when it has none.
func agentOf(t *testing.T, st *schema.Store, host string) *schema.Agent {
	t.Helper()
	hosts, err := st.ListStageHosts(context.Background(), "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if h.HostName == host {
			return h.Agent
		}
	}
	t.Fatalf("host %s not in hello/prod", host)
	return nil
}

func TestOperatorSetsAgentStates(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		stage := newStage(t, st, "hello", "prod")
		if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"h-1", "h-2"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		failed := schema.Agent{HostID: "h-1", StageID: stage.ID, HostName: "h-1", DeployID: "d1", DeployStage: "DOWNLOADING",
			Status: "TOO_MANY_RETRY", State: core.AgentPausedBySystem, FailCount: 3, ErrorCode: 1}
		if err := st.RecordPing(ctx, schema.PingHost{ID: "h-1"}, func(core.PingState) (core.PingWrites, error) {
			return core.PingWrites{Agents: []schema.Agent{failed}}, nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordPing(ctx, schema.PingHost{ID: "h-2"}, func(core.PingState) (core.PingWrites, error) { return core.PingWrites{}, nil }); err != nil {
			t.Fatal(err)
		}

		// Retry: RESET, fail count cleared, everything else kept.
		ag, err := st.SetAgentState(ctx, stage.ID, "h-1", core.AgentReset)
		if err != nil {
			t.Fatal(err)
		}
		if got := agentOf(t, st, "h-1"); got == nil || got.State != core.AgentReset || got.FailCount != 0 || got.DeployID != "d1" || got.DeployStage != "DOWNLOADING" || ag.State != core.AgentReset {
			t.Fatalf("after retry: %+v", got)
		}
		// Pause and resume a host with a row.
		if _, err := st.SetAgentState(ctx, stage.ID, "h-1", core.AgentPausedByUser); err != nil {
			t.Fatal(err)
		}
		if got := agentOf(t, st, "h-1"); got.State != core.AgentPausedByUser {
			t.Fatalf("after pause: %+v", got)
		}
		if _, err := st.SetAgentState(ctx, stage.ID, "h-1", core.AgentPausedByUser); err != nil {
			t.Fatalf("a second pause must be harmless: %v", err)
		}
		if _, err := st.SetAgentState(ctx, stage.ID, "h-1", core.AgentNormal); err != nil {
			t.Fatal(err)
		}
		if got := agentOf(t, st, "h-1"); got.State != core.AgentNormal {
			t.Fatalf("after resume: %+v", got)
		}
		mustCode(t, ignore(st.SetAgentState(ctx, stage.ID, "h-1", core.AgentNormal)), core.ECONFLICT)

		// A host without a row can be excluded (a new row holds it) but not retried or resumed.
		mustCode(t, ignore(st.SetAgentState(ctx, stage.ID, "h-2", core.AgentReset)), core.ECONFLICT)
		mustCode(t, ignore(st.SetAgentState(ctx, stage.ID, "h-2", core.AgentNormal)), core.ECONFLICT)
		if _, err := st.SetAgentState(ctx, stage.ID, "h-2", core.AgentPausedByUser); err != nil {
			t.Fatal(err)
		}
		if got := agentOf(t, st, "h-2"); got == nil || got.State != core.AgentPausedByUser || !got.FirstDeploy || got.DeployID != "" {
			t.Fatalf("excluded new host: %+v", got)
		}
		mustCode(t, ignore(st.SetAgentState(ctx, stage.ID, "nobody", core.AgentPausedByUser)), core.ENOTFOUND)
		// h-2 is held out but never deployed: no service to stop.
		mustCode(t, ignore(st.SetAgentState(ctx, stage.ID, "h-2", core.AgentStop)), core.ECONFLICT)
		mustCode(t, ignore(st.SetAgentState(ctx, stage.ID, "h-2", core.AgentDelete)), core.EINVALID)
	})
}

func TestDeployPauseAndWaveCounts(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		stage := newStage(t, st, "hello", "prod")
		d := &schema.Deploy{ID: "d1", StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular}
		if err := st.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := st.SetDeployWaveCounts(ctx, "d1", schema.DeployCounts{Total: 10, Succeeded: 3, Failed: 1, InFlight: 2, Remaining: 4}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetDeployPaused(ctx, "d1", true, "paused by bob"); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetDeploy(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Paused || got.StateReason != "paused by bob" || got.Total != 10 || got.InFlight != 2 || got.Remaining != 4 || got.Succeeded != 3 || got.Failed != 1 {
			t.Fatalf("deploy = %+v", got)
		}
		if _, err := st.SetDeployState(ctx, "d1", core.StateAborted, "aborted by bob"); err != nil {
			t.Fatal(err)
		}
		// A final deploy keeps what it ended with.
		if err := st.SetDeployPaused(ctx, "d1", false, "resumed by bob"); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.GetDeploy(ctx, "d1"); !got.Paused || got.StateReason != "aborted by bob" {
			t.Fatalf("final deploy changed: %+v", got)
		}
		mustCode(t, st.SetDeployPaused(ctx, "nope", true, ""), core.ENOTFOUND)
	})
}

func TestAgentTransitions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from     *schema.Agent
		to       string
		want     string // state after, "" when nothing changes
		insert   bool
		conflict bool
	}{
		{"exclude a new host", nil, core.AgentPausedByUser, core.AgentPausedByUser, true, false},
		{"resume a new host", nil, core.AgentNormal, "", false, true},
		{"retry a new host", nil, core.AgentReset, "", false, true},
		{"pause", &schema.Agent{State: core.AgentNormal}, core.AgentPausedByUser, core.AgentPausedByUser, false, false},
		{"pause twice", &schema.Agent{State: core.AgentPausedByUser}, core.AgentPausedByUser, "", false, false},
		{"resume", &schema.Agent{State: core.AgentPausedByUser}, core.AgentNormal, core.AgentNormal, false, false},
		{"resume a failed host", &schema.Agent{State: core.AgentPausedBySystem}, core.AgentNormal, "", false, true},
		{"retry a failed host", &schema.Agent{State: core.AgentPausedBySystem, FailCount: 3}, core.AgentReset, core.AgentReset, false, false},
		{"retry a paused host", &schema.Agent{State: core.AgentPausedByUser}, core.AgentReset, core.AgentReset, false, false},
		{"stop a new host", nil, core.AgentStop, "", false, true},
		{"stop", &schema.Agent{State: core.AgentNormal, DeployID: "d1"}, core.AgentStop, core.AgentStop, false, false},
		{"stop a host that never deployed", &schema.Agent{State: core.AgentPausedByUser}, core.AgentStop, "", false, true},
		{"stop twice", &schema.Agent{State: core.AgentStop}, core.AgentStop, "", false, false},
		{"resume a stopped host", &schema.Agent{State: core.AgentStop}, core.AgentNormal, core.AgentNormal, false, false},
	} {
		next, insert, err := schema.AgentTransition(tc.from, tc.to)
		if tc.conflict != (core.ErrorCode(err) == core.ECONFLICT) {
			t.Errorf("%s: error %v", tc.name, err)
			continue
		}
		got := ""
		if next != nil {
			got = next.State
			if next.FailCount != 0 && tc.to == core.AgentReset {
				t.Errorf("%s: retry keeps the fail count %d", tc.name, next.FailCount)
			}
		}
		if got != tc.want || insert != tc.insert {
			t.Errorf("%s: state %q insert %v, want %q %v", tc.name, got, insert, tc.want, tc.insert)
		}
	}
}

func ignore(_ *schema.Agent, err error) error { return err }

// TestAgentTransitionAgreesWithHostActionsFor: every action core.HostActionsFor offers is
// one the store accepts, and Pause is refused where it is not offered.
func TestAgentTransitionAgreesWithHostActionsFor(t *testing.T) {
	row := func(stage, status, state string) *schema.Agent {
		return &schema.Agent{DeployID: "d1", DeployStage: stage, Status: status, State: state}
	}
	for _, ag := range []*schema.Agent{
		nil,
		row("SERVING_BUILD", "SUCCEEDED", core.AgentNormal),
		row("DOWNLOADING", "UNKNOWN", core.AgentNormal),
		row("RESTARTING", "SCRIPT_FAILED", core.AgentPausedBySystem),
		row("DOWNLOADING", "UNKNOWN", core.AgentPausedByUser),
		row("DOWNLOADING", "UNKNOWN", core.AgentPausedInDeploy),
		row("DOWNLOADING", "UNKNOWN", core.AgentReset),
	} {
		offered := map[string]bool{}
		for _, a := range core.HostActionsFor(ag, core.PhaseOf(ag, &time.Time{}, "d1", time.Time{})) {
			offered[a] = true
			if _, _, err := schema.AgentTransition(ag, core.HostActionState[a]); err != nil {
				t.Errorf("%+v: offered %s is refused: %v", ag, a, err)
			}
		}
		if next, _, err := schema.AgentTransition(ag, core.AgentPausedInDeploy); !offered[core.HostPause] && err == nil && next != nil {
			t.Errorf("%+v: pause is not offered but changes the host", ag)
		}
	}
}
