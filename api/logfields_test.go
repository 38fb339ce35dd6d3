package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// The lines logged while starting a deploy say which request, deploy, workflow and trace
// they belong to, and the token that made the call appears in none of them.
func TestDeployStartLogLinesCarryRequestDeployWorkflowAndTraceIDs(t *testing.T) {
	// What every binary does at start: W3C propagation, with export off.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_SERVICE_NAME", "")
	if _, err := telemetry.SetupTracing(context.Background(), "teletraan-test"); err != nil {
		t.Fatal(err)
	}
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "abc1234")
	rec := a.callWith(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`,
		http.Header{"Authorization": {"Bearer " + a.secret}, "X-Request-ID": {"req-7"}, "Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	wantStatus(t, rec, http.StatusCreated)
	var answer struct {
		Deploy struct{ ID, WorkflowID string }
	}
	err := json.Unmarshal(rec.Body.Bytes(), &answer)
	d := answer.Deploy
	if err != nil || d.ID == "" {
		t.Fatalf("deploy answer %s: %v", rec.Body, err)
	}

	found := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(a.logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if line["request_id"] == "req-7" {
			found[line["msg"].(string)] = line
		}
		if strings.Contains(sc.Text(), a.secret) {
			t.Errorf("a log line carries the caller's token: %s", sc.Text())
		}
	}
	for _, msg := range []string{"deploy started", "http request"} {
		line, ok := found[msg]
		if !ok {
			t.Errorf("no %q line for request req-7 in\n%s", msg, a.logs.String())
			continue
		}
		for k, want := range map[string]any{"deploy_id": d.ID, "workflow_id": d.WorkflowID, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"} {
			if line[k] != want {
				t.Errorf("%q line: %s = %v, want %v", msg, k, line[k], want)
			}
		}
	}
}
