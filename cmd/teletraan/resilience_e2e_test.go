package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/temporal"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// fleet is three in-process agents behind a recording proxy, with their directories.
type fleet struct {
	rec    *pingRecorder
	dirs   map[string]string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startFleet starts n agents host-1..host-n; hosts named in failing cannot start build
// version 2 (their RESTARTING script exits 3).
func startFleet(t *testing.T, s *runningStack, n int, failingHosts ...string) *fleet {
	t.Helper()
	rec, proxy := newPingRecorder(t, s.apiURL)
	ctx, cancel := context.WithCancel(context.Background())
	f := &fleet{rec: rec, dirs: map[string]string{}, cancel: cancel}
	failing := map[string]bool{}
	for _, h := range failingHosts {
		failing[h] = true
	}
	for i := 1; i <= n; i++ {
		host := fmt.Sprintf("host-%d", i)
		f.dirs[host] = t.TempDir()
		if failing[host] {
			dir, err := os.MkdirTemp(t.TempDir(), "failhost-")
			if err != nil {
				t.Fatal(err)
			}
			f.dirs[host] = dir
		}
		cfg := agentConfig(t, proxy.URL, s.adminToken, host, f.dirs[host])
		// These tests stop the service; an agent whose ping failed retries after its ping
		// interval, as in Teletraan.
		cfg.PingInterval = 2 * time.Second
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			_ = agent.Run(ctx, cfg)
		}()
	}
	t.Cleanup(func() { f.cancel(); f.wg.Wait() })
	return f
}

// restartsPerHost counts how many times each host ran its RESTARTING script.
func (f *fleet) restartsPerHost(t *testing.T) map[string]int {
	out := map[string]int{}
	for host, dir := range f.dirs {
		b, _ := os.ReadFile(filepath.Join(dir, "markers.log"))
		out[host] = strings.Count(string(b), "RESTARTING")
	}
	return out
}

// firstHostServing waits until at least one host serves deploy id.
func firstHostServing(t *testing.T, s *runningStack, deployID string) {
	t.Helper()
	waitFor(t, 60*time.Second, "a first host serving "+deployID, func() (bool, string) {
		var got stageHosts
		s.call(t, "GET", "/v1/envs/hello/dev/hosts", nil, 200, &got)
		for _, h := range got.Hosts {
			if h.Agent != nil && h.Agent.DeployID == deployID && h.Agent.DeployStage == "SERVING_BUILD" {
				return true, ""
			}
		}
		return false, "none yet"
	})
}

// rollingSecondDeploy deploys build 1 to three fresh hosts, then starts build 2, which
// goes one host per wave with a bake time between waves, and returns its deploy id.
func rollingSecondDeploy(t *testing.T, s *runningStack, hosts int) (first, second string) {
	t.Helper()
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"bakeTimeSeconds": 2, "maxParallel": 1, "maxParallelPct": 0}, 200, nil)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, hosts)
	waitDeployState(t, s, d1.Deploy.ID, "SUCCEEDING")
	b2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &d2)
	return d1.Deploy.ID, d2.Deploy.ID
}

// TestWorkerKilledMidDeployAnotherFinishesIt: five real agents; stop the worker in the
// middle of a rolling deploy, start another, and the deploy finishes with every host restarted exactly once
// per deploy.
func TestWorkerKilledMidDeployAnotherFinishesIt(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	f := startFleet(t, s, 5)
	_, d2 := rollingSecondDeploy(t, s, 5)
	firstHostServing(t, s, d2)

	s.worker.Stop()
	replacement := temporal.NewWorker(s.client, registerAll(s.store, s.client, guardOptions{}, nil), worker.Options{})
	if err := replacement.Start(); err != nil {
		t.Fatal(err)
	}
	s.worker = replacement

	waitServing(t, s, d2, 5)
	waitDeployState(t, s, d2, "SUCCEEDING")
	for host, n := range f.restartsPerHost(t) {
		if n != 2 {
			t.Errorf("%s ran RESTARTING %d times over two deploys, want 2", host, n)
		}
	}
}

// TestDevStackRestartedMidDeployFinishesIt: five real agents; stop the whole dev stack in
// the middle of a rolling deploy and start it again on the same data: the deploy carries on and finishes.
func TestDevStackRestartedMidDeployFinishesIt(t *testing.T) {
	dataDir := t.TempDir()
	s := startTestStack(t, dataDir)
	f := startFleet(t, s, 5)
	_, d2 := rollingSecondDeploy(t, s, 5)
	firstHostServing(t, s, d2)

	s.stopAndWait()
	s2 := startTestStack(t, dataDir)
	f.rec.retarget(t, s2.apiURL)

	waitServing(t, s2, d2, 5)
	waitDeployState(t, s2, d2, "SUCCEEDING")
	for host, n := range f.restartsPerHost(t) {
		if n != 2 {
			t.Errorf("%s ran RESTARTING %d times over two deploys, want 2", host, n)
		}
	}
}

// hostsTouched returns the hosts that sent any report for deployID.
func (r *pingRecorder) hostsTouched(deployID string) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for host, reps := range r.reports {
		for _, rep := range reps {
			if rep.DeployID == deployID {
				out[host] = true
				break
			}
		}
	}
	return out
}

