package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// gauge is a metric the test serves for Prometheus to scrape, flipped mid-rollout.
type gauge struct{ bits atomic.Uint64 }

func (g *gauge) set(v float64) { g.bits.Store(math.Float64bits(v)) }

func (g *gauge) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintf(w, "# TYPE app_latency_p99_seconds gauge\napp_latency_p99_seconds{env=\"hello\",stage=\"dev\"} %g\n", math.Float64frombits(g.bits.Load()))
}

// serveGauge serves g at /metrics and returns its host:port.
func serveGauge(t *testing.T, g *gauge) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// guardedDeploy is a deploy as the guard tests read it.
type guardedDeploy struct {
	Deploy struct {
		ID, State, StateReason, FailureReason, WorkflowID, BuildID, Type, Operator string
		Paused                                                                     bool
	}
	Reasons     []struct{ State, Reason string }
	AlarmChecks []struct {
		Alarm, Kind, Source, Outcome, Threshold, Reason, Action string
		Value                                                   *float64
	}
	WebhookDeliveries []struct {
		Hook, Event, Error  string
		Attempt, StatusCode int
		Delivered           bool
	}
}

func getGuarded(t *testing.T, s *runningStack, id string) guardedDeploy {
	t.Helper()
	var d guardedDeploy
	s.call(t, "GET", "/v1/deploys/"+id, nil, 200, &d)
	return d
}

// waitFirstWave waits until exactly one host serves the deploy (one host per wave).
func waitFirstWave(t *testing.T, s *runningStack, deployID string) {
	t.Helper()
	waitFor(t, 60*time.Second, "the first host on deploy "+deployID, func() (bool, string) {
		on := servingOn(t, s, deployID)
		return len(on) == 1, strings.Join(on, ",")
	})
}

