package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// An API call that starts a deploy is one trace: the HTTP server span, the Temporal
// client's update-with-start span, the database queries, and on the worker the stage
// workflow's handling of that update (the client's tracing interceptor serves the worker
// too). An agent's traceparent is continued by the HTTP span.
func TestStartingADeployIsOneTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = tp.Shutdown(context.Background())
	})

	s := startTestStack(t, t.TempDir())
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod"}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1"}}, 200, nil)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://artifacts.example.com/hello-1.tar.gz", "commit": "abcdef1234"}, 201, &build)
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, nil)

	var deployTrace trace.TraceID
	for _, sp := range rec.Ended() {
		if sp.Name() == "POST /v1/envs/:env/:stage/deploys" {
			deployTrace = sp.SpanContext().TraceID()
		}
	}
	if !deployTrace.IsValid() {
		t.Fatalf("no HTTP span for the deploy request among %v", spanNames(rec.Ended()))
	}
	want := map[string]bool{"http": false, "temporal client": false, "db": false, "worker": false}
	var inTrace []string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		inTrace = nil
		for _, sp := range rec.Ended() {
			if sp.SpanContext().TraceID() != deployTrace {
				continue
			}
			name := sp.Name()
			inTrace = append(inTrace, name)
			switch {
			case name == "POST /v1/envs/:env/:stage/deploys":
				want["http"] = true
			case strings.HasPrefix(name, "UpdateWithStartWorkflow:"):
				want["temporal client"] = true
			case strings.HasPrefix(name, "SELECT ") || strings.HasPrefix(name, "INSERT ") || strings.HasPrefix(name, "UPDATE "):
				want["db"] = true
			case strings.HasPrefix(name, "HandleUpdate:") || strings.HasPrefix(name, "ValidateUpdate:") || strings.HasPrefix(name, "RunWorkflow:"):
				want["worker"] = true
			}
		}
		if want["http"] && want["temporal client"] && want["db"] && want["worker"] {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for part, ok := range want {
		if !ok {
			t.Errorf("the deploy's trace has no %s span; it has %v", part, inTrace)
		}
	}

	// An agent's ping: the server's span continues the trace the agent's header names.
	req, _ := http.NewRequest("POST", s.apiURL+"/v1/system/ping", bytes.NewReader([]byte(`{}`)))
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	continued := false
	for deadline := time.Now().Add(10 * time.Second); !continued && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, sp := range rec.Ended() {
			if sp.Name() == "POST /v1/system/ping" && sp.SpanContext().TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" &&
				sp.Parent().SpanID().String() == "00f067aa0ba902b7" {
				continued = true
			}
		}
	}
	if !continued {
		t.Errorf("no ping span continues the agent's traceparent among %v", spanNames(rec.Ended()))
	}
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, sp := range spans {
		out[i] = sp.Name()
	}
	return out
}
