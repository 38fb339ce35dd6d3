package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// replicaSet is the production topology on one machine, every part its own process: the
// Temporal dev server (`teletraan dev temporal`), one MariaDB database, two `teletraan
// server` replicas (a and b) and two `teletraan worker` replicas (worker-1, worker-2).
type replicaSet struct {
	*procGroup
	dsn, temporalAddr string
	token             string
	a, b              replicaAPI        // the two server replicas
	workerMetrics     map[string]string // worker name → its /metrics URL
}

// startReplicaSet starts the topology on a fresh database of TELETRAAN_TEST_MYSQL_DSN's
// server (skipping without one, failing under CI=true) and creates the stage hello/dev
// whose hosts are the group local-agents, one host per wave.
func startReplicaSet(t testing.TB) *replicaSet {
	t.Helper()
	r := &replicaSet{procGroup: newProcGroup(t), dsn: schematest.MySQLDSN(t), workerMetrics: map[string]string{}}
	port := freePort(t)
	r.temporalAddr = fmt.Sprintf("127.0.0.1:%d", port)
	r.start(t, "temporal", teletraanCommand(t, "dev", "temporal", "--data-dir", t.TempDir(),
		"--port", strconv.Itoa(port), "--ui-port", "-1", "--log-level", "warn"))
	waitFor(t, 2*time.Minute, "the Temporal dev server", func() (bool, string) {
		b, _ := os.ReadFile(filepath.Join(r.logDir, "temporal.log"))
		return strings.Contains(string(b), "Temporal dev server "+r.temporalAddr), string(b)
	})
	if out, err := runCommand(t, "migrate", "--db-dsn", r.dsn); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err := runCommand(t, "token", "create", "replicas-admin", "--role", "ADMIN", "--db-dsn", r.dsn)
	if err != nil {
		t.Fatalf("create a token: %v\n%s", err, out)
	}
	lines := strings.Fields(out)
	r.token = lines[len(lines)-1]
	for _, name := range []string{"server-a", "server-b"} {
		url := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
		r.start(t, name, teletraanCommand(t, "server", "--db-dsn", r.dsn, "--listen", strings.TrimPrefix(url, "http://"),
			"--temporal-address", r.temporalAddr, "--log-level", "warn"))
		waitHealthy(t, url)
		if name == "server-a" {
			r.a = replicaAPI{apiURL: url, token: r.token}
		} else {
			r.b = replicaAPI{apiURL: url, token: r.token}
		}
	}
	for _, name := range []string{"worker-1", "worker-2"} {
		metrics := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		r.start(t, name, teletraanCommand(t, "worker", "--db-dsn", r.dsn, "--temporal-address", r.temporalAddr,
			"--metrics-listen", metrics, "--log-level", "warn"))
		r.workerMetrics[name] = "http://" + metrics + "/metrics"
	}
	for name, url := range r.workerMetrics {
		waitFor(t, time.Minute, name+" serving its metrics", func() (bool, string) {
			_, err := scrape(url)
			return err == nil, fmt.Sprint(err)
		})
	}
	r.b.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "dev"}, 201, nil)
	r.b.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 1, "maxParallelPct": 0, "bakeTimeSeconds": 0}, 200, nil)
	r.b.call(t, "PUT", "/v1/envs/hello/dev/capacity", map[string]any{"groups": []string{localAgentsGroup}}, 200, nil)
	return r
}

// scrape returns the body of a /metrics URL.
func scrape(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), err
}

// workerRunning returns the name of the worker whose process runs one of the pending
// activities of workflow id, as Temporal reports the attempt's worker identity
// ("<pid>@<host>@..."), or "" when none runs now.
func (r *replicaSet) workerRunning(ctx context.Context, c client.Client, id string) string {
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return ""
	}
	for _, a := range desc.GetPendingActivities() {
		pid, _, _ := strings.Cut(a.GetLastWorkerIdentity(), "@")
		for _, name := range []string{"worker-1", "worker-2"} {
			if p := r.pid(name); p != 0 && strconv.Itoa(p) == pid {
				return name
			}
		}
	}
	return ""
}

