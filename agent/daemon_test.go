package agent_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// allStages is a build whose every lifecycle script appends its stage to a journal.
func allStages(t *testing.T, journal string) []byte {
	t.Helper()
	scripts := map[string]string{}
	for _, s := range []string{"PRE_DOWNLOAD", "POST_DOWNLOAD", "PRE_RESTART", "RESTARTING", "POST_RESTART", "SERVING_BUILD"} {
		scripts[s] = "echo $DEPLOY_STEP >> " + journal
	}
	return buildWithScripts(t, scripts)
}

func newTeletraan(t *testing.T, srv *fakeServer, deployID, buildID string, archive []byte) *teletraanServer {
	t.Helper()
	path := "/artifacts/" + buildID + ".tar.gz"
	srv.setArtifact(path, archive)
	return &teletraanServer{deployID: deployID, vars: map[string]string{"PORT": "80"},
		build: protocol.Build{ID: buildID, Name: "myapp", ArtifactURL: srv.URL + path, Checksum: sha256Hex(archive)}}
}

func TestRunOnceWalksAFullDeploy(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.LongPollWait = 5 * time.Second // RunOnce must not use it
	journal := filepath.Join(t.TempDir(), "journal")
	tl := newTeletraan(t, srv, "d1", "b1", allStages(t, journal))
	srv.mu.Lock()
	srv.decide = tl.decide
	srv.mu.Unlock()
	runOnce(t, cfg)

	pings := srv.recorded()
	var reports []string
	for i, p := range pings {
		if p.wait != "" {
			t.Errorf("RunOnce ping %d used ?wait=%s", i, p.wait)
		}
		if p.auth != "Bearer tok" || p.req.HostID != "host-1" || p.req.HostIP != "10.0.0.1" || !slices.Equal(p.req.Groups, []string{"web"}) {
			t.Errorf("ping %d identity/auth wrong: %+v auth=%q", i, p.req, p.auth)
		}
		if r, ok := findReport(p.req, testEnvID); ok {
			reports = append(reports, r.DeployStage+"/"+r.AgentStatus)
		} else {
			reports = append(reports, "-")
		}
	}
	want := []string{"-"}
	for _, s := range protocol.DeployStages() {
		want = append(want, s+"/"+protocol.StatusSucceeded)
	}
	if !slices.Equal(reports, want) {
		t.Fatalf("reports =\n%v\nwant\n%v", reports, want)
	}
	// PRE_DOWNLOAD and POST_DOWNLOAD ran the old build's scripts; there was none.
	if got := readTrim(t, journal); got != "PRE_RESTART\nRESTARTING\nPOST_RESTART\nSERVING_BUILD" {
		t.Fatalf("scripts ran:\n%s", got)
	}
	st := readStatus(t, cfg)[testEnv]
	if st.Report.DeployStage != protocol.StageServingBuild || st.Build == nil || st.Build.ID != "b1" || st.OpCode != protocol.OpDeploy {
		t.Fatalf("status file = %+v", st)
	}
}

