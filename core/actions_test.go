package core_test

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestStateRefusal(t *testing.T) {
	for _, tc := range []struct {
		action, state, want string
	}{
		{core.ActionPause, core.StateRunning, ""},
		{core.ActionAbort, core.StateRunning, ""},
		{core.ActionResume, core.StateRunning, ""},
		{core.ActionPause, core.StateFailing, ""},
		{core.ActionAbort, core.StateFailing, ""},
		{core.ActionResume, core.StateFailing, ""},
		{core.ActionPause, core.StateSucceeding, "nothing to pause"},
		{core.ActionAbort, core.StateSucceeding, "roll back"},
		{core.ActionResume, core.StateSucceeding, ""},
		{core.ActionAbort, "", ""},
	} {
		got := core.StateRefusal(tc.action, "d1", tc.state)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("StateRefusal(%s, %s) = %q, want %q", tc.action, tc.state, got, tc.want)
		}
	}
}

func TestWatchNeedsDecision(t *testing.T) {
	for _, tc := range []struct {
		name     string
		c        core.WaveCounts
		untilNot string
		want     bool
	}{
		{"succeeding, counts only", core.WaveCounts{Total: 4, Succeeded: 4}, "", false},
		{"succeeding deploy whose host failed later, counts only", core.WaveCounts{Total: 4, Succeeded: 2, Failed: 2}, "", false},
		{"still failing", core.WaveCounts{Total: 4, Succeeded: 2, Failed: 2}, core.StateFailing, false},
		{"failed hosts retried", core.WaveCounts{Total: 4, Succeeded: 2, Remaining: 2}, core.StateFailing, true},
		{"retried hosts in flight", core.WaveCounts{Total: 4, Succeeded: 2, Failed: 0, InFlight: 2}, core.StateFailing, true},
		{"retried hosts succeeded", core.WaveCounts{Total: 4, Succeeded: 4}, core.StateFailing, true},
	} {
		if got := core.WatchNeedsDecision(tc.c, 100, tc.untilNot); got != tc.want {
			t.Errorf("%s: WatchNeedsDecision(%+v, %q) = %v, want %v", tc.name, tc.c, tc.untilNot, got, tc.want)
		}
	}
}
