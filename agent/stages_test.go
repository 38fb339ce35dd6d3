package agent_test

import (
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

func noop(protocol.PingRequest) protocol.PingResponse {
	return protocol.PingResponse{OpCode: protocol.OpNoop}
}

func TestPreDownloadSavesAndDeletesScriptVariables(t *testing.T) {
	first := deployGoal("d1", protocol.StagePreDownload)
	first.DeployGoal.ScriptVariables = map[string]string{"PORT": "8080"}
	second := deployGoal("d2", protocol.StagePreDownload)
	second.DeployGoal.ScriptVariables = map[string]string{}
	srv := newFakeServer(t, goalsInOrder(first))
	cfg := testConfig(t, srv.URL)
	configFile := filepath.Join(cfg.AgentDir, testEnv+"_SCRIPT_CONFIG")

	runOnce(t, cfg)
	if got := readTrim(t, configFile); !strings.Contains(got, `"PORT": "8080"`) {
		t.Fatalf("script config = %s", got)
	}
	if st := readStatus(t, cfg)[testEnv]; st.ScriptVariables != configFile || st.Report.Status != protocol.StatusSucceeded {
		t.Fatalf("status = %+v", st)
	}

	srv.mu.Lock()
	srv.decide = goalsInOrder(second)
	srv.mu.Unlock()
	runOnce(t, cfg)
	if _, err := os.Stat(configFile); !os.IsNotExist(err) {
		t.Fatalf("empty scriptVariables must delete the script config, stat: %v", err)
	}
}

func TestPreDownloadRunsTheCurrentBuildsScript(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	out := filepath.Join(t.TempDir(), "ran")
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"PRE_DOWNLOAD": `echo "$BUILD_ID" > ` + out}))
	srv.mu.Lock()
	srv.decide = goalsInOrder(deployGoal("d2", protocol.StagePreDownload))
	srv.mu.Unlock()
	runOnce(t, cfg)
	// The new deploy has no build yet, so BUILD_ID is empty; what matters is that the
	// old build's script ran.
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("PRE_DOWNLOAD of the installed build did not run: %v", err)
	}
}

