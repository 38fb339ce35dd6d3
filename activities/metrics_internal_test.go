package activities

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

func TestRolloutOutcome(t *testing.T) {
	for _, tc := range []struct {
		before    string
		rolledOut bool
		after     string
		want      string
	}{
		{core.StateRunning, false, core.StateRunning, ""},
		{core.StateRunning, false, core.StateFailing, ""},
		{core.StateRunning, false, core.StateSucceeding, telemetry.DeployRolledOut},
		{core.StateFailing, false, core.StateSucceeding, telemetry.DeployRolledOut},
		{core.StateRunning, false, core.StateSucceeded, telemetry.DeployRolledOut},
		{core.StateRunning, false, core.StateAborted, telemetry.DeployAborted},
		{core.StateFailing, false, core.StateAborted, telemetry.DeployAborted},
		// Already ended: a SUCCEEDING deploy superseded later, or a retried activity.
		{core.StateSucceeding, true, core.StateSucceeded, ""},
		{core.StateSucceeding, true, core.StateSucceeding, ""},
		{core.StateAborted, false, core.StateAborted, ""},
		{core.StateSucceeded, true, core.StateAborted, ""},
		// Rolled out, then FAILING while watched, then SUCCEEDING again: counted the first time only.
		{core.StateFailing, true, core.StateSucceeding, ""},
		{core.StateFailing, true, core.StateAborted, ""},
	} {
		if got := rolloutOutcome(tc.before, tc.rolledOut, tc.after); got != tc.want {
			t.Errorf("rolloutOutcome(%s, %v, %s) = %q, want %q", tc.before, tc.rolledOut, tc.after, got, tc.want)
		}
	}
}

func TestQualificationOutcome(t *testing.T) {
	for _, tc := range []struct{ before, after, want string }{
		{core.AcceptancePendingDeploy, core.AcceptancePendingAccept, ""},
		{core.AcceptancePendingAccept, core.AcceptanceAccepted, telemetry.QualificationAccepted},
		{core.AcceptanceOutstanding, core.AcceptanceRejected, telemetry.QualificationRejected},
		{core.AcceptancePendingAccept, core.AcceptanceSuperseded, telemetry.QualificationSuperseded},
		// A retried activity finds the verdict already recorded.
		{core.AcceptanceAccepted, core.AcceptanceAccepted, ""},
		{core.AcceptanceRejected, core.AcceptanceRejected, ""},
		{core.AcceptanceTerminated, core.AcceptanceTerminated, ""},
	} {
		if got := qualificationOutcome(tc.before, tc.after); got != tc.want {
			t.Errorf("qualificationOutcome(%s, %s) = %q, want %q", tc.before, tc.after, got, tc.want)
		}
	}
}
