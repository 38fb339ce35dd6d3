package activities

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

func TestRolloutOutcome(t *testing.T) {
	for _, tc := range []struct{ before, after, want string }{
		{core.StateRunning, core.StateRunning, ""},
		{core.StateRunning, core.StateFailing, ""},
		{core.StateRunning, core.StateSucceeding, telemetry.DeployRolledOut},
		{core.StateFailing, core.StateSucceeding, telemetry.DeployRolledOut},
		{core.StateRunning, core.StateSucceeded, telemetry.DeployRolledOut},
		{core.StateRunning, core.StateAborted, telemetry.DeployAborted},
		{core.StateFailing, core.StateAborted, telemetry.DeployAborted},
		// Already ended: a SUCCEEDING deploy superseded later, or a retried activity.
		{core.StateSucceeding, core.StateSucceeded, ""},
		{core.StateSucceeding, core.StateSucceeding, ""},
		{core.StateSucceeding, core.StateAborted, ""},
		{core.StateAborted, core.StateAborted, ""},
	} {
		if got := rolloutOutcome(tc.before, tc.after); got != tc.want {
			t.Errorf("rolloutOutcome(%s, %s) = %q, want %q", tc.before, tc.after, got, tc.want)
		}
	}
}