// TestPrometheusAlarmPausesFailsAndRollsBack runs a real Prometheus scraping a metric the
// test serves, and two real agents deploying one host per wave with a bake between waves.
// The metric flips mid-rollout (during the bake, which the alarm watches continuously):
// under PAUSE the deploy halts paused; under FAIL it goes FAILING with the alarm's value
// and threshold; under ROLLBACK it rolls the stage back to the last good build while the
// alarm still fires, and the rollback completes. Then the regressions: the rollback was
// not held by its own alarm; the default rollback target is never the build that set the
// alarm off; the failed deploy keeps why it failed after it was superseded.
func TestPrometheusAlarmPausesFailsAndRollsBack(t *testing.T) {
	var latency gauge
	latency.set(0.2)
	prom := startPrometheus(t, serveGauge(t, &latency))
	s := startTestStack(t, t.TempDir())
	startFleet(t, s, 2)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, 2)
	waitDeployState(t, s, d1.Deploy.ID, "SUCCEEDING")

	// A query Prometheus cannot parse is refused on save, naming the alarm.
	var refused struct {
		Error struct{ Field, Message string }
	}
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"alarms": []map[string]any{{"name": "p99", "kind": "PROMETHEUS", "query": "max(app_latency_p99_seconds{", "op": ">", "threshold": 1}},
		"alarmPolicy": map[string]any{"prometheus": map[string]any{"url": prom}}}, 400, &refused)
	if refused.Error.Field != "alarms" || !strings.Contains(refused.Error.Message, `query of alarm "p99"`) {
		t.Fatalf("a bad PromQL query was answered %+v, want a field error on alarms", refused.Error)
	}

	configure := func(onFiring string) {
		t.Helper()
		s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 1, "maxParallelPct": 0, "bakeTimeSeconds": 20,
			"alarms":      []map[string]any{{"name": "p99", "kind": "PROMETHEUS", "query": `max(app_latency_p99_seconds{env="{{env}}",stage="{{stage}}"})`, "op": ">", "threshold": 1}},
			"alarmPolicy": map[string]any{"onFiring": onFiring, "intervalSeconds": 1, "prometheus": map[string]any{"url": prom}}}, 200, nil)
	}
	// The stage page's alarm status shows the value, threshold and reason.
	configure("PAUSE")
	var status struct {
		Alarms []struct {
			Name, Outcome, Threshold, Detail string
			Value                            *float64
		}
		Policy string
	}
	waitFor(t, 30*time.Second, "the alarm's status read from Prometheus", func() (bool, string) {
		s.call(t, "GET", "/v1/envs/hello/dev/alarms", nil, 200, &status)
		a := status.Alarms[0]
		return a.Outcome == "OK" && a.Value != nil && *a.Value == 0.2 && a.Threshold == "> 1", fmt.Sprintf("%+v", status)
	})

	// PAUSE: the alarm fires during the bake after wave 1; the deploy holds, paused.
	b2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &d2)
	waitFirstWave(t, s, d2.Deploy.ID)
	latency.set(2.3)
	waitFor(t, 60*time.Second, "deploy 2 paused by the alarm", func() (bool, string) {
		d := getGuarded(t, s, d2.Deploy.ID)
		return d.Deploy.Paused && strings.Contains(d.Deploy.StateReason, "alarm p99"), d.Deploy.State + " " + d.Deploy.StateReason
	})
	if d := getGuarded(t, s, d2.Deploy.ID); d.Deploy.State != "RUNNING" || len(d.AlarmChecks) != 1 || d.AlarmChecks[0].Action != "PAUSE" ||
		d.AlarmChecks[0].Value == nil || *d.AlarmChecks[0].Value != 2.3 || d.AlarmChecks[0].Threshold != "> 1" {
		t.Errorf("paused deploy = %+v, want RUNNING, paused, with the acting bake check recorded (2.3 > 1)", d)
	}
	if on := servingOn(t, s, d2.Deploy.ID); len(on) != 1 {
		t.Errorf("hosts on build 2 after the pause: %v, want only the first wave's", on)
	}
	s.call(t, "POST", "/v1/envs/hello/dev/actions/abort", map[string]any{"description": "alarm paused it"}, 200, nil)
	waitDeployState(t, s, d2.Deploy.ID, "ABORTED")

	// FAIL: a deploy started while the alarm fires goes FAILING before admitting anyone.
	configure("FAIL")
	b3 := publishMarkerBuild(t, s, "3")
	var d3 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b3}, 201, &d3)
	waitDeployState(t, s, d3.Deploy.ID, "FAILING")
	if d := getGuarded(t, s, d3.Deploy.ID); !strings.Contains(d.Deploy.StateReason, "p99 = 2.3 > 1 (firing)") {
		t.Errorf("FAILING reason %q does not give the alarm's value and threshold", d.Deploy.StateReason)
	}
	latency.set(0.2)
	waitPrometheus(t, prom, 0.2)

	// ROLLBACK: the alarm fires in the bake after wave 1 and keeps firing; the stage rolls
	// back to build 1, the last good one, and the rollback completes regardless.
	configure("ROLLBACK")
	b4 := publishMarkerBuild(t, s, "4")
	var d4 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b4}, 201, &d4)
	waitFirstWave(t, s, d4.Deploy.ID)
	latency.set(2.3)
	rollbackID := workflows.AutoRollbackDeployID(d4.Deploy.ID)
	waitFor(t, 60*time.Second, "the automatic rollback", func() (bool, string) {
		var d deployResponse
		s.call(t, "GET", "/v1/envs/hello/dev/deploys/current", nil, 200, &d)
		return d.Deploy.ID == rollbackID, d.Deploy.ID + " " + d.Deploy.State + " " + d.Deploy.StateReason
	})
	// Regression: the rollback is not held by the alarm that asked for it.
	waitServing(t, s, rollbackID, 2)
	waitDeployState(t, s, rollbackID, "SUCCEEDING")
	rb := getGuarded(t, s, rollbackID)
	if rb.Deploy.BuildID != b1 || len(rb.AlarmChecks) != 0 {
		t.Errorf("rollback = %+v, want build 1 (the last good build) and no alarm check on it", rb)
	}
	// Regression: a rollback that names no target does not pick the build that set the
	// alarm off (build 4 SUCCEEDED on one host, then was rolled back away from).
	var none struct {
		Error struct{ Code, Message string }
	}
	s.call(t, "GET", "/v1/envs/hello/dev/rollback-target", nil, 409, &none)
	if !strings.Contains(none.Error.Message, "not rolled back away from") {
		t.Errorf("rollback target with nothing good left = %+v", none.Error)
	}
	// Regression: the FAIL deploy, superseded since, keeps why it failed, in order.
	d := getGuarded(t, s, d3.Deploy.ID)
	if d.Deploy.State != "ABORTED" || !strings.Contains(d.Deploy.FailureReason, "alarm p99 is firing") {
		t.Errorf("superseded deploy = %+v, want ABORTED with its failure reason kept", d.Deploy)
	}
	if n := len(d.Reasons); n < 2 || d.Reasons[n-2].State != "FAILING" || d.Reasons[n-1].State != "ABORTED" {
		t.Errorf("reasons = %+v, want FAILING (the alarm) then ABORTED (superseded)", d.Reasons)
	}
	if page := boardPage(t, s, "/deploys/"+d3.Deploy.ID); !strings.Contains(page, `id="alarm-checks"`) || !strings.Contains(page, "It went FAILING before: alarm p99") {
		t.Errorf("the deploy page does not show the acting check and why the deploy failed")
	}
	// The CLI says the same: the alarm's state, and why the superseded deploy failed.
	out, err := runCommand(t, "stages", "alarms", "hello", "dev", "--url", s.apiURL, "--token", s.adminToken)
	if err != nil || !strings.Contains(out, "p99") || !strings.Contains(out, "> 1") || !strings.Contains(out, "ROLLBACK") {
		t.Errorf("teletraan stages alarms = %q, %v", out, err)
	}
	out, err = runCommand(t, "deploys", "get", d3.Deploy.ID, "--url", s.apiURL, "--token", s.adminToken)
	if err != nil || !strings.Contains(out, "went FAILING before: alarm p99 is firing") || !strings.Contains(out, "FAIL: PROMETHEUS p99 (before-wave check) > 1") {
		t.Errorf("teletraan deploys get = %q, %v", out, err)
	}
	recordHistories(t, s, "guards", workflows.StageWorkflowID("hello", "dev"), d2.Deploy.WorkflowID, d3.Deploy.WorkflowID,
		d4.Deploy.WorkflowID, rb.Deploy.WorkflowID)
}

