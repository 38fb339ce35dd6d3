package fleetsim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// pathServer hands every host deploy d-1 stage by stage, as the service does, and keeps
// what the hosts sent. It is a test double of the service's goal logic only: the real
// service is driven by the simulate command's end-to-end test.
type pathServer struct {
	mu       sync.Mutex
	pings    []protocol.PingRequest
	waits    []string
	secrets  map[string]string // host → the secret it presented last
	last     map[string]protocol.PingReport
	statuses map[string][]string // host → the statuses it reported for RESTARTING
}

func newPathServer() *pathServer {
	return &pathServer{secrets: map[string]string{}, last: map[string]protocol.PingReport{}, statuses: map[string][]string{}}
}

func (s *pathServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req protocol.PingRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pings = append(s.pings, req)
	s.waits = append(s.waits, r.URL.Query().Get(protocol.WaitParam))
	resp := protocol.PingResponse{OpCode: protocol.OpNoop}
	if r.Header.Get(protocol.HostBindingHeader) == "1" {
		if got := r.Header.Get(protocol.HostSecretHeader); got == "" {
			resp.HostSecret = "secret-of-" + req.HostID
		} else {
			s.secrets[req.HostID] = got
		}
	}
	stage := protocol.StagePreDownload
	if len(req.Reports) == 1 {
		rep := req.Reports[0]
		s.last[req.HostID] = rep
		if rep.DeployStage == protocol.StageRestarting {
			s.statuses[req.HostID] = append(s.statuses[req.HostID], rep.AgentStatus)
		}
		switch {
		case rep.AgentStatus == protocol.StatusScriptFailed:
			stage = rep.DeployStage // retry in place
		case rep.AgentStatus != protocol.StatusSucceeded:
			stage = ""
		default:
			next, ok := protocol.NextStage(rep.DeployStage)
			stage = next
			if !ok {
				stage = ""
			}
		}
	}
	if stage != "" {
		resp.OpCode = protocol.OpDeploy
		resp.DeployGoal = &protocol.DeployGoal{DeployID: "d-1", EnvID: "e-1", EnvName: "hello", StageName: "dev", DeployStage: stage}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func testConfig(url string, hosts int) Config {
	return Config{Server: url, HostPrefix: "sim", FirstHost: 1, Hosts: hosts, Groups: []string{"sim"},
		LongPoll: time.Second, PingInterval: 50 * time.Millisecond, MaxRetries: 3, RetryInterval: time.Millisecond, BindIdentity: true}
}

// runUntil runs the fleet until cond holds of a snapshot, then stops it.
func runUntil(t *testing.T, f *Fleet, cond func(Snapshot) bool) Snapshot {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	var last Snapshot
	var goals []FirstGoal
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		last = f.Snapshot()
		goals = append(goals, last.FirstGoals...)
		assert.True(c, cond(last), "fleet: %+v", last)
	}, 20*time.Second, 20*time.Millisecond)
	cancel()
	<-done
	last.FirstGoals = goals
	return last
}

func TestFleetWalksEveryStageAndKeepsItsCredential(t *testing.T) {
	srv := newPathServer()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	f, err := New(testConfig(ts.URL, 5))
	require.NoError(t, err)
	snap := runUntil(t, f, func(s Snapshot) bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return s.Idle == 5 && len(srv.last) == 5 && allServing(srv.last)
	})
	assert.Len(t, snap.FirstGoals, 5, "one first goal per host")
	assert.EqualValues(t, 5*len(protocol.DeployStages()), snap.Goals, "every stage of every host")
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, name := range []string{"sim-000001", "sim-000005"} {
		assert.Equal(t, "secret-of-"+name, srv.secrets[name], "the host presents the credential it was issued")
	}
	assert.Contains(t, srv.waits, "1", "an idle host long-polls")
	assert.Equal(t, []string{"sim"}, srv.pings[0].Groups)
}

func allServing(last map[string]protocol.PingReport) bool {
	for _, r := range last {
		if r.DeployStage != protocol.StageServingBuild || r.AgentStatus != protocol.StatusSucceeded {
			return false
		}
	}
	return true
}

