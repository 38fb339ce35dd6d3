package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runSimulate runs teletraan simulate against s with args and returns its JSON summary.
func runSimulate(t *testing.T, s *runningStack, args ...string) simulationSummary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"simulate", "hello", "dev", "--url", s.apiURL, "--token", s.adminToken, "-o", "json"}, args...))
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("simulate %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	var sum simulationSummary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("simulate printed no JSON summary (%v):\n%s\n%s", err, out.String(), errOut.String())
	}
	t.Logf("simulate %s:\n%s", strings.Join(args, " "), errOut.String())
	return sum
}

// TestSimulateDeploysAndRollsBackAFleet runs the fleet simulator as a user would: 200
// hosts over two processes join the sample stage, take a first build, then a second one
// with 5 % of them failing, and roll back; the second run's hosts are the first run's,
// bound to the credentials the first run kept.
func TestSimulateDeploysAndRollsBackAFleet(t *testing.T) {
	t.Setenv(chaosExecEnv, "1") // the simulation's processes are this binary acting as teletraan
	s := startTestStack(t, t.TempDir())
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 0, "maxParallelPct": 10, "successThreshold": 90, "stuckTimeoutSeconds": 600}, 200, nil)
	var builds struct {
		Builds []struct{ ID, CommitShort string }
	}
	s.call(t, "GET", "/v1/builds?name=hello", nil, 200, &builds)
	if len(builds.Builds) < 2 {
		t.Fatalf("the dev stack publishes two sample builds, got %+v", builds)
	}
	first, second := builds.Builds[1].ID, builds.Builds[0].ID
	state := filepath.Join(t.TempDir(), "fleet.json")
	common := []string{"--hosts", "200", "--processes", "2", "--state", state, "--join", "--retry-interval", "10ms"}

	sum := runSimulate(t, s, append(common, "--deploy", first)...)
	if sum.Hosts != 200 || sum.Processes != 2 || len(sum.Deploys) != 1 {
		t.Fatalf("summary %+v", sum)
	}
	d := sum.Deploys[0]
	if d.BuildID != first || d.Succeeded != 200 || d.Failed != 0 || !isSuccess(d.State) {
		t.Fatalf("first deploy %+v", d)
	}
	if d.PingsPerHost < 8 {
		t.Fatalf("a deploy takes a ping per stage: %+v", d)
	}
	var capacity struct{ Groups []string }
	s.call(t, "GET", "/v1/envs/hello/dev/capacity", nil, 200, &capacity)
	for _, g := range capacity.Groups {
		if g == "sim-hello-dev" {
			t.Fatalf("--join takes its group out of the capacity at the end: %v", capacity.Groups)
		}
	}

	sum = runSimulate(t, s, append(common, "--failure-rate", "0.05", "--deploy", second, "--rollback")...)
	if sum.PingErrors != 0 || len(sum.Deploys) != 2 {
		t.Fatalf("the hosts kept their credentials from the first run and every ping was answered: %+v", sum)
	}
	d, rb := sum.Deploys[0], sum.Deploys[1]
	if d.BuildID != second || d.Failed == 0 || d.Succeeded < 180 || !isSuccess(d.State) {
		t.Fatalf("about 5 %% of the hosts fail the second deploy, which still reaches its 90 %% threshold: %+v", d)
	}
	// The first deploy installed on new members at once; this one admits hosts in waves,
	// and every admitted host's first goal is measured.
	if d.Delivery.Missing != 0 || d.Delivery.Hosts < 150 || d.Delivery.P99Ms <= 0 {
		var waves deployHostsAnswer
		s.call(t, "GET", "/v1/deploys/"+d.ID+"/hosts", nil, 200, &waves)
		for _, w := range waves.Waves {
			t.Logf("wave %d: %d hosts", w.Wave, len(w.Hosts))
		}
		t.Fatalf("goal delivery measured for every host of the second deploy: %+v", d)
	}
	if rb.Type != "ROLLBACK" || rb.BuildID != first || !isSuccess(rb.State) {
		t.Fatalf("the rollback returns to the first build: %+v", rb)
	}
}

func isSuccess(state string) bool { return state == "SUCCEEDING" || state == "SUCCEEDED" }
