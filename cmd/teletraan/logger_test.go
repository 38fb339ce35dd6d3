package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	sdklog "go.temporal.io/sdk/log"

	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// --log-format json writes one JSON object per line with the request's fields, and the
// Temporal SDK's workflow keys come out in the service's snake_case; text stays text.
func TestLoggerFormatsAndFields(t *testing.T) {
	var buf bytes.Buffer
	logger, err := newLogger(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	ctx := telemetry.WithLogAttrs(context.Background(), slog.String("deploy_id", "d-1"))
	logger.InfoContext(ctx, "deploy started")
	sdklog.With(sdklog.NewStructuredLogger(logger), "WorkflowID", "deploy/d-1", "RunID", "r-1").Info("workflow line")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatalf("not JSON: %s", lines[0])
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatalf("not JSON: %s", lines[1])
	}
	if first["deploy_id"] != "d-1" {
		t.Errorf("the context's deploy_id is missing: %s", lines[0])
	}
	if second["workflow_id"] != "deploy/d-1" || second["run_id"] != "r-1" {
		t.Errorf("the SDK's keys were not renamed: %s", lines[1])
	}

	buf.Reset()
	if logger, err = newLogger(&buf, "text", slog.LevelInfo); err != nil {
		t.Fatal(err)
	}
	logger.Info("hello", "k", "v")
	if !strings.Contains(buf.String(), "msg=hello k=v") {
		t.Errorf("text format wrote %q", buf.String())
	}
	if _, err := newLogger(&buf, "xml", slog.LevelInfo); err == nil {
		t.Error("--log-format xml was accepted")
	}
}