func TestFailingHostsRetryThenGiveUp(t *testing.T) {
	srv := newPathServer()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := testConfig(ts.URL, 2)
	cfg.FailureRate = 1
	f, err := New(cfg)
	require.NoError(t, err)
	snap := runUntil(t, f, func(s Snapshot) bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return s.Failed == 2 && len(srv.statuses["sim-000001"]) >= 3 && len(srv.statuses["sim-000002"]) >= 3
	})
	assert.EqualValues(t, 2, snap.Failures)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Equal(t, []string{protocol.StatusScriptFailed, protocol.StatusScriptFailed, protocol.StatusTooManyRetry},
		srv.statuses["sim-000001"][:3], "each failed attempt is reported, the last as TOO_MANY_RETRY")
	assert.Contains(t, srv.last["sim-000002"].ErrorMessage, "simulated failure: RESTARTING exited 1")
}

func TestClassicHostsNeverLongPoll(t *testing.T) {
	srv := newPathServer()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := testConfig(ts.URL, 2)
	cfg.LongPoll = 0
	cfg.BindIdentity = false
	f, err := New(cfg)
	require.NoError(t, err)
	runUntil(t, f, func(s Snapshot) bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.last) == 2 && allServing(srv.last) && len(srv.pings) > 2*len(protocol.DeployStages())+4
	})
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for _, w := range srv.waits {
		assert.Empty(t, w, "a classic host never asks the server to hold its ping")
	}
	assert.Empty(t, srv.secrets, "an upstream-style host presents no credential")
}

func TestFailureDrawIsEvenAndRepeatable(t *testing.T) {
	const n = 20000
	failing := 0
	for i := 1; i <= n; i++ {
		if failureDraw(7, HostName("sim", i), "d-1") < 0.03 {
			failing++
		}
	}
	assert.InDelta(t, 0.03, float64(failing)/n, 0.005, "about 3 %% of hosts fail")
	assert.Equal(t, failureDraw(7, "h", "d"), failureDraw(7, "h", "d"))
	assert.NotEqual(t, failureDraw(7, "h", "d-1"), failureDraw(7, "h", "d-2"), "another deploy fails other hosts")
}

func TestConfigCheckNamesEveryProblem(t *testing.T) {
	err := Config{Server: "ftp://x", HostPrefix: "a b", FailureRate: 2, LongPoll: 90 * time.Second}.Check()
	require.Error(t, err)
	for _, want := range []string{`server "ftp://x"`, "hosts is 0", "first host is 0", `host prefix "a b"`,
		"long-poll 1m30s", "ping interval", "max retries 0", "failure rate 2"} {
		assert.True(t, strings.Contains(err.Error(), want), "%q in %v", want, err)
	}
	assert.NoError(t, testConfig("http://127.0.0.1:1", 1).Check())
}

func TestCredentialsOutliveTheRunAndARefusedHostStops(t *testing.T) {
	srv := newPathServer()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	f, err := New(testConfig(ts.URL, 2))
	require.NoError(t, err)
	var issued map[string]string
	runUntil(t, f, func(s Snapshot) bool {
		if len(s.Issued) > 0 {
			issued = s.Issued
		}
		return len(issued) == 2
	})
	assert.Equal(t, map[string]string{"sim-000001": "secret-of-sim-000001", "sim-000002": "secret-of-sim-000002"}, issued)

	// The next run presents what the first was issued; a server that refuses ends the host.
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(protocol.HostSecretHeader) == "secret-of-sim-000001" {
			srv.ServeHTTP(w, r)
			return
		}
		http.Error(w, `{"error":{"code":"forbidden","message":"host is bound"}}`, http.StatusForbidden)
	}))
	defer refusing.Close()
	cfg := testConfig(refusing.URL, 2)
	cfg.Secrets = map[string]string{"sim-000001": issued["sim-000001"]}
	f, err = New(cfg)
	require.NoError(t, err)
	snap := runUntil(t, f, func(s Snapshot) bool { return s.Refused == 1 && s.Idle == 1 })
	assert.Contains(t, snap.LastError, "403")
}