func TestRunLongPollsWhenIdleAndStopsOnCancel(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.LongPollWait = 2 * time.Second
	journal := filepath.Join(t.TempDir(), "journal")
	tl := newTeletraan(t, srv, "d1", "b1", allStages(t, journal))
	srv.mu.Lock()
	srv.decide = tl.decide
	srv.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx, cfg) }()
	waitFor(t, "an idle long-poll after the deploy", func() bool {
		pings := srv.recorded()
		if len(pings) <= 9 {
			return false
		}
		last := pings[len(pings)-1]
		r, ok := findReport(last.req, testEnvID)
		return ok && r.DeployStage == protocol.StageServingBuild && last.wait == "2"
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	pings := srv.recorded()
	if pings[0].wait != "2" {
		t.Errorf("first ping of an idle agent should long-poll, got wait=%q", pings[0].wait)
	}
	for i, p := range pings[1:9] {
		if p.wait != "" {
			t.Errorf("ping %d carries a result and must not long-poll, got wait=%q", i+1, p.wait)
		}
	}
}

func TestCrashMidStageResumesTheSameStage(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	journal := filepath.Join(t.TempDir(), "journal")
	tl := newTeletraan(t, srv, "d1", "b1", allStages(t, journal))
	stagedBuild(t, srv, cfg, "d1", "b1", allStages(t, journal))
	os.Remove(journal)

	// What the agent leaves on disk when killed while RESTARTING runs.
	statusPath := filepath.Join(cfg.AgentDir, agent.StatusFileName)
	status := readStatus(t, cfg)
	st := status[testEnv]
	st.Report.DeployStage, st.Report.Status = protocol.StageRestarting, protocol.StatusUnknown
	status[testEnv] = st
	data, _ := json.Marshal(status)
	if err := os.WriteFile(statusPath, data, 0o600); err != nil {
		t.Fatal(err)
	}

	before := len(srv.recorded())
	srv.mu.Lock()
	srv.decide = tl.decide
	srv.mu.Unlock()
	runOnce(t, cfg)

	pings := srv.recorded()[before:]
	first, _ := findReport(pings[0].req, testEnvID)
	if first.DeployStage != protocol.StageRestarting || first.AgentStatus != protocol.StatusUnknown || pings[0].wait != "" {
		t.Fatalf("first report after the crash = %+v wait=%q, want RESTARTING/UNKNOWN without wait", first, pings[0].wait)
	}
	if got := readTrim(t, journal); got != "RESTARTING\nPOST_RESTART\nSERVING_BUILD" {
		t.Fatalf("after the crash the scripts ran:\n%s", got)
	}
}

func TestStatusIsRecordedBeforeTheStageRuns(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	seen := filepath.Join(t.TempDir(), "seen")
	statusPath := filepath.Join(cfg.AgentDir, agent.StatusFileName)
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"RESTARTING": "cat " + statusPath + " > " + seen}))
	srv.mu.Lock()
	srv.decide = goalsInOrder(deployGoal("d1", protocol.StageRestarting))
	srv.mu.Unlock()
	runOnce(t, cfg)
	var during map[string]agent.EnvStatus
	if err := json.Unmarshal([]byte(readTrim(t, seen)), &during); err != nil {
		t.Fatal(err)
	}
	if r := during[testEnv].Report; r.DeployStage != protocol.StageRestarting || r.Status != protocol.StatusUnknown {
		t.Fatalf("while RESTARTING ran, the status file said %+v", r)
	}
}

func TestGoalChangeAbortsTheRunningScript(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.MinRunningTime = 30 * time.Millisecond
	pids := t.TempDir()
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"RESTARTING": "sleep 1000 &\necho $! > " + pids + "/child\nsleep 1000"}))

	// The service answers RESTARTING until the script has started, then a new deploy.
	restart := deployGoal("d1", protocol.StageRestarting)
	newDeploy := deployGoal("d2", protocol.StagePreDownload)
	srv.mu.Lock()
	srv.decide = func(req protocol.PingRequest) protocol.PingResponse {
		if r, ok := findReport(req, testEnvID); ok && r.DeployID == "d2" && finished(r) {
			return protocol.PingResponse{OpCode: protocol.OpNoop}
		}
		if _, err := os.Stat(filepath.Join(pids, "child")); err == nil {
			return newDeploy
		}
		return restart
	}
	srv.mu.Unlock()
	runOnce(t, cfg)

	pid := readTrim(t, filepath.Join(pids, "child"))
	waitFor(t, "the aborted script's child to be gone", func() bool { return processGone(pid) })
	var sawAbort bool
	for _, r := range srv.reportsOf() {
		sawAbort = sawAbort || (r.DeployID == "d1" && r.DeployStage == protocol.StageRestarting && r.AgentStatus == protocol.StatusUnknown)
	}
	if r := lastReport(t, srv); !sawAbort || r.DeployID != "d2" || r.DeployStage != protocol.StagePreDownload ||
		r.AgentStatus != protocol.StatusSucceeded {
		t.Fatalf("want RESTARTING/UNKNOWN pings, then d2 PRE_DOWNLOAD done; last report %+v", r)
	}
}

func TestSecondAgentOnTheSameDirRefuses(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.LongPollWait = 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx, cfg) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the first agent to ping", func() bool { return len(srv.recorded()) > 0 })
	err := agent.RunOnce(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "another agent") {
		t.Fatalf("second agent: %v, want a lock error", err)
	}
}

func TestPingFailureIsReportedAndKeepsTheStatus(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, nil))
	before := readStatus(t, cfg)
	srv.Close()
	err := agent.RunOnce(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("RunOnce against a dead server: %v", err)
	}
	if after := readStatus(t, cfg); after[testEnv].Report != before[testEnv].Report {
		t.Fatalf("status changed by a failed ping: %+v", after)
	}
}

