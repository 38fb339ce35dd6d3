package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The dev stack's /metrics carries the service's instruments, the gauges it reads from the
// database, and the Temporal SDK's own client and worker metrics.
func TestDevStackMetricsIncludeTheStoreAndTheTemporalSDK(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod"}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1"}}, 200, nil)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://artifacts.example.com/hello-1.tar.gz", "commit": "abcdef1234"}, 201, &build)
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, nil)

	var body string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.apiURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(raw)
		if strings.Contains(body, "temporal_") && strings.Contains(body, `teletraan_deploys{state="`) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{
		`teletraan_deploys{state="`,
		`teletraan_stage_hosts{env="hello",phase="never-seen",stage="prod"} 1`,
		`teletraan_http_requests_total{method="POST",route="/v1/envs/:env/:stage/deploys",status="2xx"} 1`,
		"temporal_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// The Grafana dashboard in the repo queries only metrics the service serves: a renamed
// instrument must not leave a dashboard that silently shows nothing.
func TestGrafanaDashboardUsesOnlyServedMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "telemetry", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	served := servedMetricNames(t)
	metricName := regexp.MustCompile(`\b(teletraan_[a-z0-9_]+|temporal_[a-z0-9_]+|process_[a-z0-9_]+|go_[a-z0-9_]+)\b`)
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range metricName.FindAllString(tg.Expr, -1) {
				if !served[m] && !mayBeAbsentMetrics[m] {
					t.Errorf("panel %q queries %s, which /metrics does not serve", p.Title, m)
				}
			}
		}
	}
}

// mayBeAbsentMetrics are instruments that have not recorded yet in servedMetricNames' run
// (its deploy goes to a host with no agent) and so are absent until they do; they are named
// as the exporter will name them, and the rollout's histograms are proven served by
// TestPrometheusScrapesTheServiceMetrics.
var mayBeAbsentMetrics = map[string]bool{"temporal_request_failure": true, "teletraan_pings_total": true,
	"teletraan_ping_duration_seconds_bucket":   true,
	"teletraan_deploy_duration_seconds_bucket": true, "teletraan_deploy_duration_seconds_count": true,
	"teletraan_wave_duration_seconds_bucket": true, "teletraan_goal_delivery_seconds_bucket": true}

// servedMetricNames runs a dev stack through a deploy and returns the metric names its
// /metrics serves once the Temporal SDK's workflow and activity task metrics are in.
func servedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	s := startTestStack(t, t.TempDir())
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod"}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1"}}, 200, nil)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://artifacts.example.com/hello-1.tar.gz", "commit": "abcdef1234"}, 201, &build)
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, nil)
	served := map[string]bool{}
	name := regexp.MustCompile(`^([a-z_:][a-z0-9_:]*)[{ ]`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) &&
		!(served["temporal_activity_execution_latency_seconds_bucket"] && served["temporal_workflow_task_execution_latency_seconds_bucket"]); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(s.apiURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			if m := name.FindStringSubmatch(line); m != nil {
				served[m[1]] = true
			}
		}
	}
	return served
}
