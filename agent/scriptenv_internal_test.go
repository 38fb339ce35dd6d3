package agent

import (
	"slices"
	"testing"
)

func TestScriptsDoNotInheritTheAgentsOwnSettings(t *testing.T) {
	got := inheritedEnv([]string{"PATH=/usr/bin", "TELETRAAN_AGENT_TOKEN=tt_secret", "TELETRAAN_URL=https://t", "HOME=/root", "MY_TELETRAAN_X=kept"})
	want := []string{"PATH=/usr/bin", "HOME=/root", "MY_TELETRAAN_X=kept"}
	if !slices.Equal(got, want) {
		t.Fatalf("inheritedEnv = %q, want %q", got, want)
	}
}
