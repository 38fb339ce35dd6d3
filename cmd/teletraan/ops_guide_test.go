package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The alerts the operations guide suggests query only metrics the service serves: a
// renamed instrument must not leave an operator with an alert that can never fire.
func TestOperationsGuideQueriesOnlyServedMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```promql\n(.*?)```").FindAllStringSubmatch(string(raw), -1)
	if len(blocks) == 0 {
		t.Fatal("docs/operations.md has no promql block")
	}
	metricName := regexp.MustCompile(`\b(teletraan_[a-z0-9_]+|temporal_[a-z0-9_]+|process_[a-z0-9_]+|go_[a-z0-9_]+)\b`)
	var queried []string
	for _, b := range blocks {
		for _, line := range strings.Split(b[1], "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			queried = append(queried, metricName.FindAllString(line, -1)...)
		}
	}

	s := startTestStack(t, t.TempDir())
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod"}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1"}}, 200, nil)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://artifacts.example.com/hello-1.tar.gz", "commit": "abcdef1234"}, 201, &build)
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, nil)
	served := map[string]bool{}
	name := regexp.MustCompile(`^([a-z_:][a-z0-9_:]*)[{ ]`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !served["temporal_workflow_task_execution_latency_seconds_bucket"]; time.Sleep(100 * time.Millisecond) {
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
	// Counters that have not counted yet are absent until they do; they are named as the
	// exporter will name them.
	mayBeAbsent := map[string]bool{"temporal_request_failure": true, "teletraan_pings_total": true,
		"teletraan_ping_duration_seconds_bucket": true}
	for _, m := range queried {
		if !served[m] && !mayBeAbsent[m] {
			t.Errorf("docs/operations.md queries %s, which /metrics does not serve", m)
		}
	}
}
