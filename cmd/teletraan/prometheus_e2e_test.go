package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// prometheusMetricNames are the names a real Prometheus must find when it scrapes a stack
// that ran two deploys to real agents on a stage with an alarm: the API's, the pings', the
// database gauges, the rollout's durations and goal deliveries, the guards', promotions' and
// qualifications' outcome counters (they start at zero), and the Temporal SDK's worker
// metrics. They are the names the README, the operations guide and the dashboard use.
var prometheusMetricNames = []string{
	"teletraan_http_requests_total", "teletraan_http_request_duration_seconds_bucket",
	"teletraan_pings_total", "teletraan_ping_duration_seconds_bucket", "teletraan_ping_long_polls_waiting",
	"teletraan_deploys", "teletraan_stage_hosts",
	"teletraan_deploys_started_total", "teletraan_deploy_duration_seconds_bucket", "teletraan_wave_duration_seconds_bucket",
	"teletraan_goal_delivery_seconds_bucket",
	"teletraan_alarm_checks_total", "teletraan_webhook_deliveries_total",
	"teletraan_promotions_total", "teletraan_qualifications_total",
	"temporal_worker_task_slots_available", "temporal_activity_execution_latency_seconds_bucket",
	"temporal_workflow_task_execution_latency_seconds_bucket", "temporal_request",
}

// hostLabels are label names that would make a series per host: none may appear.
var hostLabels = []string{"host", "host_id", "host_name", "hostname", "instance_host", "ip"}

// TestPrometheusScrapesTheServiceMetrics runs a real Prometheus server (Debian's
// prometheus package) against a dev stack that deployed twice to its local agents, on a
// stage with an alarm, and checks through Prometheus's HTTP API that the target is up,
// that every name in prometheusMetricNames is stored, that the alarm checks and goal
// deliveries counted, and that no teletraan_ series has a host's name or a host label.
func TestPrometheusScrapesTheServiceMetrics(t *testing.T) {
	alarm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"firing": false}`))
	}))
	defer alarm.Close()

	s := startTestStackWithAgents(t, t.TempDir(), 2)
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 1, "maxParallelPct": 0,
		"alarms": []map[string]string{{"name": "errors", "url": alarm.URL}}}, 200, nil)
	var builds struct{ Builds []struct{ ID string } }
	s.call(t, "GET", "/v1/builds?name=hello", nil, 200, &builds)
	for _, b := range []string{builds.Builds[1].ID, builds.Builds[0].ID} {
		var d deployResponse
		s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b}, 201, &d)
		waitServing(t, s, d.Deploy.ID, 2)
		waitDeployState(t, s, d.Deploy.ID, "SUCCEEDING")
	}

	promURL := startPrometheus(t, strings.TrimPrefix(s.apiURL, "http://"))
	waitFor(t, 90*time.Second, "Prometheus to scrape every expected name", func() (bool, string) {
		var names []string
		if err := promGet(promURL, "/api/v1/label/__name__/values", nil, &names); err != nil {
			return false, err.Error()
		}
		var missing []string
		for _, want := range prometheusMetricNames {
			if !slices.Contains(names, want) {
				missing = append(missing, want)
			}
		}
		return len(missing) == 0, "missing " + strings.Join(missing, ", ")
	})

	// Over the last minute, so that one scrape slower than the 1 s interval on a loaded
	// machine (which marks the series stale until the next) does not hide what was stored.
	for query, atLeast := range map[string]float64{
		`max_over_time(up{job="app"}[1m])`:                                                     1,
		`sum(max_over_time(teletraan_alarm_checks_total{result="ok"}[1m]))`:                    1,
		`sum(max_over_time(teletraan_goal_delivery_seconds_count[1m]))`:                        1,
		`sum(max_over_time(teletraan_deploys_started_total{type="REGULAR"}[1m]))`:              2,
		`sum(max_over_time(teletraan_deploy_duration_seconds_count{outcome="succeeded"}[1m]))`: 2,
	} {
		if v := promScalar(t, promURL, query); v < atLeast {
			t.Errorf("Prometheus: %s = %v, want at least %v", query, v, atLeast)
		}
	}

	var series []map[string]string
	if err := promGet(promURL, "/api/v1/series", url.Values{"match[]": {`{__name__=~"teletraan_.+"}`}}, &series); err != nil {
		t.Fatal(err)
	}
	for _, labels := range series {
		for name, value := range labels {
			if slices.Contains(hostLabels, name) {
				t.Errorf("series %v has the host label %s", labels, name)
			}
			if strings.HasPrefix(value, "local-agent-") {
				t.Errorf("series %v carries the host name %s", labels, value)
			}
		}
	}
}

// promGet calls Prometheus's HTTP API and decodes the data of a successful answer.
func promGet(base, path string, query url.Values, data any) error {
	u := base + path
	if query != nil {
		u += "?" + query.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("GET %s: %v", u, err)
	}
	if out.Status != "success" {
		return fmt.Errorf("GET %s: %s", u, out.Error)
	}
	return json.Unmarshal(out.Data, data)
}

// promScalar evaluates an instant query that yields one sample and returns its value, 0
// when it yields none.
func promScalar(t *testing.T, base, query string) float64 {
	t.Helper()
	var res struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := promGet(base, "/api/v1/query", url.Values{"query": {query}}, &res); err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	if len(res.Result) == 0 {
		return 0
	}
	s, _ := res.Result[0].Value[1].(string)
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