func TestDownloading(t *testing.T) {
	archive := buildWithScripts(t, map[string]string{"RESTARTING": "true"})
	sum1 := sha1.Sum(archive)
	for _, tc := range []struct {
		name       string
		setup      func(t *testing.T, srv *fakeServer) protocol.Build
		allowlist  []string
		wantStatus string
		wantMsg    string
	}{
		{name: "sha256 ok", wantStatus: protocol.StatusSucceeded, setup: func(t *testing.T, srv *fakeServer) protocol.Build {
			srv.setArtifact("/a/b1.tar.gz", archive)
			return protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/a/b1.tar.gz", Checksum: sha256Hex(archive)}
		}},
		{name: "sha256 mismatch", wantStatus: protocol.StatusTooManyRetry, wantMsg: "sha256",
			setup: func(t *testing.T, srv *fakeServer) protocol.Build {
				srv.setArtifact("/a/b1.tar.gz", archive)
				return protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/a/b1.tar.gz", Checksum: strings.Repeat("0", 64)}
			}},
		{name: "sha1 sidecar ok", wantStatus: protocol.StatusSucceeded, setup: func(t *testing.T, srv *fakeServer) protocol.Build {
			srv.setArtifact("/a/b1.tar.gz", archive)
			srv.setArtifact("/a/b1.tar.gz.sha1", []byte(hex.EncodeToString(sum1[:])+"  b1.tar.gz\n"))
			return protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/a/b1.tar.gz"}
		}},
		{name: "sha1 sidecar mismatch", wantStatus: protocol.StatusTooManyRetry, wantMsg: "sha1",
			setup: func(t *testing.T, srv *fakeServer) protocol.Build {
				srv.setArtifact("/a/b1.tar.gz", archive)
				srv.setArtifact("/a/b1.tar.gz.sha1", []byte(strings.Repeat("f", 40)))
				return protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/a/b1.tar.gz"}
			}},
		{name: "file url", wantStatus: protocol.StatusSucceeded, setup: func(t *testing.T, srv *fakeServer) protocol.Build {
			p := filepath.Join(t.TempDir(), "b1.tar.gz")
			if err := os.WriteFile(p, archive, 0o644); err != nil {
				t.Fatal(err)
			}
			return protocol.Build{ID: "b1", ArtifactURL: "file://" + p, Checksum: sha256Hex(archive)}
		}},
		{name: "retry after 500", wantStatus: protocol.StatusSucceeded, setup: func(t *testing.T, srv *fakeServer) protocol.Build {
			srv.setArtifact("/a/b1.tar.gz", archive)
			srv.failFirstN["/a/b1.tar.gz"] = 1
			return protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/a/b1.tar.gz", Checksum: sha256Hex(archive)}
		}},
		{name: "file url under an allowed dir", wantStatus: protocol.StatusSucceeded,
			setup: func(t *testing.T, srv *fakeServer) protocol.Build {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "b1.tar.gz"), archive, 0o644)
				srv.allowDir = dir
				return protocol.Build{ID: "b1", ArtifactURL: "file://" + dir + "/b1.tar.gz", Checksum: sha256Hex(archive)}
			}},
		{name: "file url outside the allowlist", allowlist: []string{"artifacts.example.com"}, wantStatus: protocol.StatusAgentFailed,
			wantMsg: "not under a directory of the download allowlist", setup: func(t *testing.T, srv *fakeServer) protocol.Build {
				p := filepath.Join(t.TempDir(), "b1.tar.gz")
				os.WriteFile(p, archive, 0o644)
				return protocol.Build{ID: "b1", ArtifactURL: "file://" + p, Checksum: sha256Hex(archive)}
			}},
		{name: "file url leaving the allowed dir by a symlink", wantStatus: protocol.StatusAgentFailed,
			wantMsg: "inside allowlisted", setup: func(t *testing.T, srv *fakeServer) protocol.Build {
				outside := filepath.Join(t.TempDir(), "b1.tar.gz")
				os.WriteFile(outside, archive, 0o644)
				dir := t.TempDir()
				os.Symlink(outside, filepath.Join(dir, "b1.tar.gz"))
				srv.allowDir = dir
				return protocol.Build{ID: "b1", ArtifactURL: "file://" + dir + "/b1.tar.gz", Checksum: sha256Hex(archive)}
			}},
		{name: "file url with a host", allowlist: []string{"/srv"}, wantStatus: protocol.StatusAgentFailed,
			wantMsg: "must be local", setup: func(t *testing.T, srv *fakeServer) protocol.Build {
				return protocol.Build{ID: "b1", ArtifactURL: "file://evil.example.com/srv/b1.tar.gz"}
			}},
		{name: "allowlist refusal", allowlist: []string{"artifacts.example.com"}, wantStatus: protocol.StatusAgentFailed,
			wantMsg: "not in the download allowlist", setup: func(t *testing.T, srv *fakeServer) protocol.Build {
				srv.setArtifact("/a/b1.tar.gz", archive)
				return protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/a/b1.tar.gz"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeServer(t, noop)
			cfg := testConfig(t, srv.URL)
			b := tc.setup(t, srv)
			cfg.DownloadAllowlist = tc.allowlist
			if srv.allowDir != "" {
				cfg.DownloadAllowlist = []string{"artifacts.example.com", srv.allowDir}
			}
			srv.decide = goalsInOrder(downloadGoal("d1", b))
			runOnce(t, cfg)

			r := lastReport(t, srv)
			if r.DeployStage != protocol.StageDownloading || r.AgentStatus != tc.wantStatus {
				t.Fatalf("report = %+v, want DOWNLOADING/%s", r, tc.wantStatus)
			}
			if !strings.Contains(r.ErrorMessage, tc.wantMsg) {
				t.Fatalf("errorMessage %q does not mention %q", r.ErrorMessage, tc.wantMsg)
			}
			archivePath := filepath.Join(cfg.BuildsDir, testEnv+"-b1.tar.gz")
			_, err := os.Stat(archivePath)
			if ok := tc.wantStatus == protocol.StatusSucceeded; ok != (err == nil) {
				t.Fatalf("archive present = %v, want %v", err == nil, ok)
			}
			entries, _ := os.ReadDir(cfg.BuildsDir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".download-") {
					t.Fatalf("temp download left behind: %s", e.Name())
				}
			}
			if tc.name == "retry after 500" && (srv.hits["/a/b1.tar.gz"] != 2 || r.FailCount != 0) {
				// The download retries by itself; the stage never failed.
				t.Fatalf("want two fetches and a clean success; got %d fetches, %+v", srv.hits["/a/b1.tar.gz"], srv.reportsOf())
			}
			if tc.allowlist != nil && srv.hits["/a/b1.tar.gz"] != 0 {
				t.Fatal("refused artifact was fetched anyway")
			}
		})
	}
}

