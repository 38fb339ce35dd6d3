package main

import (
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestStopOneHostRunsItsStoppingScript: two real agents serve build 1; stopping host-1
// makes its agent run the build's STOPPING script once and rest at STOPPED while host-2
// runs nothing; resuming host-1 deploys the current build to it again from PRE_DOWNLOAD.
func TestStopOneHostRunsItsStoppingScript(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	f := startFleet(t, s, 2)
	b1 := publishMarkerBuild(t, s, "1")
	var d deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d)
	waitServing(t, s, d.Deploy.ID, 2)
	waitDeployState(t, s, d.Deploy.ID, "SUCCEEDING")
	before := scriptLogs(t, f)

	s.call(t, "POST", "/v1/envs/hello/dev/hosts/host-1/actions/stop", map[string]any{}, 200, nil)
	waitHostStage(t, s, "host-1", "STOPPED")
	after := scriptLogs(t, f)
	if ran := strings.TrimPrefix(after["host-1"], before["host-1"]); ran != "STOPPING\n" {
		t.Errorf("host-1 ran %q on stop, want its STOPPING script once", ran)
	}
	if after["host-2"] != before["host-2"] {
		t.Errorf("host-2 was not stopped, yet ran %q", strings.TrimPrefix(after["host-2"], before["host-2"]))
	}
	// A second stop changes nothing.
	s.call(t, "POST", "/v1/envs/hello/dev/hosts/host-1/actions/stop", map[string]any{}, 200, nil)

	s.call(t, "POST", "/v1/envs/hello/dev/hosts/host-1/actions/resume", map[string]any{}, 200, nil)
	waitServing(t, s, d.Deploy.ID, 2)
	if ran := strings.TrimPrefix(scriptLogs(t, f)["host-1"], after["host-1"]); !strings.HasPrefix(ran, "PRE_DOWNLOAD") || !strings.Contains(ran, "RESTARTING") {
		t.Errorf("host-1 ran %q after resume, want the deploy again from PRE_DOWNLOAD", ran)
	}
	recordHistories(t, s, "stop", workflows.StageWorkflowID("hello", "dev"), d.Deploy.WorkflowID)
}

// waitHostStage waits until host's agent in hello/dev is at deployStage.
func waitHostStage(t *testing.T, s *runningStack, host, deployStage string) {
	t.Helper()
	waitFor(t, 60*time.Second, host+" at "+deployStage, func() (bool, string) {
		var got stageHosts
		s.call(t, "GET", "/v1/envs/hello/dev/hosts", nil, 200, &got)
		for _, h := range got.Hosts {
			if h.HostName == host && h.Agent != nil {
				return h.Agent.DeployStage == deployStage, h.Agent.DeployStage + "/" + h.Agent.Status + "/" + h.Agent.State
			}
		}
		return false, "no agent row"
	})
}