// TestFailingHostHaltsTheDeployAtTheThreshold: five real agents; build 2's RESTARTING fails
// on host-1, the first host of the first wave. At a 100 % success threshold the deploy goes
// FAILING and admits nobody else; the other hosts keep serving build 1.
func TestFailingHostHaltsTheDeployAtTheThreshold(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	f := startFleet(t, s, 5, "host-1")
	_, d2 := rollingSecondDeploy(t, s, 5)
	waitDeployState(t, s, d2, "FAILING")
	var d deployResponse
	s.call(t, "GET", "/v1/deploys/"+d2, nil, 200, &d)
	if !strings.Contains(d.Deploy.StateReason, "1") {
		t.Errorf("FAILING reason %q does not say how many hosts failed", d.Deploy.StateReason)
	}
	var hosts stageHosts
	s.call(t, "GET", "/v1/envs/hello/dev/hosts", nil, 200, &hosts)
	for _, h := range hosts.Hosts {
		switch {
		case h.HostName == "host-1" && (h.Agent == nil || h.Agent.State != "PAUSED_BY_SYSTEM" || h.LastError == nil || !strings.Contains(h.LastError.ErrorMessage, "cannot bind port 8080")):
			t.Errorf("host-1 should be PAUSED_BY_SYSTEM with the script's error, got %+v %+v", h.Agent, h.LastError)
		case h.HostName != "host-1" && h.Agent != nil && h.Agent.DeployID == d2:
			t.Errorf("%s was admitted to a FAILING deploy", h.HostName)
		}
	}
	if touched := f.rec.hostsTouched(d2); len(touched) != 1 || !touched["host-1"] {
		t.Errorf("hosts that ran the failing deploy: %v, want only host-1", touched)
	}
	// The deploy's own record, which the board's deploy page shows: one wave, host-1
	// FAILED with its script's error.
	var waves struct {
		Waves []struct {
			Wave  int
			Hosts []struct{ HostName, Outcome, ErrorMessage string }
		}
	}
	s.call(t, "GET", "/v1/deploys/"+d2+"/hosts", nil, 200, &waves)
	if len(waves.Waves) != 1 || waves.Waves[0].Wave != 1 || len(waves.Waves[0].Hosts) != 1 {
		t.Fatalf("waves of the failing deploy = %+v, want wave 1 with host-1 only", waves.Waves)
	}
	if h := waves.Waves[0].Hosts[0]; h.HostName != "host-1" || h.Outcome != "FAILED" || !strings.Contains(h.ErrorMessage, "cannot bind port 8080") {
		t.Errorf("host-1 in the deploy's record = %+v, want FAILED with the script's error", h)
	}
}

// TestPausedDeployStartsNoNewHostUntilResumed: pause a rolling deploy of five real agents
// after its first host; no other host starts until it is resumed; then it finishes.
func TestPausedDeployStartsNoNewHostUntilResumed(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	f := startFleet(t, s, 5)
	_, d2 := rollingSecondDeploy(t, s, 5)
	firstHostServing(t, s, d2)
	s.call(t, "POST", "/v1/envs/hello/dev/actions/pause", map[string]any{"description": "looking at graphs"}, 200, nil)
	// A host admitted just before the pause may still finish; after that nothing moves.
	time.Sleep(1500 * time.Millisecond)
	before := f.rec.hostsTouched(d2)
	time.Sleep(3 * time.Second)
	after := f.rec.hostsTouched(d2)
	if len(after) != len(before) || len(after) >= 5 {
		t.Fatalf("hosts on the paused deploy went from %v to %v", before, after)
	}
	var d deployResponse
	s.call(t, "GET", "/v1/deploys/"+d2, nil, 200, &d)
	if d.Deploy.State != "RUNNING" {
		t.Fatalf("paused deploy state = %s", d.Deploy.State)
	}
	s.call(t, "POST", "/v1/envs/hello/dev/actions/resume", map[string]any{}, 200, nil)
	waitServing(t, s, d2, 5)
	waitDeployState(t, s, d2, "SUCCEEDING")
	recordHistories(t, s, "pause", workflows.StageWorkflowID("hello", "dev"), workflows.DeployWorkflowID(d2))
}

// TestFailingDeployRollsBackByPolicy: with onFailure ROLLBACK, the deploy that fails on
// host-1 is replaced by a rollback to build 1, which brings host-1 back to serving.
func TestFailingDeployRollsBackByPolicy(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	startFleet(t, s, 3, "host-1")
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"onFailure": "ROLLBACK"}, 200, nil)
	d1, d2 := rollingSecondDeploy(t, s, 3)
	waitDeployState(t, s, d2, "ABORTED")
	var failed deployResponse
	s.call(t, "GET", "/v1/deploys/"+d2, nil, 200, &failed)
	rollbackID := strings.TrimPrefix(failed.Deploy.StateReason, "superseded by deploy ")
	if rollbackID == failed.Deploy.StateReason {
		t.Fatalf("failing deploy ended %q, want superseded by the rollback", failed.Deploy.StateReason)
	}
	var rb deployResponse
	s.call(t, "GET", "/v1/deploys/"+rollbackID, nil, 200, &rb)
	var first deployResponse
	s.call(t, "GET", "/v1/deploys/"+d1, nil, 200, &first)
	if rb.Deploy.BuildID != first.Deploy.BuildID {
		t.Fatalf("rollback deploys build %s, want build 1 (%s)", rb.Deploy.BuildID, first.Deploy.BuildID)
	}
	waitServing(t, s, rollbackID, 3)
	waitDeployState(t, s, rollbackID, "SUCCEEDING")
	// No one asked for the rollback: the audit trail has it with the system as its actor.
	var trail struct{ Entries []api.AuditEntry }
	s.call(t, "GET", "/v1/audit?actor=system&env=hello", nil, 200, &trail)
	if len(trail.Entries) != 1 || trail.Entries[0].Route != "automatic-rollback" || !strings.Contains(trail.Entries[0].Detail, rollbackID) {
		t.Fatalf("audit trail of the system: %+v, want the automatic rollback %s", trail.Entries, rollbackID)
	}
	recordHistories(t, s, "autorollback", workflows.StageWorkflowID("hello", "dev"), workflows.DeployWorkflowID(d2), workflows.DeployWorkflowID(rollbackID))
}
