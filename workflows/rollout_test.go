package workflows_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

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
