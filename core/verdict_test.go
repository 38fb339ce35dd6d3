package core_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

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
			t.Errorf("%s: IsSucceeding(%d, %d, %d) = %v", tc.name, tc.succeeded, tc.total, tc.th, got)
		}
		if got := core.IsFailing(tc.failed, tc.total, tc.th); got != tc.failing {
			t.Errorf("%s: IsFailing(%d, %d, %d) = %v", tc.name, tc.failed, tc.total, tc.th, got)
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
			t.Errorf("%s: Verdict(%+v, %d) = %s, want %s", tc.name, tc.c, tc.th, got, tc.want)
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
			t.Errorf("%s: WaveNeedsDecision = %v, want %v", tc.name, got, tc.want)
		}
	}
	// With a 90% threshold, nine of ten serving is enough: the tenth need not be awaited.
	if !core.WaveNeedsDecision(core.WaveCounts{Total: 10, Succeeded: 9, InFlight: 1}, 3, 90, false) {
		t.Error("SUCCEEDING at 9 of 10 with threshold 90 must stop the wait")
	}
}
