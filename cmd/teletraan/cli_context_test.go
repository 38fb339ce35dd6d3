package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestContextsNameAServerAndItsToken(t *testing.T) {
	srv := newListAPI(t)
	secret := os.Getenv("TELETRAAN_TOKEN")
	t.Setenv("TELETRAAN_TOKEN", "")
	t.Setenv("TELETRAAN_URL", "")
	t.Setenv("TELETRAAN_CONTEXT", "")
	config := filepath.Join(t.TempDir(), "teletraan", "config.yaml")
	t.Setenv("TELETRAAN_CONFIG", config)

	if out, err := runCommand(t, "context", "set", "test", "--url", srv.URL+"/", "--token", secret); err != nil || !strings.Contains(out, "context test: "+srv.URL+" ") {
		t.Fatalf("context set: %v\n%s", err, out)
	}
	fi, err := os.Stat(config)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file %s: %v, mode %v; want 0600", config, err, fi.Mode())
	}
	// The first context becomes the current one: verbs need neither --url nor --token.
	if out, err := runCommand(t, "stages", "create", "hello", "beta"); err != nil || !strings.Contains(out, "hello/beta") {
		t.Fatalf("stages create through the current context: %v\n%s", err, out)
	}
	if out, err := runCommand(t, "context", "set", "other", "--url", "http://127.0.0.1:1"); err != nil || !strings.Contains(out, "context other") {
		t.Fatalf("context set other: %v\n%s", err, out)
	}
	out, err := runCommand(t, "context", "list")
	if err != nil || !strings.Contains(out, "*  test") || strings.Contains(out, secret) || !strings.Contains(out, "set") {
		t.Fatalf("context list (current marked, token never printed): %v\n%s", err, out)
	}
	if _, err := runCommand(t, "stages", "list", "--context", "other"); err == nil || !strings.Contains(err.Error(), "cannot reach the Teletraan API at http://127.0.0.1:1") {
		t.Fatalf("--context other: %v", err)
	}
	if _, err := runCommand(t, "stages", "list", "--context", "nope"); err == nil || !strings.Contains(err.Error(), `no context named "nope"`) {
		t.Fatalf("--context nope: %v", err)
	}
	if out, err := runCommand(t, "context", "use", "other"); err != nil || !strings.Contains(out, "now using context other") {
		t.Fatalf("context use: %v\n%s", err, out)
	}
	// --url beats the context.
	if out, err := runCommand(t, "stages", "list", "--url", srv.URL, "--token", secret); err != nil || !strings.Contains(out, "hello/beta") {
		t.Fatalf("--url over the current context: %v\n%s", err, out)
	}
	// A config file others may read is refused while it holds a token.
	if err := os.Chmod(config, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCommand(t, "context", "list"); err == nil || !strings.Contains(err.Error(), "run chmod 600") {
		t.Fatalf("a world-readable config with tokens: %v", err)
	}
	if err := os.Chmod(config, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := runCommand(t, "context", "delete", "test"); err != nil || !strings.Contains(out, "deleted context test") {
		t.Fatalf("context delete: %v\n%s", err, out)
	}
	if err := os.WriteFile(config, []byte("current: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCommand(t, "stages", "list"); err == nil || !strings.Contains(err.Error(), "is not valid YAML") {
		t.Fatalf("a broken config file: %v", err)
	}
}
