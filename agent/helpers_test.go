package agent_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

const (
	testEnv   = "myapp"
	testEnvID = "env-1"
)

// recordedPing is one ping the fake server received.
type recordedPing struct {
	req     protocol.PingRequest
	wait    string
	auth    string
	binding string // the host binding header: "1" when the agent can keep a credential
	secret  string // the credential it presented
	// traceparent is the W3C trace context header the agent sent.
	traceparent string
}

// fakeServer plays the ping service and the artifact store over real HTTP.
type fakeServer struct {
	*httptest.Server
	mu         sync.Mutex
	pings      []recordedPing
	decide     func(protocol.PingRequest) protocol.PingResponse
	artifacts  map[string][]byte
	hits       map[string]int
	failFirstN map[string]int
	truncate   map[string]bool // send half the body under the full Content-Length
	allowDir   string          // a directory a test case wants in the download allowlist
}

func newFakeServer(t *testing.T, decide func(protocol.PingRequest) protocol.PingResponse) *fakeServer {
	t.Helper()
	s := &fakeServer{decide: decide, artifacts: map[string][]byte{}, hits: map[string]int{}, failFirstN: map[string]int{}, truncate: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == protocol.PingPath {
		var req protocol.PingRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.pings = append(s.pings, recordedPing{req: req, wait: r.URL.Query().Get(protocol.WaitParam), auth: r.Header.Get("Authorization"),
			binding: r.Header.Get(protocol.HostBindingHeader), secret: r.Header.Get(protocol.HostSecretHeader),
			traceparent: r.Header.Get("traceparent")})
		json.NewEncoder(w).Encode(s.decide(req))
		return
	}
	s.hits[r.URL.Path]++
	if s.failFirstN[r.URL.Path] > 0 {
		s.failFirstN[r.URL.Path]--
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	body, ok := s.artifacts[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if s.truncate[r.URL.Path] {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body[:len(body)/2]) // the server then drops the connection
		return
	}
	w.Write(body)
}

func (s *fakeServer) setArtifact(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.artifacts[path] = body
}

func (s *fakeServer) recorded() []recordedPing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recordedPing(nil), s.pings...)
}

// reportsOf lists the reports for testEnvID, one per ping, skipping pings without one.
func (s *fakeServer) reportsOf() []protocol.PingReport {
	var out []protocol.PingReport
	for _, p := range s.recorded() {
		if r, ok := findReport(p.req, testEnvID); ok {
			out = append(out, r)
		}
	}
	return out
}

func findReport(req protocol.PingRequest, envID string) (protocol.PingReport, bool) {
	for _, r := range req.Reports {
		if r.EnvID == envID {
			return r, true
		}
	}
	return protocol.PingReport{}, false
}

func finished(r protocol.PingReport) bool {
	return r.AgentStatus == protocol.StatusSucceeded || protocol.IsFatalStatus(r.AgentStatus)
}

// goalsInOrder answers each goal until the agent reports it finished (succeeded or
// fatally failed), then the next, then NOOP, like the service repeating a stage.
func goalsInOrder(goals ...protocol.PingResponse) func(protocol.PingRequest) protocol.PingResponse {
	i := 0
	return func(req protocol.PingRequest) protocol.PingResponse {
		for i < len(goals) {
			g := goals[i].DeployGoal
			r, ok := findReport(req, g.EnvID)
			if goals[i].OpCode == protocol.OpDelete {
				if ok {
					break
				}
			} else if !ok || r.DeployID != g.DeployID || r.DeployStage != g.DeployStage || !finished(r) {
				break
			}
			i++
		}
		if i == len(goals) {
			return protocol.PingResponse{OpCode: protocol.OpNoop}
		}
		return goals[i]
	}
}

// teletraanServer decides like Teletraan's GoalAnalyst for one host in one environment:
// install from PRE_DOWNLOAD, advance on SUCCEEDED, repeat otherwise, stop on fatal.
type teletraanServer struct {
	deployID string
	build    protocol.Build
	vars     map[string]string
}

func (s *teletraanServer) goal(stage string) protocol.PingResponse {
	g := &protocol.DeployGoal{DeployID: s.deployID, DeployType: "REGULAR", EnvID: testEnvID, EnvName: testEnv,
		StageName: "prod", DeployStage: stage, FirstDeploy: true}
	if stage == protocol.StageDownloading {
		b := s.build
		g.Build = &b
	}
	if stage == protocol.StagePreDownload {
		g.ScriptVariables = s.vars
	}
	return protocol.PingResponse{OpCode: protocol.OpDeploy, DeployGoal: g}
}