func TestDownloadingSkipsExtractedBuilds(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, nil))
	hits := srv.hits["/artifacts/b1.tar.gz"]
	srv.mu.Lock()
	srv.decide = goalsInOrder(downloadGoal("d2", protocol.Build{ID: "b1", ArtifactURL: srv.URL + "/artifacts/b1.tar.gz"}))
	srv.mu.Unlock()
	runOnce(t, cfg)
	if r := lastReport(t, srv); r.AgentStatus != protocol.StatusSucceeded || srv.hits["/artifacts/b1.tar.gz"] != hits {
		t.Fatalf("rollback to an extracted build must not download: report %+v, hits %d→%d", r, hits, srv.hits["/artifacts/b1.tar.gz"])
	}
}

func TestStagingExtractsSwapsAndRenders(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	vars := deployGoal("d1", protocol.StagePreDownload)
	vars.DeployGoal.ScriptVariables = map[string]string{"PORT": "8080", "NAME": "svc"}
	srv.decide = goalsInOrder(vars)
	runOnce(t, cfg)

	tmpl := "port=${PORT} name=$NAME pfx=${TELETRAAN_PORT} def=${MISSING:dflt} keep=$HOME cost=$$5\n"
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, nil,
		entry{name: "teletraan/conf/app.conf.tmpl", body: tmpl}))
	target := targetOf(cfg)
	if dest, err := os.Readlink(target); err != nil || dest != filepath.Join(cfg.BuildsDir, "b1") {
		t.Fatalf("target %s → %q, %v", target, dest, err)
	}
	if got := readTrim(t, filepath.Join(target, "app", "VERSION")); got != "1" {
		t.Fatalf("VERSION = %q", got)
	}
	want := "port=8080 name=svc pfx=8080 def=dflt keep=$HOME cost=$5"
	if got := readTrim(t, filepath.Join(target, "teletraan", "conf", "app.conf")); got != want {
		t.Fatalf("rendered template = %q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(cfg.BuildsDir, "b1.extracted")); err != nil {
		t.Fatalf("marker missing: %v", err)
	}

	stagedBuild(t, srv, cfg, "d2", "b2", buildWithScripts(t, nil))
	if dest, _ := os.Readlink(target); dest != filepath.Join(cfg.BuildsDir, "b2") {
		t.Fatalf("target not swapped to b2: %q", dest)
	}
	leftovers, _ := filepath.Glob(target + ".tmp-*")
	if len(leftovers) > 0 {
		t.Fatalf("temporary symlinks left: %v", leftovers)
	}
}

