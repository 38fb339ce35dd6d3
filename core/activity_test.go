package core_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestActivityOf(t *testing.T) {
	tests := []struct {
		state            string
		paused, deployed bool
		want             core.StageActivity
	}{
		{"", false, false, core.ActivityIdle},
		{core.StateRunning, false, true, core.ActivityDeploying},
		{core.StateRunning, true, true, core.ActivityPaused},
		{core.StateSucceeding, false, true, core.ActivitySucceeded},
		{core.StateSucceeding, true, true, core.ActivitySucceeded},
		{core.StateSucceeded, false, true, core.ActivitySucceeded},
		{core.StateFailing, false, true, core.ActivityFailing},
		{core.StateFailing, true, true, core.ActivityFailing},
		{core.StateAborted, false, true, core.ActivityAborted},
	}
	for _, tt := range tests {
		if got := core.ActivityOf(tt.state, tt.paused, tt.deployed); got != tt.want {
			t.Errorf("ActivityOf(%q, paused %v, deployed %v) = %s, want %s", tt.state, tt.paused, tt.deployed, got, tt.want)
		}
	}
}
