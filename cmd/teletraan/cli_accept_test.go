package main

import (
	"os"
	"strings"
	"testing"
)

func TestVerdictVerbsSayWhyNot(t *testing.T) {
	srv := newListAPI(t)
	out, err := runCommand(t, "deploys", "get", "d1", "--url", srv.URL)
	if err != nil || !strings.Contains(out, "acceptance: no acceptance configured") {
		t.Fatalf("deploys get: %v\n%s", err, out)
	}
	if _, err := runCommand(t, "accept", "d1", "--reason", "fine", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "is not waiting for a verdict") || !strings.Contains(err.Error(), "(HTTP 409)") {
		t.Fatalf("accept of a deploy without acceptance: %v", err)
	}
	if _, err := runCommand(t, "reject", "nope", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "(HTTP 404)") {
		t.Fatalf("reject of a missing deploy: %v", err)
	}
}

func TestStagesUpdateSetsAcceptance(t *testing.T) {
	srv := newListAPI(t)
	file := t.TempDir() + "/acceptance.json"
	if err := os.WriteFile(file, []byte(`{"bakeSeconds": 60, "external": {"deadlineSeconds": 3600}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCommand(t, "stages", "update", "hello", "prod", "--acceptance", "@"+file, "--url", srv.URL)
	if err != nil || !strings.Contains(out, "bake 1m0s, then an external verdict within 1h0m0s") {
		t.Fatalf("stages update --acceptance @file: %v\n%s", err, out)
	}
	if _, err := runCommand(t, "stages", "update", "hello", "prod", "--acceptance", `{"http":[{"url":"ftp://x"}]}`, "--url", srv.URL); err == nil ||
		!strings.Contains(err.Error(), "acceptance.http[0].url") || !strings.Contains(err.Error(), "(HTTP 400)") {
		t.Fatalf("an invalid acceptance: %v", err)
	}
	if _, err := runCommand(t, "stages", "update", "hello", "prod", "--acceptance", `not json`, "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "--acceptance must be a JSON object") {
		t.Fatalf("--acceptance not json: %v", err)
	}
	out, err = runCommand(t, "stages", "update", "hello", "prod", "--acceptance", "{}", "--url", srv.URL)
	if err != nil || !strings.Contains(out, "ACCEPTANCE") || !strings.Contains(out, "none") {
		t.Fatalf("stages update --acceptance {}: %v\n%s", err, out)
	}
}
