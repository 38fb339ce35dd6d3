package telemetry_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	_ "modernc.org/sqlite"

	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// recorder returns a tracer provider whose ended spans the returned recorder holds.
func recorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

// Export is off unless the standard variables ask for it, and their opt-outs win.
func TestTracingEnabledFollowsTheStandardVariables(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}, true},
		{map[string]string{"OTEL_SERVICE_NAME": "teletraan-eu"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_TRACES_EXPORTER": "none"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_SDK_DISABLED": "true"}, false},
	} {
		for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SERVICE_NAME", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"} {
			t.Setenv(k, tc.env[k])
		}
		if got := telemetry.TracingEnabled(); got != tc.want {
			t.Errorf("TracingEnabled() with %v = %v, want %v", tc.env, got, tc.want)
		}
	}
}

// A protocol this build cannot speak is refused at start with what to set instead, rather
// than spans vanishing into a collector port that expects another protocol.
func TestSetupTracingRefusesAnUnknownProtocol(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	_, err := telemetry.SetupTracing(context.Background(), "teletraan-test")
	if err == nil || !strings.Contains(err.Error(), "http/protobuf") {
		t.Fatalf("SetupTracing with OTEL_EXPORTER_OTLP_PROTOCOL=http/json: %v", err)
	}
}

// OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf sends spans over OTLP/HTTP: a collector
// stand-in on the endpoint receives them at /v1/traces.
func TestSetupTracingExportsOverHTTP(t *testing.T) {
	got := make(chan string, 10)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	tr, err := telemetry.SetupTracing(context.Background(), "teletraan-test")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Protocol() != "http/protobuf" {
		t.Fatalf("Protocol() = %q", tr.Protocol())
	}
	_, span := otel.Tracer("test").Start(context.Background(), "one span")
	span.End()
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-got:
		if req != "POST /v1/traces application/x-protobuf" {
			t.Errorf("the collector got %q", req)
		}
	default:
		t.Fatal("no span reached the OTLP/HTTP collector")
	}
}

// With export on, SetupTracing builds a provider that records spans and shuts down
// cleanly; the exporter dials lazily, so no collector needs to run.
func TestSetupTracingWithAnEndpointRecords(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	tr, err := telemetry.SetupTracing(context.Background(), "teletraan-test")
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Enabled() || tr.Endpoint() != "http://127.0.0.1:1" {
		t.Fatalf("Enabled() = %v, Endpoint() = %q", tr.Enabled(), tr.Endpoint())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing listens: do not wait for the flush
	_ = tr.Shutdown(ctx)
}

// The middleware continues an incoming traceparent (an agent's ping) and names the span
// by route pattern, not by path.
func TestGinTracingContinuesTheCallersTrace(t *testing.T) {
	tp, rec := recorder(t)
	// The propagator SetupTracing installs in every process.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_SERVICE_NAME", "")
	if _, err := telemetry.SetupTracing(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(telemetry.GinTracing(tp))
	var inHandler trace.SpanContext
	e.GET("/v1/deploys/:id", func(c *gin.Context) {
		inHandler = trace.SpanContextFromContext(c.Request.Context())
		c.Status(http.StatusInternalServerError)
	})
	req := httptest.NewRequest("GET", "/v1/deploys/d-42", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	e.ServeHTTP(httptest.NewRecorder(), req)

	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "GET /v1/deploys/:id" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v", s.Name(), s.SpanKind())
	}
	if s.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span did not continue the traceparent: trace %s parent %s", s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	if inHandler.SpanID() != s.SpanContext().SpanID() {
		t.Errorf("the handler's context does not carry the request span")
	}
	if s.Status().Code.String() != "Error" {
		t.Errorf("a 500 left the span's status %v", s.Status())
	}
}

// Queries inside a recorded trace become child spans naming operation and table but not
// the query text, and queries outside any trace record nothing.
func TestBunTracingRecordsQueriesInsideATraceOnly(t *testing.T) {
	tp, rec := recorder(t)
	sqldb, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	t.Cleanup(func() { _ = db.Close() })
	db.AddQueryHook(&telemetry.BunTracing{System: "sqlite", Provider: tp})
	type secretRow struct {
		bun.BaseModel `bun:"table:secrets"`
		Value         string `bun:"value"`
	}
	ctx := context.Background()
	if _, err := db.NewCreateTable().Model((*secretRow)(nil)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("a query outside any trace made %d spans", n)
	}
	ctx, parent := tp.Tracer("test").Start(ctx, "request")
	if _, err := db.NewInsert().Model(&secretRow{Value: "hunter2"}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	var missing secretRow
	_ = db.NewSelect().Model(&missing).Where("value = ?", "nope").Scan(ctx)
	parent.End()

	var names []string
	for _, s := range rec.Ended() {
		if s.Name() == "request" {
			continue
		}
		names = append(names, s.Name())
		if s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %s is not a child of the request", s.Name())
		}
		if s.Status().Code.String() == "Error" {
			t.Errorf("span %s failed: %v (a row not found is no failure)", s.Name(), s.Status())
		}
		for _, a := range s.Attributes() {
			if bytes.Contains([]byte(a.Value.Emit()), []byte("hunter2")) {
				t.Errorf("span %s attribute %s carries a query value", s.Name(), a.Key)
			}
		}
	}
	if len(names) != 2 || names[0] != "INSERT secrets" || names[1] != "SELECT secrets" {
		t.Errorf("query spans %v, want [INSERT secrets SELECT secrets]", names)
	}
}

// Log lines written with a context carry its span's ids and its WithLogAttrs fields.
func TestContextHandlerAddsTraceAndContextFields(t *testing.T) {
	tp, _ := recorder(t)
	var buf bytes.Buffer
	logger := slog.New(telemetry.NewContextHandler(telemetry.NewContextHandler(slog.NewJSONHandler(&buf, nil))))
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	defer span.End()
	ctx = telemetry.WithLogAttrs(ctx, slog.String("request_id", "r-1"))
	ctx = telemetry.WithLogAttrs(ctx, slog.String("deploy_id", "d-1"))
	logger.InfoContext(ctx, "deploy started")
	logger.Info("no context")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var first map[string]any
	if err := json.Unmarshal(lines[0], &first); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"request_id": "r-1", "deploy_id": "d-1",
		"trace_id": span.SpanContext().TraceID().String(), "span_id": span.SpanContext().SpanID().String()}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("%s = %v, want %v (line %s)", k, first[k], v, lines[0])
		}
	}
	if bytes.Count(lines[0], []byte(`"trace_id"`)) != 1 {
		t.Errorf("wrapping twice wrote trace_id twice: %s", lines[0])
	}
	if bytes.Contains(lines[1], []byte("trace_id")) {
		t.Errorf("a line without a context has a trace id: %s", lines[1])
	}
}