// waitPrometheus waits until Prometheus has scraped the gauge's value v.
func waitPrometheus(t *testing.T, prom string, v float64) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("prometheus to read %g", v), func() (bool, string) {
		got, err := alarmcheck.Query(context.Background(), nil, alarmcheck.Prometheus{URL: prom}, "max(app_latency_p99_seconds)")
		return err == nil && len(got) == 1 && got[0] == v, fmt.Sprint(got, err)
	})
}

// hookReceiver is a webhook endpoint run by the test: it verifies each delivery's
// signature with secret (when set) and keeps the bodies, or answers slowly.
type hookReceiver struct {
	url    string
	secret string
	delay  time.Duration
	mu     sync.Mutex
	bodies []map[string]any
	bad    int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.delay > 0 {
		select {
		case <-time.After(h.delay):
		case <-r.Context().Done():
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.secret != "" {
		// What a receiver does: HMAC-SHA256 of the raw body with the shared secret,
		// compared in constant time with the header.
		m := hmac.New(sha256.New, []byte(h.secret))
		m.Write(body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Teletraan-Signature-256"))) {
			h.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	var v map[string]any
	_ = json.Unmarshal(body, &v)
	if v == nil {
		v = map[string]any{"raw": string(body), "method": r.Method, "path": r.URL.Path, "ua": r.UserAgent()}
	}
	h.bodies = append(h.bodies, v)
}

func (h *hookReceiver) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, b := range h.bodies {
		if e, ok := b["event"].(string); ok {
			out = append(out, e)
		}
	}
	return out
}

// TestAlertsAndWebhooksOnRealAgents: webhook receivers run by the test (one verifying the
// signature, one down, one slower than its timeout, one Slack) are told about a deploy's
// events while the deploy goes on unaffected, every attempt visible on the deploy; then
// alerts posted to the stage: a token without the alert role gets 403, resolved and stale
// alerts do nothing, and a recent Alertmanager alert rolls the stage back.
func TestAlertsAndWebhooksOnRealAgents(t *testing.T) {
	signed := &hookReceiver{secret: "hook-secret-0123456789"}
	slack := &hookReceiver{}
	slow := &hookReceiver{delay: 3 * time.Second}
	for _, h := range []*hookReceiver{signed, slack, slow} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		h.url = srv.URL
	}
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	s := startTestStackWith(t, t.TempDir(), func(c *devConfig) { c.guards.webhookBackoff = 50 * time.Millisecond })
	startFleet(t, s, 2)
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 1, "maxParallelPct": 0,
		"alarmPolicy": map[string]any{"onFiring": "ROLLBACK"},
		"webhooks": []map[string]any{
			{"name": "signed", "url": signed.url, "secret": signed.secret, "headers": map[string]string{"Authorization": "Bearer hdr-tok-55"}},
			{"name": "slack", "url": slack.url, "format": "SLACK", "events": []string{"DEPLOY_SUCCEEDED"}},
			{"name": "down", "url": downURL + "/hook"},
			{"name": "slow", "url": slow.url, "timeoutSeconds": 1, "events": []string{"DEPLOY_STARTED"}},
		}}, 200, nil)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, 2)
	waitDeployState(t, s, d1.Deploy.ID, "SUCCEEDING")
	waitFor(t, 60*time.Second, "the signed receiver told of start and success", func() (bool, string) {
		ev := strings.Join(signed.events(), ",")
		return strings.HasPrefix(ev, "DEPLOY_STARTED") && strings.Contains(ev, "DEPLOY_SUCCEEDED"), ev
	})
	signed.mu.Lock()
	var body map[string]any
	for _, b := range signed.bodies {
		if b["event"] == "DEPLOY_SUCCEEDED" {
			body = b
		}
	}
	bad := signed.bad
	signed.mu.Unlock()
	links, _ := body["links"].(map[string]any)
	dep, _ := body["deploy"].(map[string]any)
	if bad != 0 || dep["id"] != d1.Deploy.ID || dep["state"] != "SUCCEEDING" || !strings.HasPrefix(fmt.Sprint(links["deploy"]), s.apiURL+"/deploys/") || links["temporal"] == nil {
		t.Errorf("signed body = %v (bad signatures %d), want the deploy, its state and links to the board and the Temporal UI", body, bad)
	}
	waitFor(t, 60*time.Second, "every delivery attempt recorded", func() (bool, string) {
		d := getGuarded(t, s, d1.Deploy.ID)
		var downTries, slowTries, gaveUp int
		for _, w := range d.WebhookDeliveries {
			switch w.Hook {
			case "down":
				downTries++
			case "slow":
				slowTries++
			}
			if strings.Contains(w.Error, "gave up after 5 attempts") {
				gaveUp++
			}
		}
		// down: 5 attempts for each of 2 events; slow: 5 attempts of its one event.
		return downTries == 10 && slowTries == 5 && gaveUp == 3, fmt.Sprintf("down %d, slow %d, gave up %d", downTries, slowTries, gaveUp)
	})
	if d := getGuarded(t, s, d1.Deploy.ID); d.Deploy.State != "SUCCEEDING" {
		t.Errorf("deploy %s after failing deliveries, want SUCCEEDING: webhooks never fail a deploy", d.Deploy.State)
	}
	if page := boardPage(t, s, "/deploys/"+d1.Deploy.ID); !strings.Contains(page, `id="webhook-deliveries"`) || !strings.Contains(page, "gave up after 5 attempts") {
		t.Errorf("the deploy page does not list the webhook deliveries and the failure")
	}
	// A loaded machine may time an attempt out mid-body and retry it; whole bodies count.
	slack.mu.Lock()
	messages := 0
	for _, b := range slack.bodies {
		if _, partial := b["raw"]; partial {
			continue
		}
		if !strings.Contains(fmt.Sprint(b["text"]), "DEPLOY_SUCCEEDED") || b["blocks"] == nil || b["event"] != nil {
			t.Errorf("slack body = %v, want a Slack message (text and blocks) of DEPLOY_SUCCEEDED only", b)
		}
		messages++
	}
	if messages == 0 {
		t.Errorf("slack bodies = %v, want the Slack message of DEPLOY_SUCCEEDED", slack.bodies)
	}
	slack.mu.Unlock()

	// Alerts. A token without the alert role may not post them.
	ctx := context.Background()
	alerter, _, err := s.store.CreateToken(ctx, schema.TokenSpec{Name: "alertmanager", Role: schema.RoleAlerter, Scope: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	publisher, _, err := s.store.CreateToken(ctx, schema.TokenSpec{Name: "ci", Role: schema.RolePublisher, Scope: "*"})
	if err != nil {
		t.Fatal(err)
	}
	b2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &d2)
	waitServing(t, s, d2.Deploy.ID, 2)
	waitDeployState(t, s, d2.Deploy.ID, "SUCCEEDING")
	post := func(token string, body any, want int) map[string]any {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, s.apiURL+"/v1/envs/hello/dev/alerts", bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != want {
			t.Fatalf("POST alerts: %d %v, want %d", resp.StatusCode, out, want)
		}
		return out
	}
	am := func(status string, starts time.Time) map[string]any {
		return map[string]any{"version": "4", "status": status, "receiver": "teletraan", "groupLabels": map[string]string{},
			"alerts": []map[string]any{{"status": status, "labels": map[string]string{"alertname": "HighLatency", "severity": "page"},
				"annotations": map[string]string{"summary": "p99 latency 2.3s > 1s"}, "startsAt": starts.UTC().Format(time.RFC3339), "fingerprint": "f00d"}}}
	}
	// teletraan rollback names its target before acting.
	out, err := runCommand(t, "rollback", "hello", "dev", "--dry-run", "--url", s.apiURL, "--token", s.adminToken)
	if err != nil || !strings.Contains(out, "back to build "+b1) || !strings.Contains(out, "of deploy "+d1.Deploy.ID) || !strings.Contains(out, "it runs build "+b2) {
		t.Errorf("teletraan rollback --dry-run = %q, %v; want it to name build 1 and deploy 1", out, err)
	}
	post(publisher, am("firing", time.Now()), http.StatusForbidden)
	post(alerter, am("resolved", time.Now().Add(-time.Minute)), http.StatusOK)
	post(alerter, am("firing", time.Now().Add(-2*time.Hour)), http.StatusOK)
	if d := getGuarded(t, s, d2.Deploy.ID); d.Deploy.State != "SUCCEEDING" || len(d.AlarmChecks) != 0 {
		t.Fatalf("deploy after a resolved and a stale alert = %s %+v, want untouched", d.Deploy.State, d.AlarmChecks)
	}
	answer := post(alerter, am("firing", time.Now().Add(-30*time.Second)), http.StatusOK)
	if a, _ := answer["alerts"].([]any); len(a) != 1 || a[0].(map[string]any)["action"] != "ROLLBACK" {
		t.Fatalf("answer to a recent firing alert = %v, want ROLLBACK", answer)
	}
	rollbackID := workflows.AutoRollbackDeployID(d2.Deploy.ID)
	waitFor(t, 60*time.Second, "the alert's rollback", func() (bool, string) {
		var d deployResponse
		s.call(t, "GET", "/v1/envs/hello/dev/deploys/current", nil, 200, &d)
		return d.Deploy.ID == rollbackID, d.Deploy.ID + " " + d.Deploy.StateReason
	})
	waitServing(t, s, rollbackID, 2)
	waitDeployState(t, s, rollbackID, "SUCCEEDING")
	if d := getGuarded(t, s, d2.Deploy.ID); !strings.Contains(d.Deploy.FailureReason, "alert HighLatency is firing: p99 latency 2.3s > 1s") ||
		len(d.AlarmChecks) != 1 || d.AlarmChecks[0].Kind != "ALERT" {
		t.Errorf("the alerted deploy = %+v, want its failure reason and the alert recorded", d)
	}
	var alerts struct {
		Alerts []struct{ Name, Status, Action string }
	}
	s.call(t, "GET", "/v1/envs/hello/dev/alerts", nil, 200, &alerts)
	if len(alerts.Alerts) != 3 || !strings.HasPrefix(alerts.Alerts[0].Action, "ROLLBACK") || !strings.Contains(alerts.Alerts[1].Action, "stale") || !strings.Contains(alerts.Alerts[2].Action, "resolved") {
		t.Errorf("recorded alerts = %+v, want the rollback, the stale and the resolved one", alerts.Alerts)
	}
	waitFor(t, 60*time.Second, "the signed receiver told of the failure and the rollback", func() (bool, string) {
		ev := strings.Join(signed.events(), ",")
		return strings.Contains(ev, "DEPLOY_FAILED") && strings.Contains(ev, "DEPLOY_ROLLED_BACK"), ev
	})
	// No webhook secret is in any workflow's history (which the Temporal UI shows).
	for _, id := range []string{workflows.StageWorkflowID("hello", "dev"), d1.Deploy.WorkflowID, d2.Deploy.WorkflowID} {
		raw, err := proto.Marshal(readHistory(t, s, id, ""))
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{signed.secret, "hdr-tok-55"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("the history of %s holds the secret %q", id, secret)
			}
		}
	}
	recordHistories(t, s, "alerts", workflows.StageWorkflowID("hello", "dev"), d1.Deploy.WorkflowID, d2.Deploy.WorkflowID,
		workflows.DeployWorkflowID(rollbackID))
}

// boardPage GETs a board page and returns its HTML.
func boardPage(t *testing.T, s *runningStack, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.apiURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Board pages need a caller: the admin token, as a script reading them would send it.
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(b)
}
