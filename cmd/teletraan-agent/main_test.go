package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
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

// pingRecorder is a service that answers NOOP, serves /healthz and records pings.
func pingRecorder(t *testing.T) (*httptest.Server, *[]protocol.PingRequest, *sync.Mutex) {
	var mu sync.Mutex
	var pings []protocol.PingRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok"))
		case protocol.PingPath:
			var req protocol.PingRequest
			json.NewDecoder(r.Body).Decode(&req)
			mu.Lock()
			pings = append(pings, req)
			mu.Unlock()
			json.NewEncoder(w).Encode(protocol.PingResponse{OpCode: protocol.OpNoop})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &pings, &mu
}

func TestCheck(t *testing.T) {
	srv, pings, _ := pingRecorder(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	for _, tc := range []struct {
		name, server string
		wantCode     int
		want         string
	}{
		{"all well", srv.URL, 0, "ok   server"},
		{"server down", dead.URL, 1, "FAIL server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, stderr bytes.Buffer
			stdout = &out
			defer func() { stdout = os.Stdout }()
			code := run([]string{"--check", "--server", tc.server, "--agent-dir", t.TempDir(), "--host-id", "h1"}, &stderr)
			if code != tc.wantCode || !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "ok   agent-dir") {
				t.Fatalf("exit %d, output:\n%s%s", code, out.String(), stderr.String())
			}
		})
	}
	if len(*pings) != 0 {
		t.Fatalf("--check pinged the service %d times; it must not register the host", len(*pings))
	}
}

func TestJSONLogsAndVersionInPings(t *testing.T) {
	srv, pings, mu := pingRecorder(t)
	var stderr bytes.Buffer
	code := run([]string{"--once", "--server", srv.URL, "--agent-dir", t.TempDir(), "--host-id", "h1", "--log-format", "json"}, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil || rec["agent_version"] != version {
			t.Fatalf("log line %q is not a JSON record with msg and agent_version (%v)", line, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(*pings) == 0 || (*pings)[0].AgentVersion != version {
		t.Fatalf("pings %+v do not carry agentVersion %q", *pings, version)
	}
}