func TestFailingExtractLeavesOldTarget(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, nil))

	evil := gzipBytes(t, tarBytes(t, []entry{{name: "ok.txt", body: "fine"}, {name: "../escape", body: "x"}}))
	srv.setArtifact("/artifacts/b2.tar.gz", evil)
	b := protocol.Build{ID: "b2", ArtifactURL: srv.URL + "/artifacts/b2.tar.gz", Checksum: sha256Hex(evil)}
	srv.mu.Lock()
	srv.decide = goalsInOrder(downloadGoal("d2", b), deployGoal("d2", protocol.StageStaging))
	srv.mu.Unlock()
	runOnce(t, cfg)

	r := lastReport(t, srv)
	if r.DeployStage != protocol.StageStaging || r.AgentStatus != protocol.StatusAgentFailed || !strings.Contains(r.ErrorMessage, `".."`) {
		t.Fatalf("report = %+v", r)
	}
	if dest, _ := os.Readlink(targetOf(cfg)); dest != filepath.Join(cfg.BuildsDir, "b1") {
		t.Fatalf("old target replaced: %q", dest)
	}
	for _, p := range []string{"b2", "b2.extracted", "escape"} {
		if _, err := os.Stat(filepath.Join(cfg.BuildsDir, p)); err == nil {
			t.Fatalf("%s exists after a failed extraction", p)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(cfg.BuildsDir, ".extract-*")); len(m) > 0 {
		t.Fatalf("temp dirs left: %v", m)
	}
}

func TestRestartingScriptIsRequired(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{"POST_RESTART": "true"}))
	srv.mu.Lock()
	srv.decide = goalsInOrder(deployGoal("d1", protocol.StagePreRestart), deployGoal("d1", protocol.StageRestarting))
	srv.mu.Unlock()
	runOnce(t, cfg)
	r := lastReport(t, srv)
	if r.DeployStage != protocol.StageRestarting || r.AgentStatus != protocol.StatusAgentFailed ||
		!strings.Contains(r.ErrorMessage, "no RESTARTING script") {
		t.Fatalf("report = %+v", r)
	}
}

func TestScriptEnvironment(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	vars := deployGoal("d1", protocol.StagePreDownload)
	vars.DeployGoal.ScriptVariables = map[string]string{"MY_VAR": "hello"}
	srv.decide = goalsInOrder(vars)
	runOnce(t, cfg)
	out := filepath.Join(t.TempDir(), "env")
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"RESTARTING": "env > " + out + "; pwd -L >> " + out}))
	restart := deployGoal("d1", protocol.StageRestarting)
	restart.DeployGoal.FirstDeploy = true
	restart.DeployGoal.StageType = "PRODUCTION"
	srv.mu.Lock()
	srv.decide = goalsInOrder(restart)
	srv.mu.Unlock()
	runOnce(t, cfg)

	got := readTrim(t, out)
	for _, want := range []string{
		"DEPLOY_ID=d1", "DEPLOY_STEP=RESTARTING", "OPCODE=DEPLOY", "DEPLOY_TYPE=REGULAR", "ENV_NAME=" + testEnv,
		"STAGE_NAME=prod", "COMPUTE_ENV_TYPE=PRODUCTION", "FIRST_DEPLOY=True", "IS_DOCKER=False",
		"TARGET=" + targetOf(cfg), "BUILDS_DIR=" + cfg.BuildsDir, "BUILD_COMMIT=abc123", "BUILD_NAME=myapp",
		"BUILD_ID=b1", "BUILD_URL=" + srv.URL + "/artifacts/b1.tar.gz", "MY_VAR=hello", "\n" + targetOf(cfg),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script environment lacks %q", want)
		}
	}
	logData := readTrim(t, filepath.Join(cfg.AgentDir, "logs", testEnv+".log"))
	if !strings.Contains(logData, "running "+filepath.Join(targetOf(cfg), "teletraan", "RESTARTING")) {
		t.Errorf("script log lacks the run header: %q", logData)
	}
}

