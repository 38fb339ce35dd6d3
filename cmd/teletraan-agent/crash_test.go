package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// crashServer is a minimal Teletraan for one host, one env, one deploy.
type crashServer struct {
	mu      sync.Mutex
	build   protocol.Build
	archive []byte
	reports []protocol.PingReport
}

func (s *crashServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != protocol.PingPath {
		w.Write(s.archive)
		return
	}
	var req protocol.PingRequest
	json.NewDecoder(r.Body).Decode(&req)
	stage := protocol.StagePreDownload
	var rep protocol.PingReport
	if len(req.Reports) > 0 {
		rep = req.Reports[0]
		s.reports = append(s.reports, rep)
		stage = rep.DeployStage
		if rep.AgentStatus == protocol.StatusSucceeded {
			next, ok := protocol.NextStage(stage)
			if !ok {
				json.NewEncoder(w).Encode(protocol.PingResponse{OpCode: protocol.OpNoop})
				return
			}
			stage = next
		}
	}
	g := &protocol.DeployGoal{DeployID: "d1", EnvID: "e1", EnvName: "app", StageName: "prod", DeployStage: stage}
	if stage == protocol.StageDownloading {
		b := s.build
		g.Build = &b
	}
	json.NewEncoder(w).Encode(protocol.PingResponse{OpCode: protocol.OpDeploy, DeployGoal: g})
}

func (s *crashServer) firstReportSince(i int) protocol.PingReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reports[i]
}

func (s *crashServer) reportCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reports)
}

// TestKillNineMidStage kills the real binary while RESTARTING runs and checks that the
// next start reports RESTARTING/UNKNOWN and reruns it, skipping nothing.
func TestKillNineMidStage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	journal, pidFile, mark := filepath.Join(dir, "journal"), filepath.Join(dir, "pid"), filepath.Join(dir, "mark")
	restarting := "#!/bin/sh\necho RESTARTING >> " + journal + "\nif [ -f " + mark + " ]; then exit 0; fi\n" +
		"touch " + mark + "\necho $$ > " + pidFile + "\nexec sleep 1000\n"
	s, srv := serveBuild(t, restarting)
	agentDir := filepath.Join(dir, "agent")
	args := []string{"--server", srv.URL, "--agent-dir", agentDir, "--host-id", "h1", "--once", "--retry-interval", "10ms"}

	first := exec.Command(bin, args...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, first, pidFile)
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	pid, _ := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	syscall.Kill(-pid, syscall.SIGKILL) // the orphaned script group; the agent is gone

	var status map[string]struct {
		Report struct{ DeployStage, Status string } `json:"report"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(agentDir, "env_status"))), &status); err != nil {
		t.Fatal(err)
	}
	if r := status["app"].Report; r.DeployStage != protocol.StageRestarting || r.Status != protocol.StatusUnknown {
		t.Fatalf("status file after kill -9: %+v", r)
	}

	before := s.reportCount()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if r := s.firstReportSince(before); r.DeployStage != protocol.StageRestarting || r.AgentStatus != protocol.StatusUnknown {
		t.Fatalf("first report after restart: %+v", r)
	}
	if got := strings.TrimSpace(readFile(t, journal)); got != "RESTARTING\nRESTARTING" {
		t.Fatalf("RESTARTING ran %q, want twice", got)
	}
	last := s.firstReportSince(s.reportCount() - 1)
	if last.DeployStage != protocol.StageServingBuild || last.AgentStatus != protocol.StatusSucceeded {
		t.Fatalf("deploy did not finish: %+v", last)
	}
}

func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "teletraan-agent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serveBuild starts a crashServer deploying a build whose only script is RESTARTING.
func serveBuild(t *testing.T, restarting string) (*crashServer, *httptest.Server) {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: "teletraan/RESTARTING", Mode: 0o755, Size: int64(len(restarting)), Typeflag: tar.TypeReg})
	tw.Write([]byte(restarting))
	tw.Close()
	var gzBuf bytes.Buffer
	zw := gzip.NewWriter(&gzBuf)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	sum := sha256.Sum256(gzBuf.Bytes())
	s := &crashServer{archive: gzBuf.Bytes()}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.mu.Lock() // the agent under test may already be pinging
	s.build = protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/b1.tar.gz", Checksum: hex.EncodeToString(sum[:])}
	s.mu.Unlock()
	return s, srv
}

// waitForFile waits until a script wrote p, or fails (killing the agent) after a deadline.
func waitForFile(t *testing.T, agentCmd *exec.Cmd, p string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(p); err == nil && len(bytes.TrimSpace(data)) > 0 {
			return
		}
		if time.Now().After(deadline) {
			agentCmd.Process.Kill()
			t.Fatalf("%s was never written", p)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func processGone(pid string) bool {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return true
	}
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

// TestSIGTERMStopsCleanly checks that SIGTERM ends the daemon with status 0 after
// killing the running script's whole process group, leaving the stage to rerun.
func TestSIGTERMStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	pids := filepath.Join(dir, "pids")
	_, srv := serveBuild(t, "#!/bin/sh\nsleep 1000 &\necho $! > "+pids+"\necho $$ >> "+pids+"\nwait\n")
	agentDir := filepath.Join(dir, "agent")
	cmd := exec.Command(bin, "--server", srv.URL, "--agent-dir", agentDir, "--host-id", "h1", "--termination-grace", "300ms")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, cmd, pids)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("agent exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("agent did not stop after SIGTERM")
	}
	for _, pid := range strings.Fields(readFile(t, pids)) {
		deadline := time.Now().Add(5 * time.Second)
		for !processGone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("script process %s survived the agent's shutdown", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if st := readFile(t, filepath.Join(agentDir, "env_status")); !strings.Contains(st, `"deployStage": "RESTARTING"`) ||
		!strings.Contains(st, `"status": "UNKNOWN"`) {
		t.Fatalf("status after SIGTERM:\n%s", st)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
