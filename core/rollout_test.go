package core_test

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestWindowSize(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		total, maxParallel, pct int
		want                    int
	}{
		{"count only", 10, 3, 0, 3},
		{"percent only floors", 10, 0, 25, 2},
		{"both take the smaller count", 10, 3, 50, 3},
		{"both take the smaller percent", 10, 8, 50, 5},
		{"percent floors to zero: at least one", 3, 0, 10, 1},
		{"count above total: all hosts", 4, 10, 0, 4},
		{"full percent", 7, 0, 100, 7},
		{"neither set: all hosts", 6, 0, 0, 6},
		{"no hosts", 0, 3, 50, 0},
		{"one host", 1, 5, 1, 1},
	} {
		if got := core.WindowSize(tc.total, tc.maxParallel, tc.pct); got != tc.want {
			t.Errorf("%s: core.WindowSize(%d, %d, %d) = %d, want %d", tc.name, tc.total, tc.maxParallel, tc.pct, got, tc.want)
		}
	}
}

func TestThresholds(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		succeeded, failed, total, th int
		succeeding, failing          bool
	}{
		{"all serving at 100%", 10, 0, 10, 100, true, false},
		{"one short at 100%", 9, 0, 10, 100, false, false},
		{"one failure fails 100%", 0, 1, 10, 100, false, true},
		{"90% reached exactly", 9, 1, 10, 90, true, false},
		{"one failure tolerated at 90%", 3, 1, 10, 90, false, false},
		{"two failures exceed 90%", 3, 2, 10, 90, false, true},
		{"threshold 0 succeeds at once", 0, 0, 10, 0, true, false},
		{"threshold 0 never fails", 0, 10, 10, 0, true, false},
		{"rounding: 2 of 3 meet 66%", 2, 1, 3, 66, true, false},
		{"rounding: 2 of 3 miss 67%", 2, 0, 3, 67, false, false},
		{"rounding: 1 of 3 failed breaks 67%", 0, 1, 3, 67, false, true},
		{"no hosts neither", 0, 0, 0, 100, false, false},
	} {
		if got := core.IsSucceeding(tc.succeeded, tc.total, tc.th); got != tc.succeeding {
			t.Errorf("%s: core.IsSucceeding(%d, %d, %d) = %v", tc.name, tc.succeeded, tc.total, tc.th, got)
		}
		if got := core.IsFailing(tc.failed, tc.total, tc.th); got != tc.failing {
			t.Errorf("%s: core.IsFailing(%d, %d, %d) = %v", tc.name, tc.failed, tc.total, tc.th, got)
		}
	}
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    core.WaveCounts
		th   int
		want string
	}{
		{"rolling", core.WaveCounts{Total: 10, Succeeded: 3, InFlight: 3, Remaining: 4}, 100, core.StateRunning},
		{"done", core.WaveCounts{Total: 10, Succeeded: 10}, 100, core.StateSucceeding},
		{"success is checked before failure", core.WaveCounts{Total: 10, Succeeded: 9, Failed: 1}, 90, core.StateSucceeding},
		{"fatal host", core.WaveCounts{Total: 10, Succeeded: 3, Failed: 1, Remaining: 6}, 100, core.StateFailing},
		{"stuck host counts as failed", core.WaveCounts{Total: 10, Succeeded: 3, InFlight: 1, Stuck: 1, Remaining: 6}, 100, core.StateFailing},
		{"stuck under the threshold", core.WaveCounts{Total: 10, Succeeded: 3, InFlight: 1, Stuck: 1, Remaining: 6}, 90, core.StateRunning},
		{"no hosts", core.WaveCounts{}, 100, core.StateFailing},
		{"nothing left but paused hosts", core.WaveCounts{Total: 10, Succeeded: 8}, 100, core.StateFailing},
	} {
		if got := core.Verdict(tc.c, tc.th); got != tc.want {
			t.Errorf("%s: core.Verdict(%+v, %d) = %s, want %s", tc.name, tc.c, tc.th, got, tc.want)
		}
	}
}

func TestWaveNeedsDecision(t *testing.T) {
	for _, tc := range []struct {
		name   string
		c      core.WaveCounts
		window int
		drain  bool
		want   bool
	}{
		{"window full", core.WaveCounts{Total: 10, Succeeded: 2, InFlight: 3, Remaining: 5}, 3, false, false},
		{"a slot is free", core.WaveCounts{Total: 10, Succeeded: 3, InFlight: 2, Remaining: 5}, 3, false, true},
		{"draining waits for the whole wave", core.WaveCounts{Total: 10, Succeeded: 3, InFlight: 2, Remaining: 5}, 3, true, false},
		{"drained", core.WaveCounts{Total: 10, Succeeded: 5, Remaining: 5}, 3, true, true},
		{"last hosts still in flight", core.WaveCounts{Total: 10, Succeeded: 8, InFlight: 2}, 3, false, false},
		{"a failure decides", core.WaveCounts{Total: 10, Succeeded: 2, Failed: 1, InFlight: 2, Remaining: 5}, 3, false, true},
		{"nine of ten at 100% waits for the tenth", core.WaveCounts{Total: 10, Succeeded: 9, InFlight: 1}, 3, false, false},
	} {
		if got := core.WaveNeedsDecision(tc.c, tc.window, 100, tc.drain); got != tc.want {
			t.Errorf("%s: core.WaveNeedsDecision = %v, want %v", tc.name, got, tc.want)
		}
	}
	// With a 90% threshold, nine of ten serving is enough: the tenth need not be awaited.
	if !core.WaveNeedsDecision(core.WaveCounts{Total: 10, Succeeded: 9, InFlight: 1}, 3, 90, false) {
		t.Error("SUCCEEDING at 9 of 10 with threshold 90 must stop the wait")
	}
}