// plantRecord writes, into an installed agent's status file, the record of a RESTARTING
// script that a dead agent started (pid and boot id as given) and the wrapper's exit
// status when code is not nil.
func plantRecord(t *testing.T, cfg agent.Config, bootID string, code *int) {
	t.Helper()
	status := readStatus(t, cfg)
	st := status[testEnv]
	st.Report.DeployStage, st.Report.Status = protocol.StageRestarting, protocol.StatusUnknown
	exitFile := filepath.Join(cfg.AgentDir, testEnv+".exit")
	st.Running = &agent.RunningScript{DeployID: "d1", DeployStage: protocol.StageRestarting, OpCode: protocol.OpDeploy,
		Attempt: 1, Script: "RESTARTING", PID: 1 << 22, BootID: bootID, StartedAt: time.Now(),
		Deadline: time.Now().Add(time.Hour), ExitFile: exitFile, LogPath: filepath.Join(cfg.AgentDir, "logs", testEnv+".log")}
	status[testEnv] = st
	data, _ := json.Marshal(status)
	if err := os.WriteFile(filepath.Join(cfg.AgentDir, agent.StatusFileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code != nil {
		os.WriteFile(exitFile, []byte(strconv.Itoa(*code)+"\n"), 0o644)
	}
}

func TestScriptThatEndedWhileTheAgentWasDownIsReportedNotRerun(t *testing.T) {
	for _, tc := range []struct {
		code       int
		wantStatus string
	}{{0, protocol.StatusSucceeded}, {3, protocol.StatusScriptFailed}} {
		t.Run(tc.wantStatus, func(t *testing.T) {
			srv := newFakeServer(t, noop)
			cfg := testConfig(t, srv.URL)
			journal := filepath.Join(t.TempDir(), "journal")
			stagedBuild(t, srv, cfg, "d1", "b1", allStages(t, journal))
			plantRecord(t, cfg, readTrim(t, "/proc/sys/kernel/random/boot_id"), &tc.code)
			before := len(srv.reportsOf())
			srv.mu.Lock()
			srv.decide = goalsInOrder(deployGoal("d1", protocol.StageRestarting))
			srv.mu.Unlock()
			runOnce(t, cfg)
			reports := srv.reportsOf()[before:]
			if len(reports) < 2 || reports[1].DeployStage != protocol.StageRestarting || reports[1].AgentStatus != tc.wantStatus ||
				reports[1].ErrorCode != tc.code {
				t.Fatalf("reports after restart = %+v, want RESTARTING/%s code %d second", reports, tc.wantStatus, tc.code)
			}
			if _, err := os.Stat(journal); tc.code == 0 && err == nil {
				t.Fatalf("RESTARTING ran again:\n%s", readTrim(t, journal))
			}
			if readStatus(t, cfg)[testEnv].Running != nil {
				t.Fatal("the record stayed after its result was reported")
			}
		})
	}
}

func TestScriptInterruptedByARebootRunsAgain(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	journal := filepath.Join(t.TempDir(), "journal")
	stagedBuild(t, srv, cfg, "d1", "b1", allStages(t, journal))
	plantRecord(t, cfg, "an-earlier-boot", nil)
	before := len(srv.reportsOf())
	srv.mu.Lock()
	srv.decide = goalsInOrder(deployGoal("d1", protocol.StageRestarting))
	srv.mu.Unlock()
	runOnce(t, cfg)
	reports := srv.reportsOf()[before:]
	if len(reports) < 2 || reports[1].AgentStatus != protocol.StatusUnknown || !strings.Contains(reports[1].ErrorMessage, "interrupted") {
		t.Fatalf("reports after the reboot = %+v, want RESTARTING/UNKNOWN interrupted", reports)
	}
	if got := readTrim(t, journal); got != "RESTARTING" {
		t.Fatalf("after the reboot RESTARTING ran %q, want once", got)
	}
}

// stopAfter answers goal until ready() holds, then NOOP with a StopWork for it, and
// plain NOOP once the agent reported the stop.
func stopAfter(goal protocol.PingResponse, reason string, ready func() bool) func(protocol.PingRequest) protocol.PingResponse {
	return func(req protocol.PingRequest) protocol.PingResponse {
		r, _ := findReport(req, testEnvID)
		if r.AgentStatus == protocol.StatusAbortedByService {
			return protocol.PingResponse{OpCode: protocol.OpNoop}
		}
		if ready() {
			return protocol.PingResponse{OpCode: protocol.OpNoop, StopWork: &protocol.StopWork{
				EnvID: testEnvID, EnvName: testEnv, DeployID: goal.DeployGoal.DeployID, Reason: reason}}
		}
		return goal
	}
}

// TestStopWorkEndsALongScript: an abort (or an operator's pause) while a script that
// ignores SIGTERM runs; its whole process group is gone once the grace period is over,
// and the host's report and status file say why.
func TestStopWorkEndsALongScript(t *testing.T) {
	for _, reason := range []string{"deploy d1 was aborted", "an operator took the host out of the deploy (PAUSED_BY_USER)"} {
		t.Run(reason, func(t *testing.T) {
			srv := newFakeServer(t, noop)
			cfg := testConfig(t, srv.URL)
			cfg.MinRunningTime = 30 * time.Millisecond
			cfg.TerminationGrace = 200 * time.Millisecond
			pids := t.TempDir()
			stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
				"RESTARTING": "trap '' TERM\nsleep 1000 &\necho $! > " + pids + "/child\nwait"}))
			child := filepath.Join(pids, "child")
			srv.mu.Lock()
			srv.decide = stopAfter(deployGoal("d1", protocol.StageRestarting), reason, func() bool {
				_, err := os.Stat(child)
				return err == nil
			})
			srv.mu.Unlock()
			runOnce(t, cfg)
			pid := readTrim(t, child)
			waitFor(t, "the stopped script's group to be gone", func() bool { return processGone(pid) })
			r := lastReport(t, srv)
			if r.DeployStage != protocol.StageRestarting || r.AgentStatus != protocol.StatusAbortedByService ||
				!strings.Contains(r.ErrorMessage, reason) {
				t.Fatalf("last report %+v, want RESTARTING/ABORTED_BY_SERVICE saying %q", r, reason)
			}
			if st := readStatus(t, cfg)[testEnv]; st.Report.Status != protocol.StatusAbortedByService || st.Running != nil {
				t.Fatalf("status file %+v", st)
			}
		})
	}
}

