package main

import (
	"strings"
	"testing"
)

func TestStageBuildAndCapacityVerbsChangeTheStore(t *testing.T) {
	srv := newListAPI(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := runCommand(t, append(args, "--url", srv.URL)...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}
	out := run("stages", "create", "hello", "canary", "--max-parallel-pct", "25", "--stuck-timeout", "15m", "--var", "PORT=8080")
	if !strings.Contains(out, "hello/canary") || !strings.Contains(out, "25%") || !strings.Contains(out, "15m0s") {
		t.Fatalf("stages create:\n%s", out)
	}
	out = run("stages", "update", "hello", "canary", "--bake-time", "90s", "-o", "json")
	if !strings.Contains(out, `"bakeTimeSeconds": 90`) || !strings.Contains(out, `"maxParallelPct": 25`) || !strings.Contains(out, `"PORT": "8080"`) {
		t.Fatalf("stages update changed more than --bake-time, or not it:\n%s", out)
	}
	if out = run("stages", "get", "hello", "canary"); !strings.Contains(out, "1m30s") {
		t.Fatalf("stages get:\n%s", out)
	}
	out = run("capacity", "set", "hello", "canary", "--hosts", "web-9,web-8", "--groups", "canary-asg")
	if !strings.Contains(out, "web-8, web-9") || !strings.Contains(out, "canary-asg") {
		t.Fatalf("capacity set:\n%s", out)
	}
	if out = run("capacity", "get", "hello", "canary", "-o", "json"); !strings.Contains(out, `"web-8"`) {
		t.Fatalf("capacity get:\n%s", out)
	}
	out = run("builds", "publish", "--name", "hello", "--artifact-url", "https://example.com/h2.tar.gz", "--commit", "abcdef12", "--branch", "main")
	if !strings.Contains(out, "published build ") || !strings.Contains(out, "hello main@abcdef1") {
		t.Fatalf("builds publish:\n%s", out)
	}
	if out = run("builds", "list", "--commit", "abcdef12"); !strings.Contains(out, "main@abcdef1") {
		t.Fatalf("builds list after publish:\n%s", out)
	}
	// Every change above is in the audit trail, newest first, with who made it.
	out = run("audit", "--env", "hello", "--since", "1h")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "PUT /v1/envs/hello/canary/capacity") || !strings.Contains(lines[1], "ops") ||
		!strings.Contains(lines[3], "POST /v1/envs") || !strings.Contains(lines[3], "201") {
		t.Fatalf("audit --env hello:\n%s", out)
	}
	if _, err := runCommand(t, "audit", "--since", "last week", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "--since must be an RFC 3339 time") {
		t.Fatalf("audit --since 'last week': %v", err)
	}
	if _, err := runCommand(t, "stages", "delete", "hello", "canary", "--yes", "hello/prod", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "--yes hello/canary is required") {
		t.Fatalf("stages delete with the wrong --yes: %v", err)
	}
	if out = run("stages", "delete", "hello", "canary", "--yes", "hello/canary"); !strings.Contains(out, "deleted stage hello/canary") {
		t.Fatalf("stages delete:\n%s", out)
	}
	if _, err := runCommand(t, "stages", "get", "hello", "canary", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "(HTTP 404)") {
		t.Fatalf("stages get after delete: %v", err)
	}
}

func TestWriteVerbsSayWhatIsWrongInCommandLineTerms(t *testing.T) {
	srv := newListAPI(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stages", "update", "hello", "prod"}, "nothing to change: give at least one flag"},
		{[]string{"stages", "create", "hello", "x", "--stuck-timeout", "1500ms"}, "--stuck-timeout must be a whole number of seconds"},
		{[]string{"stages", "create", "hello", "x", "--var", "PORT"}, `--var must be KEY=VALUE, not "PORT"`},
		{[]string{"capacity", "set", "hello", "prod"}, "give --hosts, --groups or both"},
		{[]string{"builds", "publish", "--name", "hello"}, "--name and --artifact-url are required"},
		{[]string{"builds", "publish", "--name", "hello", "--artifact-url", "https://x/y.tgz", "--commit-date", "yesterday"}, "--commit-date must be an RFC 3339 time"},
		// The server's refusal, by field: the CLI repeats it.
		{[]string{"stages", "create", "hello", "prod"}, "stage hello/prod already exists (HTTP 409)"},
		{[]string{"stages", "update", "hello", "prod", "--success-threshold", "150"}, "successThreshold: must be a percent between 0 and 100, got 150 (HTTP 400)"},
	} {
		_, err := runCommand(t, append(tc.args, "--url", srv.URL)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}

func TestHostVerbsActOnOneHost(t *testing.T) {
	srv := newListAPI(t)
	for _, tc := range []struct{ verb, want string }{
		{"retry", "agent state RESET"},
		{"exclude", "agent state PAUSED_BY_USER"},
		{"resume", "agent state NORMAL"},
		{"pause", "agent state PAUSED_IN_DEPLOY"},
	} {
		out, err := runCommand(t, "hosts", tc.verb, "hello", "prod", "web-1", "--url", srv.URL, "--description", "testing")
		if err != nil || !strings.Contains(out, "web-1: ") || !strings.Contains(out, tc.want) {
			t.Fatalf("hosts %s: %v\n%s", tc.verb, err, out)
		}
	}
	// A host that never pinged has nothing to act on: the server's refusal, repeated.
	if _, err := runCommand(t, "hosts", "exclude", "hello", "prod", "web-2", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "never pinged") {
		t.Fatalf("hosts exclude of a never-seen host: %v", err)
	}
}

func TestStagesStopStopsTheHostsThatDeployed(t *testing.T) {
	srv := newListAPI(t)
	if _, err := runCommand(t, "stages", "stop", "hello", "prod", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "--yes hello/prod is required") {
		t.Fatalf("stages stop without --yes: %v", err)
	}
	out, err := runCommand(t, "stages", "stop", "hello", "prod", "--yes", "hello/prod", "--url", srv.URL)
	if err != nil || !strings.Contains(out, "stopping 1 host(s): web-1") || !strings.Contains(out, "skipped web-2: has not deployed in the stage") {
		t.Fatalf("stages stop: %v\n%s", err, out)
	}
}
