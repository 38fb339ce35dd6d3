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
	"github.com/teletraan-on-temporal/teletraan/temporal"
)

// fleet is three in-process agents behind a recording proxy, with their directories.
type fleet struct {
	rec    *pingRecorder
	dirs   map[string]string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startFleet(t *testing.T, s *runningStack, n int) *fleet {
	t.Helper()
	rec, proxy := newPingRecorder(t, s.apiURL)
	ctx, cancel := context.WithCancel(context.Background())
	f := &fleet{rec: rec, dirs: map[string]string{}, cancel: cancel}
	for i := 1; i <= n; i++ {
		host := fmt.Sprintf("host-%d", i)
		f.dirs[host] = t.TempDir()
		cfg := agentConfig(t, proxy.URL, s.adminToken, host, f.dirs[host])
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
func rollingSecondDeploy(t *testing.T, s *runningStack) (first, second string) {
	t.Helper()
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"bakeTimeSeconds": 2, "maxParallel": 1, "maxParallelPct": 0}, 200, nil)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, 3)
	b2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &d2)
	return d1.Deploy.ID, d2.Deploy.ID
}

// TestWorkerKilledMidDeployAnotherFinishesIt: stop the worker in the middle of a rolling
// deploy, start another, and the deploy finishes with every host restarted exactly once
// per deploy.
func TestWorkerKilledMidDeployAnotherFinishesIt(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	f := startFleet(t, s, 3)
	_, d2 := rollingSecondDeploy(t, s)
	firstHostServing(t, s, d2)

	s.worker.Stop()
	replacement := temporal.NewWorker(s.client, registerAll(s.store), worker.Options{})
	if err := replacement.Start(); err != nil {
		t.Fatal(err)
	}
	s.worker = replacement

	waitServing(t, s, d2, 3)
	waitDeployState(t, s, d2, "SUCCEEDING")
	for host, n := range f.restartsPerHost(t) {
		if n != 2 {
			t.Errorf("%s ran RESTARTING %d times over two deploys, want 2", host, n)
		}
	}
}

// TestDevStackRestartedMidDeployFinishesIt: stop the whole dev stack in the middle of a
// rolling deploy and start it again on the same data: the deploy carries on and finishes.
func TestDevStackRestartedMidDeployFinishesIt(t *testing.T) {
	dataDir := t.TempDir()
	s := startTestStack(t, dataDir)
	f := startFleet(t, s, 3)
	_, d2 := rollingSecondDeploy(t, s)
	firstHostServing(t, s, d2)

	s.stopAndWait()
	s2 := startTestStack(t, dataDir)
	f.rec.retarget(t, s2.apiURL)

	waitServing(t, s2, d2, 3)
	waitDeployState(t, s2, d2, "SUCCEEDING")
	for host, n := range f.restartsPerHost(t) {
		if n != 2 {
			t.Errorf("%s ran RESTARTING %d times over two deploys, want 2", host, n)
		}
	}
}