func TestAdmitCount(t *testing.T) {
	tests := []struct{ window, inFlight, waiting, want int }{
		{10, 3, 20, 7},
		{10, 12, 20, 0}, // the stage shrank under the window: admit nobody, never a negative count
		{10, 0, 4, 4},
		{1, 0, 0, 0},
		{1, 1, 5, 0},
	}
	for _, tt := range tests {
		if got := core.AdmitCount(tt.window, tt.inFlight, tt.waiting); got != tt.want {
			t.Errorf("AdmitCount(%d, %d, %d) = %d, want %d", tt.window, tt.inFlight, tt.waiting, got, tt.want)
		}
	}
}

func TestRollbackTarget(t *testing.T) {
	d := func(id, build, state string) core.DeployOutcome {
		return core.DeployOutcome{ID: id, BuildID: build, State: state}
	}
	bad := func(o core.DeployOutcome) core.DeployOutcome { o.BuildBad = true; return o }
	accepted := func(o core.DeployOutcome) core.DeployOutcome { o.Acceptance = core.AcceptanceAccepted; return o }
	rb := func(id, build, alias string) core.DeployOutcome {
		return core.DeployOutcome{ID: id, BuildID: build, State: core.StateSucceeded, Type: core.TypeRollback, AliasDeployID: alias}
	}
	ptr := func(o core.DeployOutcome) *core.DeployOutcome { return &o }
	cur := d("d3", "b3", core.StateFailing)
	tests := []struct {
		name    string
		history []core.DeployOutcome
		current *core.DeployOutcome
		want    int
	}{
		{"skips the current deploy, its build and unsuccessful deploys",
			[]core.DeployOutcome{cur, d("d2", "b3", core.StateSucceeded), d("d1", "b1", core.StateAborted), d("d0", "b0", core.StateSucceeded)}, &cur, 3},
		{"newest succeeded wins", []core.DeployOutcome{cur, d("d2", "b2", core.StateSucceeded), d("d1", "b1", core.StateSucceeded)}, &cur, 1},
		{"none succeeded", []core.DeployOutcome{cur, d("d1", "b1", core.StateAborted)}, &cur, -1},
		{"never deployed", nil, nil, -1},
		{"no current: the newest success", []core.DeployOutcome{d("d1", "b1", core.StateSucceeded)}, nil, 0},
		{"a build tagged bad is never the target",
			[]core.DeployOutcome{cur, bad(d("d2", "b2", core.StateSucceeded)), d("d1", "b1", core.StateSucceeded)}, &cur, 2},
		{"acceptance required: an unaccepted success is skipped",
			[]core.DeployOutcome{cur, d("d2", "b2", core.StateSucceeded), accepted(d("d1", "b1", core.StateSucceeded))}, &cur, 2},
		// Regression: b2 set an alarm off and was rolled back to b1 (r1 returned to d1); a
		// second rollback from r1 must not pick b2 because it SUCCEEDED before the alarm.
		{"a deploy rolled back away from is never the target",
			[]core.DeployOutcome{rb("r1", "b1", "d1"), d("d2", "b2", core.StateSucceeded), d("d1", "b1", core.StateSucceeded), d("d0", "b0", core.StateSucceeded)}, ptr(rb("r1", "b1", "d1")), 3},
		{"a rollback to itself condemns nothing",
			[]core.DeployOutcome{cur, rb("r0", "b2", "r0"), d("d1", "b1", core.StateSucceeded)}, &cur, 1},
		{"skips a build tagged BAD", []core.DeployOutcome{cur, {ID: "d2", BuildID: "b2", State: core.StateSucceeded, BuildBad: true}, d("d1", "b1", core.StateSucceeded)}, &cur, 2},
		{"skips a deploy whose acceptance was rejected", []core.DeployOutcome{cur, {ID: "d2", BuildID: "b2", State: core.StateSucceeded, Acceptance: core.AcceptanceRejected}, d("d1", "b1", core.StateSucceeded)}, &cur, 2},
		{"only bad builds: none", []core.DeployOutcome{cur, {ID: "d2", BuildID: "b2", State: core.StateSucceeded, BuildBad: true}}, &cur, -1},
	}
	for _, tt := range tests {
		rule := core.RollbackRule{RequireAccepted: strings.Contains(tt.name, "acceptance required")}
		if got := core.RollbackTarget(tt.history, tt.current, rule); got != tt.want {
			t.Errorf("%s: RollbackTarget = %d, want %d", tt.name, got, tt.want)
		}
	}
}
