package agent_test

import (
	"crypto/rand"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// agentFiles lists everything the agent keeps: its dir recursively (logs, status, the
// target link) and the top of its builds dir (a build's own content is the build's).
func agentFiles(t *testing.T, cfg agent.Config) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(cfg.AgentDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(cfg.AgentDir, p)
		out = append(out, "agent/"+rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(cfg.BuildsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		out = append(out, "builds/"+e.Name())
	}
	slices.Sort(out)
	return out
}

// TestNothingLeftBehind fails a second deploy in every way a download or an archive can
// fail and checks after each that the agent's dirs hold exactly what they held with
// the first build installed: no refused archive, partial download or half-extracted dir.
func TestNothingLeftBehind(t *testing.T) {
	random := make([]byte, 200<<10)
	rand.Read(random)
	hostile := gzipBytes(t, tarBytes(t, []entry{
		{name: "a/", typ: '5'}, {name: "a/l", link: "..", typ: '2'}, {name: "d", link: "a/l/../..", typ: '2'}}))
	bomb := gzipBytes(t, append(tarBytes(t, []entry{{name: "a", body: "x"}}), make([]byte, 1<<20)...))
	for _, tc := range []struct {
		name    string
		archive []byte
		stage   string // where the deploy fails
		setup   func(srv *fakeServer, b *protocol.Build)
	}{
		{name: "two-link escape", archive: hostile, stage: protocol.StageStaging},
		{name: "gzip bomb tail", archive: bomb, stage: protocol.StageStaging},
		{name: "checksum mismatch", archive: random, stage: protocol.StageDownloading,
			setup: func(_ *fakeServer, b *protocol.Build) { b.Checksum = strings.Repeat("0", 64) }},
		{name: "larger than the limit", archive: random, stage: protocol.StageDownloading},
		{name: "connection dropped mid-body", archive: random, stage: protocol.StageDownloading,
			setup: func(srv *fakeServer, b *protocol.Build) { srv.truncate["/artifacts/b2.tar.gz"] = true }},
		{name: "not found", stage: protocol.StageDownloading,
			setup: func(srv *fakeServer, b *protocol.Build) { b.ArtifactURL = srv.URL + "/artifacts/missing.tar.gz" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeServer(t, noop)
			cfg := testConfig(t, srv.URL)
			cfg.MaxArchiveBytes = 100 << 10
			stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{"RESTARTING": "true"}))
			before := agentFiles(t, cfg)

			srv.setArtifact("/artifacts/b2.tar.gz", tc.archive)
			b := protocol.Build{ID: "b2", ArtifactURL: srv.URL + "/artifacts/b2.tar.gz", Checksum: sha256Hex(tc.archive)}
			if tc.setup != nil {
				tc.setup(srv, &b)
			}
			srv.mu.Lock()
			goals := []protocol.PingResponse{downloadGoal("d2", b)}
			if tc.stage == protocol.StageStaging {
				goals = append(goals, deployGoal("d2", protocol.StageStaging))
			}
			srv.decide = goalsInOrder(goals...)
			srv.mu.Unlock()
			runOnce(t, cfg)
			r := lastReport(t, srv)
			if r.DeployStage != tc.stage || !protocol.IsFatalStatus(r.AgentStatus) {
				t.Fatalf("report = %+v, want %s failed", r, tc.stage)
			}
			if after := agentFiles(t, cfg); !slices.Equal(after, before) {
				t.Fatalf("agent files after the failure:\n%v\nwant as before it:\n%v", after, before)
			}
		})
	}
}

// TestCrashLeftoversAreRemovedAtStart plants what a kill -9 mid-download, mid-extraction
// or mid-write leaves and checks that the next start removes it.
func TestCrashLeftoversAreRemovedAtStart(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, map[string]string{"RESTARTING": "true"}))
	before := agentFiles(t, cfg)
	for _, p := range []string{
		filepath.Join(cfg.BuildsDir, ".download-myapp-b2.tar.gz-123"),
		filepath.Join(cfg.BuildsDir, ".extract-b2-456", "app", "VERSION"),
		filepath.Join(cfg.AgentDir, ".env_status.tmp-789"),
	} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runOnce(t, cfg)
	if after := agentFiles(t, cfg); !slices.Equal(after, before) {
		t.Fatalf("agent files after a restart:\n%v\nwant:\n%v", after, before)
	}
}

// TestSupersededDownloadIsRetained checks that an archive downloaded for a deploy that
// was superseded before STAGING goes with the next retention.
func TestSupersededDownloadIsRetained(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.BuildsToRetain = 2
	stagedBuild(t, srv, cfg, "d1", "b1", buildWithScripts(t, nil))
	b2 := buildWithScripts(t, nil)
	srv.setArtifact("/artifacts/b2.tar.gz", b2)
	srv.mu.Lock()
	srv.decide = goalsInOrder(downloadGoal("d2", protocol.Build{ID: "b2", ArtifactURL: srv.URL + "/artifacts/b2.tar.gz"}))
	srv.mu.Unlock()
	runOnce(t, cfg)
	if _, err := os.Stat(filepath.Join(cfg.BuildsDir, testEnv+"-b2.tar.gz")); err != nil {
		t.Fatalf("b2 was not downloaded: %v", err)
	}
	stagedBuild(t, srv, cfg, "d3", "b3", buildWithScripts(t, nil))
	var builds []string
	for _, f := range agentFiles(t, cfg) {
		if rest, ok := strings.CutPrefix(f, "builds/"); ok {
			builds = append(builds, rest)
		}
	}
	if want := []string{"b1", "b1.extracted", "b3", "b3.extracted"}; !slices.Equal(builds, want) {
		t.Fatalf("builds dir = %v, want %v", builds, want)
	}
}
