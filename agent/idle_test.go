package agent

import (
	"testing"
	"time"
)

func TestIdleSleepNeeded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		worked   bool
		took     time.Duration
		longPoll time.Duration
		want     bool
	}{
		{"after carrying out goals ping again at once", true, time.Second, 25 * time.Second, false},
		{"after goals even without long-poll", true, time.Second, 0, false},
		{"a held ping already paced us", false, 25 * time.Second, 25 * time.Second, false},
		{"a server ignoring ?wait answered at once", false, 50 * time.Millisecond, 25 * time.Second, true},
		{"long-poll disabled: plain interval", false, time.Second, 0, true},
	} {
		if got := idleSleepNeeded(tc.worked, tc.took, tc.longPoll); got != tc.want {
			t.Errorf("%s: idleSleepNeeded = %v, want %v", tc.name, got, tc.want)
		}
	}
}