// TestReplicasFinishADeployWhenItsWorkerIsKilled runs the production topology as separate
// processes (Temporal, MariaDB, two servers, two workers) with three real agents that
// long-poll server a while every deploy is started through server b. Mid-rollout it kills
// with SIGKILL the worker running the deploy's activity; the other worker takes over and
// the deploy finishes, with each host's scripts run once per step.
func TestReplicasFinishADeployWhenItsWorkerIsKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Temporal, two servers, two workers and agents as processes")
	}
	agentBin := buildAgent(t)
	r := startReplicaSet(t)
	dirs := map[string]string{}
	for i := 1; i <= chaosHosts; i++ {
		host := fmt.Sprintf("host-%d", i)
		dirs[host] = t.TempDir()
		// The agents know only server a; deploys are started through server b.
		r.start(t, host, agentCommand(agentBin, r.a.apiURL, r.token, host, dirs[host]))
	}
	v1 := r.b.publishChaosBuild(t, 1, "0.1")
	v2 := r.b.publishChaosBuild(t, 2, "0.5")

	var first, second deployResponse
	r.b.startDeploy(t, v1, &first)
	r.a.waitDeployDone(t, first.Deploy.ID)

	tc, err := client.Dial(client.Options{HostPort: r.temporalAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	r.b.startDeploy(t, v2, &second)
	ctx := context.Background()
	var victim string
	waitFor(t, time.Minute, "a worker running an activity of deploy "+second.Deploy.ID, func() (bool, string) {
		victim = r.workerRunning(ctx, tc, workflows.DeployWorkflowID(second.Deploy.ID))
		state, _ := r.a.deployState(second.Deploy.ID)
		if state != "RUNNING" {
			t.Fatalf("deploy %s is %s before a worker could be killed mid-rollout", second.Deploy.ID, state)
		}
		return victim != "", "no pending activity with a known worker yet"
	})
	r.kill(t, victim)
	t.Logf("killed %s mid-rollout of deploy %s", victim, second.Deploy.ID)
	if state, reason := r.a.deployState(second.Deploy.ID); state != "RUNNING" {
		t.Fatalf("deploy %s is %s (%s) right after the kill: the kill was not mid-rollout", second.Deploy.ID, state, reason)
	}
	r.a.waitDeployDone(t, second.Deploy.ID)
	r.a.waitState(t, first.Deploy.ID, "SUCCEEDED")

	for host, dir := range dirs {
		checkChaosLog(t, host, filepath.Join(dir, "chaos.log"), []string{first.Deploy.ID, second.Deploy.ID})
		version, _ := os.ReadFile(filepath.Join(dir, "targets", "hello", "app", "VERSION"))
		if got := strings.TrimSpace(string(version)); got != "2" {
			t.Errorf("%s serves version %q, want 2", host, got)
		}
	}

	// The replica the agents long-poll measured their goals' delivery; the surviving worker
	// serves the Temporal SDK's worker metrics and the rollout's durations.
	survivor := "worker-1"
	if victim == survivor {
		survivor = "worker-2"
	}
	body, err := scrape(r.a.apiURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if n := metricValue(body, "teletraan_goal_delivery_seconds_count"); n < 1 {
		t.Errorf("server a measured %v goal deliveries, want the admitted hosts' (at least 1)", n)
	}
	body, err = scrape(r.workerMetrics[survivor])
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"temporal_activity_execution_latency_seconds_count", "temporal_worker_task_slots_available",
		"teletraan_deploy_duration_seconds_count", "teletraan_wave_duration_seconds_count"} {
		if metricValue(body, name) <= 0 {
			t.Errorf("%s's /metrics has no %s", survivor, name)
		}
	}
	if t.Failed() {
		t.Logf("%s /metrics:\n%s", survivor, body)
	}
	// The containers' healthcheck command, against a server and the surviving worker.
	for _, url := range []string{r.a.apiURL + "/healthz", strings.TrimSuffix(r.workerMetrics[survivor], "/metrics") + "/healthz"} {
		if out, err := runCommand(t, "healthcheck", "--url", url); err != nil || !strings.Contains(out, `"status":"ok"`) {
			t.Errorf("teletraan healthcheck --url %s: %v\n%s", url, err, out)
		}
	}
}

// metricValue sums the samples of one metric name in a Prometheus text body.
func metricValue(body, name string) float64 {
	line := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(?:\{[^}]*\})? ([0-9.e+-]+)$`)
	total := 0.0
	for _, m := range line.FindAllStringSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		total += v
	}
	return total
}
