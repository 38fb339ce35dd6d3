package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func runCommand(t testing.TB, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestServerAndWorkerRefuseABadDatabase(t *testing.T) {
	t.Setenv("TELETRAAN_DB_DSN", "")
	empty := "sqlite:" + filepath.Join(t.TempDir(), "empty.db")
	for _, verb := range []string{"server", "worker"} {
		_, err := runCommand(t, verb)
		if err == nil || !strings.Contains(err.Error(), "TELETRAAN_DB_DSN") {
			t.Errorf("%s without a DSN: %v", verb, err)
		}
		_, err = runCommand(t, verb, "--db-dsn", "root@tcp(127.0.0.1:1)/teletraan?timeout=1s")
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("%s with an unreachable database: %v", verb, err)
		}
		_, err = runCommand(t, verb, "--db-dsn", empty)
		if err == nil || !strings.Contains(err.Error(), "refusing to start") || !strings.Contains(err.Error(), "teletraan migrate") {
			t.Errorf("%s with a schema behind: %v", verb, err)
		}
	}
}

func TestMigrateThenServerNeedsTemporal(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "app.db")
	out, err := runCommand(t, "migrate", "--db-dsn", dsn)
	if err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("first migrate: %q, %v", out, err)
	}
	out, err = runCommand(t, "migrate", "--db-dsn", dsn)
	if err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %q, %v", out, err)
	}
	_, err = runCommand(t, "server", "--db-dsn", dsn, "--temporal-address", "127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("server without Temporal: %v", err)
	}
}

func TestTokenCommands(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "app.db")
	if _, err := runCommand(t, "migrate", "--db-dsn", dsn); err != nil {
		t.Fatal(err)
	}
	secret, err := runCommand(t, "token", "create", "ci", "--role", "PUBLISHER", "--db-dsn", dsn)
	if err != nil || !strings.HasPrefix(secret, "tt_") {
		t.Fatalf("token create: %q, %v", secret, err)
	}
	list, err := runCommand(t, "token", "list", "--db-dsn", dsn)
	if err != nil || !strings.Contains(list, "ci") || !strings.Contains(list, "PUBLISHER") || strings.Contains(list, strings.TrimSpace(secret)) {
		t.Fatalf("token list: %q, %v", list, err)
	}
	if _, err := runCommand(t, "token", "create", "x", "--role", "KING", "--db-dsn", dsn); err == nil || !strings.Contains(err.Error(), "role") {
		t.Fatalf("bad role: %v", err)
	}
	if _, err := runCommand(t, "token", "revoke", "ci", "--db-dsn", dsn); err != nil {
		t.Fatal(err)
	}
	if _, err := runCommand(t, "token", "revoke", "ci", "--db-dsn", dsn); err == nil {
		t.Fatal("revoking twice succeeded")
	}
}

func TestBadGlobalFlags(t *testing.T) {
	if _, err := runCommand(t, "--log-level", "loud", "worker"); err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Fatalf("bad log level: %v", err)
	}
}

func TestTokenCommandsFindTheDevStacksDatabase(t *testing.T) {
	t.Setenv("TELETRAAN_DB_DSN", "")
	dir := t.TempDir()
	if _, err := runCommand(t, "token", "list", "--data-dir", dir); err == nil ||
		!strings.Contains(err.Error(), "set TELETRAAN_DB_DSN") || !strings.Contains(err.Error(), "no "+filepath.Join(dir, devDBFile)+" here") {
		t.Fatalf("token list with no database anywhere: %v", err)
	}
	if _, err := runCommand(t, "migrate", "--db-dsn", "sqlite:"+filepath.Join(dir, devDBFile)); err != nil {
		t.Fatal(err)
	}
	out, err := runCommand(t, "token", "create", "laptop", "--role", "OPERATOR", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "using the dev stack's database "+filepath.Join(dir, devDBFile)) || !strings.Contains(out, "\ntt_") {
		t.Fatalf("token create beside the dev stack: %v\n%s", err, out)
	}
	if out, err := runCommand(t, "token", "list", "--data-dir", dir); err != nil || !strings.Contains(out, "laptop") {
		t.Fatalf("token list beside the dev stack: %v\n%s", err, out)
	}
}

// Every command a person runs shows an example in its --help; only the noun commands that
// group verbs, hidden commands the binary runs itself (simulate-shard), and cobra's own help
// and completion need none.
func TestEveryVerbHasAnExample(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.Hidden && c.Example == "" && c.Name() != "help" && !strings.HasPrefix(c.CommandPath(), "teletraan completion") {
			t.Errorf("%s has no Example in its --help", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := newRootCommand()
	root.InitDefaultCompletionCmd()
	walk(root)
}
