package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// crashServer is a minimal Teletraan for one host and one env: it walks each deploy in
// deploys through every stage, one after the other, answering NOOP after the last.
type crashServer struct {
	mu        sync.Mutex
	deploys   []crashDeploy
	current   int
	reports   []protocol.PingReport
	artifacts map[string][]byte
	// stallFirst makes the first request of that artifact path send half its bytes and
	// then hang until the client goes away; stalled counts such requests.
	stallFirst map[string]bool
	stalled    int
}

// crashDeploy is one deploy of one build.
type crashDeploy struct {
	id    string
	build protocol.Build
}

func newCrashServer(t *testing.T) (*crashServer, *httptest.Server) {
	s := &crashServer{artifacts: map[string][]byte{}, stallFirst: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// addDeploy queues a deploy of archive as build id.
func (s *crashServer) addDeploy(srvURL, deployID, buildID string, archive []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := sha256.Sum256(archive)
	path := "/" + buildID + ".tar.gz"
	s.artifacts[path] = archive
	s.deploys = append(s.deploys, crashDeploy{id: deployID,
		build: protocol.Build{ID: buildID, ArtifactURL: srvURL + path, Checksum: hex.EncodeToString(sum[:])}})
}

func (s *crashServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != protocol.PingPath {
		s.mu.Lock()
		body, stall := s.artifacts[r.URL.Path], s.stallFirst[r.URL.Path]
		if stall {
			s.stallFirst[r.URL.Path] = false
			s.stalled++
		}
		s.mu.Unlock()
		if stall {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		w.Write(body)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var req protocol.PingRequest
	json.NewDecoder(r.Body).Decode(&req)
	var rep protocol.PingReport
	if len(req.Reports) > 0 {
		rep = req.Reports[0]
		s.reports = append(s.reports, rep)
	}
	for s.current < len(s.deploys) && rep.DeployID == s.deploys[s.current].id &&
		rep.DeployStage == protocol.StageServingBuild && rep.AgentStatus == protocol.StatusSucceeded {
		s.current++
	}
	if s.current == len(s.deploys) {
		json.NewEncoder(w).Encode(protocol.PingResponse{OpCode: protocol.OpNoop})
		return
	}
	d := s.deploys[s.current]
	stage := protocol.StagePreDownload
	if rep.DeployID == d.id {
		stage = rep.DeployStage
		if rep.AgentStatus == protocol.StatusSucceeded {
			stage, _ = protocol.NextStage(stage)
		}
	}
	g := &protocol.DeployGoal{DeployID: d.id, EnvID: "e1", EnvName: "app", StageName: "prod", DeployStage: stage}
	if stage == protocol.StageDownloading {
		b := d.build
		g.Build = &b
	}
	json.NewEncoder(w).Encode(protocol.PingResponse{OpCode: protocol.OpDeploy, DeployGoal: g})
}

func (s *crashServer) lastReport() protocol.PingReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reports) == 0 {
		return protocol.PingReport{}
	}
	return s.reports[len(s.reports)-1]
}

func (s *crashServer) stalledRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stalled
}

// scriptStages are the stages that run a build's script.
var scriptStages = []string{protocol.StagePreDownload, protocol.StagePostDownload, protocol.StagePreRestart,
	protocol.StageRestarting, protocol.StagePostRestart, protocol.StageServingBuild}

// journaledBuild is a build whose every lifecycle script appends "start" and "end" lines
// to journal and notes "OVERLAP" when another of them is running at the same time
// (mkdir is atomic). Scripts of deploy slowDeploy take a second, so that an agent can
// be killed while they run. extraFiles empty files make extraction take a while.
func journaledBuild(t *testing.T, journal, lockDir, slowDeploy string, extraFiles int) []byte {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, stage := range scriptStages {
		body := "#!/bin/sh\n" +
			"mkdir " + lockDir + " 2>/dev/null || echo \"OVERLAP $DEPLOY_ID $DEPLOY_STEP\" >> " + journal + "\n" +
			"echo \"start $DEPLOY_ID $DEPLOY_STEP\" >> " + journal + "\n" +
			"if [ \"$DEPLOY_ID\" = " + slowDeploy + " ]; then sleep 1; fi\n" +
			"echo \"end $DEPLOY_ID $DEPLOY_STEP\" >> " + journal + "\n" +
			"rmdir " + lockDir + "\n"
		tw.WriteHeader(&tar.Header{Name: "teletraan/" + stage, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	for i := 0; i < extraFiles; i++ {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("data/%d/%d", i/1000, i), Mode: 0o644, Typeflag: tar.TypeReg})
	}
	tw.Close()
	var gzBuf bytes.Buffer
	zw := gzip.NewWriter(&gzBuf)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	return gzBuf.Bytes()
}

// TestKillNineInEveryStage kills the real agent binary with SIGKILL during every stage of
// a deploy (each script stage, mid-download, mid-extraction) and restarts it each time.
// The scripts' own journal must show every stage of the deploy started and ended exactly
// once and never two at once, and the deploy must finish. Half the restarts happen
// while the script still runs (the new agent waits for it), half after it ended (the new
// agent reports its result instead of running it again).
func TestKillNineInEveryStage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	journal, lockDir := filepath.Join(dir, "journal"), filepath.Join(dir, "running")
	s, srv := newCrashServer(t)
	// d1 installs b1 untouched, so that d2's PRE_DOWNLOAD and POST_DOWNLOAD have the
	// installed build's scripts to run; d2 is the deploy that gets killed.
	s.addDeploy(srv.URL, "d1", "b1", journaledBuild(t, journal, lockDir, "d2", 0))
	s.addDeploy(srv.URL, "d2", "b2", journaledBuild(t, journal, lockDir, "d2", 5000))
	s.mu.Lock()
	s.stallFirst["/b2.tar.gz"] = true
	s.mu.Unlock()
	agentDir := filepath.Join(dir, "agent")
	args := []string{"--server", srv.URL, "--agent-dir", agentDir, "--host-id", "h1", "--once",
		"--retry-interval", "10ms", "--download-stall-timeout", "30s", "--min-running-time", "100ms"}

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &logBuffer{}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	cmd := start()
	defer func() { cmd.Process.Kill() }()
	journalHas := func(line string) func() bool {
		return func() bool {
			data, _ := os.ReadFile(journal)
			return slices.Contains(strings.Split(string(data), "\n"), line)
		}
	}
	extracting := func() bool {
		m, _ := filepath.Glob(filepath.Join(agentDir, "builds", ".extract-b2-*"))
		return len(m) > 0
	}
	for i, stage := range protocol.DeployStages() {
		switch stage {
		case protocol.StageDownloading:
			poll(t, cmd, "the download of b2 to hang", func() bool { return s.stalledRequests() > 0 })
		case protocol.StageStaging:
			poll(t, cmd, "b2 to be mid-extraction", extracting)
		default:
			poll(t, cmd, "d2 "+stage+" to start", journalHas("start d2 "+stage))
		}
		kill(cmd)
		if slices.Contains(scriptStages, stage) && i%2 == 1 {
			poll(t, nil, "the orphaned d2 "+stage+" to end", journalHas("end d2 "+stage))
		}
		cmd = start()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("last agent run: %v\n%s", err, cmd.Stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the deploy did not finish after the last restart\n%s", cmd.Stderr)
	}
	if r := s.lastReport(); r.DeployID != "d2" || r.DeployStage != protocol.StageServingBuild || r.AgentStatus != protocol.StatusSucceeded {
		t.Fatalf("deploy did not finish: last report %+v", r)
	}
	var want []string
	for _, stage := range []string{protocol.StagePreRestart, protocol.StageRestarting, protocol.StagePostRestart, protocol.StageServingBuild} {
		want = append(want, "start d1 "+stage, "end d1 "+stage)
	}
	for _, stage := range scriptStages {
		want = append(want, "start d2 "+stage, "end d2 "+stage)
	}
	if got := strings.Split(strings.TrimSpace(readFile(t, journal)), "\n"); !slices.Equal(got, want) {
		t.Fatalf("journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRestartStopsAScriptWhoseGoalChanged kills the agent during a long RESTARTING,
// moves the host to another deploy while no agent runs, and restarts the agent: the
// orphaned script's whole process group must be stopped (not waited for, not run again)
// and the new deploy must run.
func TestRestartStopsAScriptWhoseGoalChanged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	journal, pids := filepath.Join(dir, "journal"), filepath.Join(dir, "pids")
	restarting := "#!/bin/sh\necho \"start $DEPLOY_ID\" >> " + journal + "\n" +
		"if [ \"$DEPLOY_ID\" = d1 ]; then sleep 1000 & echo $! > " + pids + "; sleep 1000; fi\n" +
		"echo \"end $DEPLOY_ID\" >> " + journal + "\n"
	build := restartingBuild(restarting)
	s, srv := newCrashServer(t)
	s.addDeploy(srv.URL, "d1", "b1", build)
	agentDir := filepath.Join(dir, "agent")
	args := []string{"--server", srv.URL, "--agent-dir", agentDir, "--host-id", "h1", "--once",
		"--retry-interval", "10ms", "--termination-grace", "300ms"}
	first := exec.Command(bin, args...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	poll(t, first, "RESTARTING to start its child", func() bool {
		data, _ := os.ReadFile(pids)
		return len(bytes.TrimSpace(data)) > 0
	})
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	child := strings.TrimSpace(readFile(t, pids))
	t.Cleanup(func() {
		if pid, err := strconv.Atoi(child); err == nil && !processGone(child) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	// While no agent runs, the service moves on: d1 is superseded by d2.
	s.mu.Lock()
	s.current = 1
	s.mu.Unlock()
	s.addDeploy(srv.URL, "d2", "b2", build)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if !processGone(child) {
		t.Fatalf("the orphaned RESTARTING's child %s survived", child)
	}
	if got := strings.TrimSpace(readFile(t, journal)); got != "start d1\nstart d2\nend d2" {
		t.Fatalf("journal:\n%s", got)
	}
	if r := s.lastReport(); r.DeployID != "d2" || r.DeployStage != protocol.StageServingBuild || r.AgentStatus != protocol.StatusSucceeded {
		t.Fatalf("d2 did not finish: %+v", r)
	}
}

// logBuffer is a goroutine-safe buffer for an agent's stderr.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// poll waits until cond holds, failing (and killing agentCmd, when given) after a deadline.
func poll(t *testing.T, agentCmd *exec.Cmd, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			if agentCmd != nil {
				agentCmd.Process.Kill()
				t.Fatalf("timed out waiting for %s\n%v", what, agentCmd.Stderr)
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
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

// restartingBuild is a tgz build whose only script is RESTARTING.
func restartingBuild(restarting string) []byte {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	tw.WriteHeader(&tar.Header{Name: "teletraan/RESTARTING", Mode: 0o755, Size: int64(len(restarting)), Typeflag: tar.TypeReg})
	tw.Write([]byte(restarting))
	tw.Close()
	var gzBuf bytes.Buffer
	zw := gzip.NewWriter(&gzBuf)
	zw.Write(tarBuf.Bytes())
	zw.Close()
	return gzBuf.Bytes()
}

// serveBuild starts a crashServer deploying a build whose only script is RESTARTING.
func serveBuild(t *testing.T, restarting string) (*crashServer, *httptest.Server) {
	t.Helper()
	s, srv := newCrashServer(t)
	s.addDeploy(srv.URL, "d1", "b1", restartingBuild(restarting))
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
