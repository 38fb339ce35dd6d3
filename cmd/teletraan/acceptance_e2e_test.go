package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// acceptanceOf reads a deploy's acceptance through the API.
func acceptanceOf(t *testing.T, s *runningStack, id string) api.DeployAcceptance {
	t.Helper()
	var v struct {
		Deploy struct{ Acceptance api.DeployAcceptance }
	}
	s.call(t, "GET", "/v1/deploys/"+id, nil, 200, &v)
	return v.Deploy.Acceptance
}

func waitAcceptance(t *testing.T, s *runningStack, id, status string) api.DeployAcceptance {
	t.Helper()
	var a api.DeployAcceptance
	waitFor(t, 90*time.Second, "deploy "+id+" acceptance "+status, func() (bool, string) {
		a = acceptanceOf(t, s, id)
		return a.Status == status, a.Status + " " + a.Summary
	})
	return a
}

// tryCall sends a request and returns its status and body, for answers that may change.
func tryCall(s *runningStack, method, path string, body any) (int, string) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.apiURL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestAcceptanceOnRealAgents qualifies deploys made by two real agents running real
// scripts: HTTP checks against a server the test runs (one URL, and each serving host), a
// command run by the worker, then an external verdict given through the API, with a
// qualification superseded by a newer deploy on the way. With TELETRAAN_RECORD_HISTORIES
// set, the stage's and the qualifications' histories join the replay corpus.
func TestAcceptanceOnRealAgents(t *testing.T) {
	var asked atomic.Int32
	checks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		fmt.Fprintf(w, "ok %s", r.URL.Path)
	}))
	defer checks.Close()
	s := startTestStackWith(t, t.TempDir(), func(c *devConfig) { c.allowCommands = true })
	startFleet(t, s, 2)

	// A command acceptance is saved once the worker that runs commands polls.
	acceptance := map[string]any{
		"bakeSeconds": 1,
		"http": []map[string]any{
			{"name": "health", "url": checks.URL + "/health/{deploy}", "bodyContains": "ok /health/", "everySeconds": 1, "forSeconds": 2},
			{"name": "hosts", "url": checks.URL + "/host/{host}", "eachHost": true},
		},
		"command": map[string]any{"run": `test "$TELETRAAN_STAGE" = dev && echo "suite passed for $TELETRAAN_DEPLOY_ID"`, "timeoutSeconds": 60},
	}
	waitFor(t, 30*time.Second, "the stage to take a command acceptance", func() (bool, string) {
		code, body := tryCall(s, "PUT", "/v1/envs/hello/dev", map[string]any{"bakeTimeSeconds": 0, "acceptance": acceptance})
		return code == 200, body
	})
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	a := waitAcceptance(t, s, d1.Deploy.ID, "ACCEPTED")
	kinds := map[string]bool{}
	for _, ev := range a.Evidence {
		kinds[ev.Kind+"/"+ev.Name] = ev.Passed
		if ev.Kind == "command" && (!strings.Contains(ev.Output, "suite passed for "+d1.Deploy.ID) || ev.ExitCode == nil || *ev.ExitCode != 0) {
			t.Errorf("command evidence = %+v", ev)
		}
	}
	if !kinds["bake/bake"] || !kinds["http/health"] || !kinds["http/hosts"] || !kinds["command/command"] {
		t.Errorf("evidence = %+v, want the bake, both HTTP checks and the command passed", a.Evidence)
	}
	if asked.Load() < 5 { // 3 rounds of health, one per serving host
		t.Errorf("the check server was asked %d times, want at least 5", asked.Load())
	}

	// External verdicts: a pending qualification superseded, then one rejected by hand.
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"acceptance": map[string]any{"external": map[string]any{"deadlineSeconds": 600}}}, 200, nil)
	b2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &d2)
	waitAcceptance(t, s, d2.Deploy.ID, "PENDING_ACCEPT")
	b3 := publishMarkerBuild(t, s, "3")
	var d3 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b3}, 201, &d3)
	if a := waitAcceptance(t, s, d2.Deploy.ID, "SUPERSEDED"); !strings.Contains(a.Summary, "superseded by deploy "+d3.Deploy.ID) {
		t.Errorf("superseded acceptance = %+v", a)
	}
	waitAcceptance(t, s, d3.Deploy.ID, "PENDING_ACCEPT")
	s.call(t, "PUT", "/v1/deploys/"+d3.Deploy.ID+"/acceptance", map[string]any{"status": "REJECTED", "reason": "error rate up"}, 200, nil)
	a = waitAcceptance(t, s, d3.Deploy.ID, "REJECTED")
	if a.DecidedBy != "admin" || !strings.Contains(a.Summary, "error rate up") || !strings.Contains(a.Summary, "onFailure is WAIT") {
		t.Errorf("rejected acceptance = %+v", a)
	}
	if code, body := tryCall(s, "PUT", "/v1/deploys/"+d3.Deploy.ID+"/acceptance", map[string]any{"status": "ACCEPTED"}); code != 409 || !strings.Contains(body, "not waiting for a verdict") {
		t.Errorf("a second verdict: %d %s", code, body)
	}
	recordHistories(t, s, "qualify", workflows.StageWorkflowID("hello", "dev"), workflows.QualifyWorkflowID(d1.Deploy.ID),
		workflows.QualifyWorkflowID(d2.Deploy.ID), workflows.QualifyWorkflowID(d3.Deploy.ID))
}
