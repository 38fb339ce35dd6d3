package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestTagVerbsTagListAndGuardDeploys(t *testing.T) {
	srv := newListAPI(t)
	run := func(args ...string) (string, error) {
		t.Helper()
		return runCommand(t, append(args, "--url", srv.URL)...)
	}
	out, err := run("builds", "list", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Builds []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list.Builds) != 1 {
		t.Fatalf("builds list: %v\n%s", err, out)
	}
	id := list.Builds[0].ID

	if _, err := run("tag", id, "ugly"); err == nil || !strings.Contains(err.Error(), `the tag must be bad, good or certified, not "ugly"`) {
		t.Fatalf("tag ugly: %v", err)
	}
	out, err = run("tag", id, "bad", "--reason", "crashes on start")
	if err != nil || !strings.Contains(out, "build "+id+" tagged BAD by ops") {
		t.Fatalf("tag bad: %v\n%s", err, out)
	}
	if out, err = run("builds", "list"); err != nil || !strings.Contains(out, "TAG") || !strings.Contains(out, "BAD") {
		t.Fatalf("builds list after the tag: %v\n%s", err, out)
	}
	out, err = run("builds", "tags", id)
	if err != nil || !strings.Contains(out, "effective: BAD by ops: crashes on start") || !strings.Contains(out, "crashes on start") {
		t.Fatalf("builds tags: %v\n%s", err, out)
	}
	// Deploying it by hand is refused, saying why and who tagged it, until --force.
	if _, err = run("deploy", "hello", "prod", "--build", id); err == nil || !strings.Contains(err.Error(), "is tagged BAD by ops") ||
		!strings.Contains(err.Error(), `"crashes on start"`) || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), "(HTTP 409)") {
		t.Fatalf("deploy of a bad build: %v", err)
	}
	// This API runs without a workflow layer: past the tag check, --force reaches it.
	if _, err = run("deploy", "hello", "prod", "--build", id, "--force"); err == nil || !strings.Contains(err.Error(), "without a workflow layer") {
		t.Fatalf("forced deploy of a bad build: %v", err)
	}
	if out, err = run("tag", id, "good", "--reason", "false alarm"); err != nil || !strings.Contains(out, "tagged GOOD") {
		t.Fatalf("tag good: %v\n%s", err, out)
	}
	if out, err = run("builds", "tags", id); err != nil || !strings.Contains(out, "effective: GOOD by ops") {
		t.Fatalf("builds tags after GOOD: %v\n%s", err, out)
	}
}
