package workflows_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
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
		if got := workflows.WindowSize(tc.total, tc.maxParallel, tc.pct); got != tc.want {
			t.Errorf("%s: WindowSize(%d, %d, %d) = %d, want %d", tc.name, tc.total, tc.maxParallel, tc.pct, got, tc.want)
		}
	}
}

func TestFinalState(t *testing.T) {
	superseded := workflows.AbortRequest{Reason: workflows.SupersededReasonPrefix + "d2"}
	byBob := workflows.AbortRequest{Reason: "bad build", Operator: "bob"}
	for _, tc := range []struct {
		state string
		req   workflows.AbortRequest
		want  string
	}{
		{core.StateSucceeding, superseded, core.StateSucceeded},
		{core.StateSucceeding, byBob, core.StateAborted},
		{core.StateRunning, superseded, core.StateAborted},
		{core.StateFailing, superseded, core.StateAborted},
		{core.StateFailing, byBob, core.StateAborted},
	} {
		if got := workflows.FinalState(tc.state, tc.req); got != tc.want {
			t.Errorf("FinalState(%s, %q) = %s, want %s", tc.state, tc.req.Reason, got, tc.want)
		}
	}
}