// TestStopWorkEndsAStalledDownload: an abort while the artifact server hangs ends the
// download at the next progress ping and leaves no partial file.
func TestStopWorkEndsAStalledDownload(t *testing.T) {
	body := randomArchive(t, 64<<10)
	var stalled atomic.Bool
	art := newArtifactServer(t, body, func(_ int, w http.ResponseWriter, r *http.Request) bool {
		stalled.Store(true)
		stallAfter(body, 1000)(w, r)
		return true
	})
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.MinRunningTime = 30 * time.Millisecond
	cfg.DownloadStallTimeout = time.Minute
	srv.decide = stopAfter(downloadGoal("d1", protocol.Build{ID: "b1", ArtifactURL: art.URL + "/b1.tar.gz", Checksum: sha256Hex(body)}),
		"deploy d1 was aborted", stalled.Load)
	runOnce(t, cfg)
	if r := lastReport(t, srv); r.DeployStage != protocol.StageDownloading || r.AgentStatus != protocol.StatusAbortedByService {
		t.Fatalf("last report %+v", r)
	}
	if m, _ := filepath.Glob(filepath.Join(cfg.BuildsDir, ".download-*")); len(m) > 0 {
		t.Fatalf("stopped download left %v", m)
	}
}

// TestStopWorkGivesTheScriptItsGracePeriod: a script that shuts down cleanly on SIGTERM
// gets to finish its shutdown before anything is killed.
func TestStopWorkGivesTheScriptItsGracePeriod(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.MinRunningTime = 30 * time.Millisecond
	cfg.TerminationGrace = 10 * time.Second
	dir := t.TempDir()
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"RESTARTING": "trap 'sleep 0.2; echo clean > " + dir + "/shutdown; exit 0' TERM\ntouch " + dir + "/started\nsleep 1000 & wait"}))
	srv.mu.Lock()
	srv.decide = stopAfter(deployGoal("d1", protocol.StageRestarting), "deploy d1 was aborted", func() bool {
		_, err := os.Stat(filepath.Join(dir, "started"))
		return err == nil
	})
	srv.mu.Unlock()
	runOnce(t, cfg)
	if got := readTrim(t, filepath.Join(dir, "shutdown")); got != "clean" {
		t.Fatalf("the script's TERM handler did not finish: %q", got)
	}
}

// A ping that fails right after a stage (the service overloaded, a proxy timing out) is an
// error the daemon retries on, never a crash: it used to be dropped and the agent then
// read the goal of a response it did not have.
func TestAPingFailingAfterAStageIsAnErrorNotACrash(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	tl := newTeletraan(t, srv, "d1", "b1", allStages(t, filepath.Join(t.TempDir(), "journal")))
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req protocol.PingRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if _, reported := findReport(req, testEnvID); reported {
			http.Error(w, "upstream timed out", http.StatusGatewayTimeout)
			return
		}
		json.NewEncoder(w).Encode(tl.decide(req))
	}))
	defer failing.Close()
	cfg.ServerURL = failing.URL
	err := agent.RunOnce(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "504") {
		t.Fatalf("RunOnce with a ping failing after PRE_DOWNLOAD: %v, want the ping's error", err)
	}
	if st := readStatus(t, cfg)[testEnv]; st.Report.DeployStage != protocol.StagePreDownload || st.Report.Status != protocol.StatusSucceeded {
		t.Fatalf("the stage's result must be kept for the next ping: %+v", st.Report)
	}
}
