package activities_test

import (
	"context"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// TestHostActionsChangeTheDeploysCounts checks that the rollout counts follow an
// operator's per-host actions: a retried host is in flight again, not failed; an excluded
// host is held and never admitted; a resumed host waits for its admission again.
func TestHostActionsChangeTheDeploysCounts(t *testing.T) {
	f := newRolloutFixture(t)
	ctx := context.Background()
	if _, err := f.st.SetAgentState(ctx, f.stage.ID, "h-b", core.AgentReset); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetAgentState(ctx, f.stage.ID, "h-c", core.AgentPausedByUser); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetAgentState(ctx, f.stage.ID, "h-i", core.AgentNormal); err != nil {
		t.Fatal(err)
	}
	// Before: 1 succeeded, 1 failed (h-b), 3 in flight (h-f, h-g, h-h stuck), 3 waiting
	// (h-c, h-d, h-e), 1 held (h-i). h-b moves to in flight (its stuck timer restarted),
	// h-c to held, h-i to waiting.
	res := f.admit(t, waveInput(5, 100))
	want := activities.AdmitWaveResult{Admitted: 1, Counts: core.WaveCounts{Total: 9, Succeeded: 1, Failed: 0, InFlight: 5, Remaining: 2, Stuck: 1}}
	if res != want {
		t.Fatalf("wave = %+v\nwant   %+v", res, want)
	}
	if got := f.admitted(t); len(got) != 1 || got[0] != "h-d" {
		t.Fatalf("admitted = %v, want [h-d]: the excluded h-c is skipped", got)
	}
}