func (s *teletraanServer) decide(req protocol.PingRequest) protocol.PingResponse {
	r, ok := findReport(req, testEnvID)
	switch {
	case !ok || r.DeployID != s.deployID:
		return s.goal(protocol.StagePreDownload)
	case protocol.IsFatalStatus(r.AgentStatus):
		return protocol.PingResponse{OpCode: protocol.OpNoop}
	case r.AgentStatus == protocol.StatusSucceeded:
		next, more := protocol.NextStage(r.DeployStage)
		if !more {
			return protocol.PingResponse{OpCode: protocol.OpNoop}
		}
		return s.goal(next)
	default:
		return s.goal(r.DeployStage)
	}
}

// testConfig is a Config with private dirs and millisecond timings.
func testConfig(t *testing.T, serverURL string) agent.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := agent.DefaultConfig()
	cfg.ServerURL = serverURL
	cfg.Token = "tok"
	cfg.HostID, cfg.HostName, cfg.HostIP = "host-1", "host-1.example", "10.0.0.1"
	cfg.Groups = []string{"web"}
	cfg.AgentDir = filepath.Join(dir, "agent")
	cfg.BuildsDir = filepath.Join(dir, "builds")
	cfg.PingInterval = 20 * time.Millisecond
	cfg.LongPollWait = 0
	cfg.MinRunningTime = 0
	cfg.PingRetryDelay = 5 * time.Millisecond
	cfg.RetryInterval = 5 * time.Millisecond
	cfg.MaxRetryInterval = 20 * time.Millisecond
	cfg.ScriptTimeout = 20 * time.Second
	cfg.TerminationGrace = 500 * time.Millisecond
	cfg.DownloadRetryInterval = 5 * time.Millisecond
	cfg.DownloadStallTimeout = 5 * time.Second
	return cfg
}

func targetOf(cfg agent.Config) string {
	return filepath.Join(cfg.AgentDir, "targets", testEnv)
}

func runOnce(t *testing.T, cfg agent.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := agent.RunOnce(ctx, cfg); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
}

// entry is one tar member; typ 0 means a regular file.
type entry struct {
	name, body, link string
	mode             int64
	typ              byte
}

func tarBytes(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Linkname: e.link, Typeflag: e.typ}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildWithScripts is a tgz build whose teletraan/ dir holds the given scripts
// (path relative to teletraan/ → shell body) and any extra entries.
func buildWithScripts(t *testing.T, scripts map[string]string, extra ...entry) []byte {
	t.Helper()
	entries := []entry{{name: "app/", typ: tar.TypeDir}, {name: "app/VERSION", body: "1\n"}}
	for name, body := range scripts {
		entries = append(entries, entry{name: "teletraan/" + name, body: "#!/bin/sh\n" + body + "\n", mode: 0o755})
	}
	return gzipBytes(t, tarBytes(t, append(entries, extra...)))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func deployGoal(deployID, stage string) protocol.PingResponse {
	return protocol.PingResponse{OpCode: protocol.OpDeploy, DeployGoal: &protocol.DeployGoal{
		DeployID: deployID, DeployType: "REGULAR", EnvID: testEnvID, EnvName: testEnv, StageName: "prod", DeployStage: stage}}
}

func downloadGoal(deployID string, b protocol.Build) protocol.PingResponse {
	g := deployGoal(deployID, protocol.StageDownloading)
	g.DeployGoal.Build = &b
	return g
}

// lastReport is the final report the agent sent for testEnvID.
func lastReport(t *testing.T, s *fakeServer) protocol.PingReport {
	t.Helper()
	reports := s.reportsOf()
	if len(reports) == 0 {
		t.Fatal("agent sent no report")
	}
	return reports[len(reports)-1]
}

func readStatus(t *testing.T, cfg agent.Config) map[string]agent.EnvStatus {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cfg.AgentDir, agent.StatusFileName))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]agent.EnvStatus
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processGone reports whether pid has exited (a zombie counts as gone: it runs nothing).
func processGone(pid string) bool {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// stagedBuild installs a build through DOWNLOADING and STAGING on a fresh agent.
func stagedBuild(t *testing.T, srv *fakeServer, cfg agent.Config, deployID, buildID string, archive []byte) {
	t.Helper()
	path := "/artifacts/" + buildID + ".tar.gz"
	srv.setArtifact(path, archive)
	b := protocol.Build{ID: buildID, Name: "myapp", ArtifactURL: srv.URL + path, Checksum: sha256Hex(archive), Commit: "abc123"}
	srv.mu.Lock()
	srv.decide = goalsInOrder(downloadGoal(deployID, b), deployGoal(deployID, protocol.StageStaging))
	srv.mu.Unlock()
	runOnce(t, cfg)
	if r := lastReport(t, srv); r.DeployStage != protocol.StageStaging || r.AgentStatus != protocol.StatusSucceeded {
		t.Fatalf("staging %s: last report %+v", buildID, r)
	}
}
