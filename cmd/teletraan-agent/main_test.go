package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const module = "github.com/teletraan-on-temporal/teletraan"

// The agent runs on every host: it must link only the standard library and the agent's
// own packages, never the service's Temporal, gin or bun.
func TestLinksOnlyTheStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if !strings.HasPrefix(pkg, module+"/agent") && pkg != module+"/cmd/teletraan-agent" {
			t.Errorf("teletraan-agent depends on %s; only the standard library and agent packages are allowed", pkg)
		}
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.conf")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFileAndFlags(t *testing.T) {
	dir := t.TempDir()
	conf := writeConfig(t, `
# comment
server = http://teletraan.test:8080/
token = from-file
groups = web, web-canary
agent-dir = `+dir+`
ping-interval = 45s
wait = 0
download-allowlist = a.example.com,b.example.com
host-id = i-123
`)
	cfg, opts, err := parse([]string{"--config", conf, "--token", "from-flag", "--once"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerURL != "http://teletraan.test:8080" || cfg.Token != "from-flag" || cfg.PingInterval != 45*time.Second ||
		cfg.LongPollWait != 0 || !slices.Equal(cfg.Groups, []string{"web", "web-canary"}) || cfg.HostID != "i-123" ||
		cfg.BuildsDir != filepath.Join(dir, "builds") || !slices.Equal(cfg.DownloadAllowlist, []string{"a.example.com", "b.example.com"}) ||
		!opts.once {
		t.Fatalf("cfg = %+v, opts = %+v", cfg, opts)
	}
}

func TestBadSettingsExitTwoNamingTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		conf string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, "", "bogus"},
		{"missing server", nil, "", "--server"},
		{"wait too long", []string{"--server", "http://x", "--wait", "2m"}, "", "--wait"},
		{"unknown key", nil, "server = http://x\ncolour = blue\n", `line 2: unknown key "colour"`},
		{"bad value", nil, "script-timeout = soon\n", `key "script-timeout"`},
		{"no equals", nil, "server\n", "line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--agent-dir", t.TempDir()}, tc.args...)
			if tc.conf != "" {
				args = append(args, "--config", writeConfig(t, tc.conf))
			}
			var stderr bytes.Buffer
			if code := run(args, &stderr); code != exitUsage {
				t.Fatalf("exit code %d, want %d; stderr: %s", code, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr %q does not name %q", stderr.String(), tc.want)
			}
		})
	}
}
