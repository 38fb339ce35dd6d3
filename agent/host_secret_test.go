package agent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// The agent keeps the credential the service issues, durably and readable by root only,
// and presents it on every ping after, including after a restart.
func TestTheAgentKeepsAndPresentsItsHostCredential(t *testing.T) {
	issued := false
	srv := newFakeServer(t, func(protocol.PingRequest) protocol.PingResponse {
		if !issued {
			issued = true
			return protocol.PingResponse{OpCode: protocol.OpNoop, HostSecret: "th_issued"}
		}
		return protocol.PingResponse{OpCode: protocol.OpNoop}
	})
	cfg := testConfig(t, srv.URL)
	runOnce(t, cfg)
	runOnce(t, cfg) // a restarted agent reads the credential back
	srv.mu.Lock()
	pings := append([]recordedPing(nil), srv.pings...)
	srv.mu.Unlock()
	if len(pings) < 2 || pings[0].binding != "1" || pings[0].secret != "" {
		t.Fatalf("first ping %+v: want the binding header and no credential", pings[0])
	}
	for _, p := range pings[1:] {
		if p.secret != "th_issued" {
			t.Fatalf("a later ping presented %q, want the issued credential", p.secret)
		}
	}
	path := filepath.Join(cfg.AgentDir, agent.HostSecretFileName)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v; want 0600", path, err, fi.Mode())
	}
	if data, _ := os.ReadFile(path); strings.TrimSpace(string(data)) != "th_issued" {
		t.Fatalf("%s holds %q", path, data)
	}
}
