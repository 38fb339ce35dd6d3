package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestRollbackAliasRunsNothingOnHostsAlreadyOnTheTarget: build 1 serves on three real
// agents; build 2 reaches one host before the deploy is paused; a rollback to the default
// target (deploy 1) then counts the two hosts still serving deploy 1 as done without a
// single script (their scripts' own log does not grow), and only the host on build 2
// walks the stages back, RESTARTING included.
func TestRollbackAliasRunsNothingOnHostsAlreadyOnTheTarget(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	f := startFleet(t, s, 3)
	d1, d2 := rollingSecondDeploy(t, s, 3)
	firstHostServing(t, s, d2)
	s.call(t, "POST", "/v1/envs/hello/dev/actions/pause", map[string]any{}, 200, nil)

	// Which hosts serve which deploy once the pause holds, and what their scripts logged.
	onTarget, moved := map[string]bool{}, ""
	waitFor(t, 60*time.Second, "the paused deploy's hosts settled", func() (bool, string) {
		var got stageHosts
		s.call(t, "GET", "/v1/envs/hello/dev/hosts", nil, 200, &got)
		clear(onTarget)
		moved = ""
		var seen []string
		for _, h := range got.Hosts {
			if h.Agent == nil || h.Agent.DeployStage != "SERVING_BUILD" {
				return false, h.HostName + " is deploying"
			}
			switch h.Agent.DeployID {
			case d1:
				onTarget[h.HostName] = true
			case d2:
				moved = h.HostName
			}
			seen = append(seen, h.HostName+"="+h.Agent.DeployID)
		}
		return moved != "" && len(onTarget) >= 1 && len(onTarget)+1 == 3, strings.Join(seen, " ")
	})
	before := scriptLogs(t, f)

	var rb deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/actions/rollback", map[string]any{}, 201, &rb)
	if rb.Deploy.AliasDeployID != d1 {
		t.Fatalf("rollback's alias = %q, want the target deploy %s", rb.Deploy.AliasDeployID, d1)
	}
	waitServing(t, s, rb.Deploy.ID, 3)
	waitDeployState(t, s, rb.Deploy.ID, "SUCCEEDING")

	after := scriptLogs(t, f)
	for host := range onTarget {
		if after[host] != before[host] {
			t.Errorf("%s served deploy %s already, yet scripts ran: %q", host, d1, strings.TrimPrefix(after[host], before[host]))
		}
	}
	if ran := strings.TrimPrefix(after[moved], before[moved]); !strings.Contains(ran, "RESTARTING") || !strings.Contains(ran, "PRE_DOWNLOAD") {
		t.Errorf("%s was on build 2 and must walk the stages back, ran %q", moved, ran)
	}
	recordHistories(t, s, "alias", workflows.StageWorkflowID("hello", "dev"), workflows.DeployWorkflowID(rb.Deploy.ID))
}

// scriptLogs is each host's append-only log of the scripts it ran.
func scriptLogs(t *testing.T, f *fleet) map[string]string {
	t.Helper()
	out := map[string]string{}
	for host, dir := range f.dirs {
		b, err := os.ReadFile(filepath.Join(dir, "markers.log"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out[host] = string(b)
	}
	return out
}
