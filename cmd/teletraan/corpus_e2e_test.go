package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestRestartHotfixAndRetryRunOnRealAgents drives the paths the replay corpus lacked with
// two real agents: a RESTART deploy, a HOTFIX that pre-empts a running REGULAR deploy, a
// stopped host resumed, and a failing deploy whose failed host is retried. Each ends where
// it must; with TELETRAAN_RECORD_HISTORIES set (make record-histories) their histories
// join workflows/testdata, where the replay test keeps them replaying.
func TestRestartHotfixAndRetryRunOnRealAgents(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	startFleet(t, s, 2)
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 1, "maxParallelPct": 0, "bakeTimeSeconds": 0}, 200, nil)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, 2)
	waitDeployState(t, s, d1.Deploy.ID, "SUCCEEDING")

	// RESTART of the current build.
	var restart deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/actions/restart", map[string]any{"description": "corpus"}, 201, &restart)
	waitServing(t, s, restart.Deploy.ID, 2)
	waitDeployState(t, s, restart.Deploy.ID, "SUCCEEDING")

	// A REGULAR deploy, paused so that it is still running, pre-empted by a HOTFIX.
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"bakeTimeSeconds": 60}, 200, nil)
	b2 := publishMarkerBuild(t, s, "2")
	var regular deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &regular)
	waitDeployState(t, s, regular.Deploy.ID, "RUNNING")
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"bakeTimeSeconds": 0}, 200, nil)
	b3 := publishMarkerBuild(t, s, "3")
	var hotfix deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/actions/hotfix", map[string]any{"buildId": b3, "description": "corpus"}, 201, &hotfix)
	waitServing(t, s, hotfix.Deploy.ID, 2)
	waitDeployState(t, s, hotfix.Deploy.ID, "SUCCEEDING")
	var replaced deployResponse
	s.call(t, "GET", "/v1/deploys/"+regular.Deploy.ID, nil, 200, &replaced)
	if replaced.Deploy.State != "ABORTED" && replaced.Deploy.State != "SUCCEEDED" {
		t.Fatalf("the pre-empted REGULAR deploy is %s (%s), want it ended", replaced.Deploy.State, replaced.Deploy.StateReason)
	}

	// A host stopped and resumed, then retried on the current deploy.
	s.call(t, "POST", "/v1/envs/hello/dev/hosts/host-1/actions/stop", map[string]any{}, 200, nil)
	waitHostStage(t, s, "host-1", "STOPPED")
	s.call(t, "POST", "/v1/envs/hello/dev/hosts/host-1/actions/resume", map[string]any{}, 200, nil)
	waitServing(t, s, hotfix.Deploy.ID, 2)
	s.call(t, "POST", "/v1/envs/hello/dev/hosts/host-2/actions/retry", map[string]any{}, 200, nil)
	waitServing(t, s, hotfix.Deploy.ID, 2)

	recordHistories(t, s, "paths", workflows.StageWorkflowID("hello", "dev"), restart.Deploy.WorkflowID,
		regular.Deploy.WorkflowID, hotfix.Deploy.WorkflowID)
}

// TestAlarmFiringMidRolloutHoldsTheDeploy: with two real agents and one host per wave, an
// alarm that starts firing after the first wave stops the rollout there (the deploy goes
// FAILING naming the alarm, the second host keeps its build); its history joins the corpus.
func TestAlarmFiringMidRolloutHoldsTheDeploy(t *testing.T) {
	var firing atomic.Bool
	alarm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"firing": %v, "reason": "p99 latency 2.3s > 1s"}`, firing.Load())
	}))
	defer alarm.Close()
	s := startTestStack(t, t.TempDir())
	startFleet(t, s, 2)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, 2)
	waitDeployState(t, s, d1.Deploy.ID, "SUCCEEDING")

	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 1, "maxParallelPct": 0, "bakeTimeSeconds": 2,
		"alarms": []map[string]string{{"name": "latency", "url": alarm.URL}}}, 200, nil)
	b2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &d2)
	waitFor(t, 60*time.Second, "the first host on build 2", func() (bool, string) {
		on := servingOn(t, s, d2.Deploy.ID)
		return len(on) == 1, strings.Join(on, ",")
	})
	firing.Store(true)
	waitDeployState(t, s, d2.Deploy.ID, "FAILING")
	var d deployResponse
	s.call(t, "GET", "/v1/deploys/"+d2.Deploy.ID, nil, 200, &d)
	if !strings.Contains(d.Deploy.StateReason, "latency") {
		t.Errorf("FAILING reason %q does not name the alarm", d.Deploy.StateReason)
	}
	if on := servingOn(t, s, d2.Deploy.ID); len(on) != 1 {
		t.Errorf("hosts on build 2 after the alarm fired: %v, want only the first wave's", on)
	}
	recordHistories(t, s, "alarm", workflows.StageWorkflowID("hello", "dev"), d2.Deploy.WorkflowID)
}