func TestScriptTimeoutKillsTheProcessGroup(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	pids := t.TempDir()
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"RESTARTING": "sleep 1000 &\necho $! > " + pids + "/child\necho $$ > " + pids + "/main\nsleep 1000"}))
	restart := deployGoal("d1", protocol.StageRestarting)
	restart.DeployGoal.AgentConfigs = map[string]string{"process_timeout": "0.3"}
	srv.mu.Lock()
	srv.decide = goalsInOrder(restart)
	srv.mu.Unlock()
	runOnce(t, cfg)

	r := lastReport(t, srv)
	if r.AgentStatus != protocol.StatusScriptTimeout {
		t.Fatalf("report = %+v, want SCRIPT_TIMEOUT", r)
	}
	for _, name := range []string{"main", "child"} {
		pid := readTrim(t, filepath.Join(pids, name))
		waitFor(t, name+" process "+pid+" to be gone", func() bool { return processGone(pid) })
	}
}

func TestScriptRetriesThenTooManyRetry(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"POST_RESTART": "echo 'caf\u00e9 is broken'\necho boom >&2\nexit 3"}))
	srv.mu.Lock()
	srv.decide = goalsInOrder(deployGoal("d1", protocol.StagePostRestart))
	srv.mu.Unlock()
	runOnce(t, cfg)

	var failCounts []int
	var final protocol.PingReport
	for _, r := range srv.reportsOf() {
		if r.DeployStage != protocol.StagePostRestart {
			continue
		}
		if r.AgentStatus == protocol.StatusScriptFailed {
			failCounts = append(failCounts, r.FailCount)
		}
		final = r
	}
	if len(failCounts) != 2 || failCounts[0] != 1 || failCounts[1] != 2 {
		t.Fatalf("SCRIPT_FAILED fail counts = %v, want [1 2]", failCounts)
	}
	if final.AgentStatus != protocol.StatusTooManyRetry || final.FailCount != 3 || final.ErrorCode != 3 {
		t.Fatalf("final report = %+v", final)
	}
	if !strings.Contains(final.ErrorMessage, "caf is broken") || !strings.Contains(final.ErrorMessage, "boom") {
		t.Fatalf("errorMessage = %q, want the ASCII tail of the output", final.ErrorMessage)
	}

	// max_retry from the goal overrides the local setting.
	again := deployGoal("d2", protocol.StagePostRestart)
	again.DeployGoal.AgentConfigs = map[string]string{"max_retry": "1"}
	srv.mu.Lock()
	srv.decide = goalsInOrder(again)
	srv.mu.Unlock()
	runOnce(t, cfg)
	if r := lastReport(t, srv); r.AgentStatus != protocol.StatusTooManyRetry || r.FailCount != 1 {
		t.Fatalf("with max_retry=1: %+v", r)
	}
}

func TestEnvSpecificScriptsWin(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	out := filepath.Join(t.TempDir(), "which")
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{
		"RESTARTING":            "echo generic > " + out,
		testEnv + "/RESTARTING": "echo specific > " + out,
		"otherenv/RESTARTING":   "echo other > " + out,
	}))
	srv.mu.Lock()
	srv.decide = goalsInOrder(deployGoal("d1", protocol.StageRestarting))
	srv.mu.Unlock()
	runOnce(t, cfg)
	if got := readTrim(t, out); got != "specific" {
		t.Fatalf("ran the %s script, want teletraan/%s/RESTARTING", got, testEnv)
	}
}

func TestDeleteDropsTheEnvironment(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	pre := deployGoal("d1", protocol.StagePreDownload)
	pre.DeployGoal.ScriptVariables = map[string]string{"A": "1"}
	del := protocol.PingResponse{OpCode: protocol.OpDelete, DeployGoal: &protocol.DeployGoal{
		DeployID: "d1", EnvID: testEnvID, EnvName: testEnv, DeployStage: protocol.StageServingBuild}}
	srv.decide = goalsInOrder(pre, del)
	runOnce(t, cfg)
	if _, ok := readStatus(t, cfg)[testEnv]; ok {
		t.Fatal("DELETE left the environment in the status file")
	}
	if _, err := os.Stat(filepath.Join(cfg.AgentDir, testEnv+"_SCRIPT_CONFIG")); !os.IsNotExist(err) {
		t.Fatalf("DELETE left the script config: %v", err)
	}
}
