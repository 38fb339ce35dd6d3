package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// pingRecorder sits between agents and the service and records every report agents send,
// so a test can check the exact sequence of stages each host walked.
type pingRecorder struct {
	mu      sync.Mutex
	reports map[string][]protocol.PingReport // by host id
	target  *url.URL
	proxy   *httputil.ReverseProxy
}

func newPingRecorder(t *testing.T, target string) (*pingRecorder, *httptest.Server) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r := &pingRecorder{reports: map[string][]protocol.PingReport{}, target: u}
	// The target can change (a restarted service listens elsewhere); agents keep one URL.
	r.proxy = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		r.mu.Lock()
		target := r.target
		r.mu.Unlock()
		pr.SetURL(target)
	}}
	// Held pings cut off when a test ends are expected, not worth a log line.
	r.proxy.ErrorLog = log.New(io.Discard, "", 0)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

// retarget sends later requests to another service address.
func (r *pingRecorder) retarget(t *testing.T, target string) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.target = u
	r.mu.Unlock()
}

func (r *pingRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == protocol.PingPath {
		body, _ := io.ReadAll(req.Body)
		var ping protocol.PingRequest
		if json.Unmarshal(body, &ping) == nil {
			r.mu.Lock()
			r.reports[ping.HostID] = append(r.reports[ping.HostID], ping.Reports...)
			r.mu.Unlock()
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.proxy.ServeHTTP(w, req)
}

// completedStages returns, in order, the stages a host reported SUCCEEDED for a deploy,
// collapsing repeats of the same report (progress pings resend it).
func (r *pingRecorder) completedStages(host, deployID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rep := range r.reports[host] {
		if rep.DeployID != deployID || rep.AgentStatus != protocol.StatusSucceeded {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == rep.DeployStage {
			continue
		}
		out = append(out, rep.DeployStage)
	}
	return out
}

// markerTarball builds a Teletraan-style tarball whose scripts append "<STAGE>" to
// markers.log beside the host's builds dir (each agent has its own), and whose RESTARTING,
// when the agent runs with HANG_ONCE=1, waits the first time until a "release" file
// appears beside the builds dir, so that a test can kill the agent in the middle of it.
func markerTarball(t *testing.T, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name, body string) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	mark := "echo \"$DEPLOY_STEP\" >> \"$BUILDS_DIR/../markers.log\"\n"
	for _, stage := range []string{"PRE_DOWNLOAD", "POST_DOWNLOAD", "PRE_RESTART", "POST_RESTART", "SERVING_BUILD", "STOPPING"} {
		add("teletraan/"+stage, "#!/bin/sh\n"+mark)
	}
	add("teletraan/RESTARTING", "#!/bin/sh\n"+mark+
		"if [ -n \"$HANG_ONCE\" ] && [ ! -e \"$BUILDS_DIR/../hung\" ]; then\n"+
		"  echo $$ > \"$BUILDS_DIR/../hung\"\n"+
		"  while [ ! -e \"$BUILDS_DIR/../release\" ]; do sleep 0.05; done\nfi\n"+
		// Version 2 cannot start on a host whose directory says failhost.
		"if [ \"$(cat \"$TARGET/app/VERSION\")\" = 2 ] && case \"$BUILDS_DIR\" in *failhost*) true;; *) false;; esac; then\n"+
		"  echo \"cannot bind port 8080\" >&2\n  exit 3\nfi\n")
	add("app/VERSION", version+"\n")
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// publishMarkerBuild writes the marker tarball and publishes it as a build named hello.
func publishMarkerBuild(t *testing.T, s *runningStack, version string) string {
	t.Helper()
	body := markerTarball(t, version)
	path := filepath.Join(t.TempDir(), "hello-"+version+".tar.gz")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "file://" + path,
		"checksum": hex.EncodeToString(sum[:]), "commit": "c0ffee" + version, "branch": "main"}, 201, &build)
	return build.ID
}

type stageHosts struct {
	Hosts []struct {
		HostName  string
		Agent     *struct{ DeployID, DeployStage, Status, State string }
		LastError *struct{ ErrorMessage string }
	}
}

func waitServing(t *testing.T, s *runningStack, deployID string, hosts int) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("%d hosts serving deploy %s", hosts, deployID), func() (bool, string) {
		var got stageHosts
		s.call(t, "GET", "/v1/envs/hello/dev/hosts", nil, 200, &got)
		serving := 0
		var states []string
		for _, h := range got.Hosts {
			if h.Agent == nil {
				states = append(states, h.HostName+"=none")
				continue
			}
			state := h.HostName + "=" + h.Agent.DeployStage + "/" + h.Agent.Status
			if h.LastError != nil && h.Agent.Status != protocol.StatusSucceeded {
				state += " (" + h.LastError.ErrorMessage + ")"
			}
			states = append(states, state)
			if h.Agent.DeployID == deployID && h.Agent.DeployStage == protocol.StageServingBuild && h.Agent.Status == protocol.StatusSucceeded {
				serving++
			}
		}
		return serving == hosts, strings.Join(states, " ")
	})
}

func agentConfig(t *testing.T, serverURL, token, host, dir string) agent.Config {
	cfg := agent.DefaultConfig()
	cfg.ServerURL, cfg.Token = serverURL, token
	cfg.HostID, cfg.HostName, cfg.HostIP = host, host, "127.0.0.1"
	cfg.Groups = []string{localAgentsGroup}
	cfg.AgentDir, cfg.BuildsDir = filepath.Join(dir, "agent"), filepath.Join(dir, "builds")
	cfg.TargetPattern = filepath.Join(dir, "targets", agent.EnvNamePlaceholder)
	// A long idle interval: a host must get its goals from long-polls, never by waiting
	// out the interval, or these tests time out.
	cfg.LongPollWait = 20 * time.Second
	cfg.PingInterval = 10 * time.Minute
	cfg.RetryInterval, cfg.MaxRetryInterval = 50*time.Millisecond, 200*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

// TestAgentsDeployARealTarball: the service with three real agents in temp dirs deploys a
// real tarball; every host walks every stage in order, its scripts ran in order, its target
// points at the build, and the API reports all three at SERVING_BUILD.
func TestAgentsDeployARealTarball(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	rec, proxy := newPingRecorder(t, s.apiURL)
	buildID := publishMarkerBuild(t, s, "1")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	dirs := map[string]string{}
	for i := 1; i <= 3; i++ {
		host := fmt.Sprintf("e2e-host-%d", i)
		dirs[host] = t.TempDir()
		cfg := agentConfig(t, proxy.URL, s.adminToken, host, dirs[host])
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := agent.Run(ctx, cfg); err != nil && ctx.Err() == nil {
				t.Errorf("agent %s: %v", host, err)
			}
		}()
	}

	var d deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": buildID}, 201, &d)
	waitServing(t, s, d.Deploy.ID, 3)

	want := strings.Join(protocol.DeployStages(), " ")
	for host, dir := range dirs {
		if got := strings.Join(rec.completedStages(host, d.Deploy.ID), " "); got != want {
			t.Errorf("%s completed stages %q, want %q", host, got, want)
		}
		scripts, _ := os.ReadFile(filepath.Join(dir, "markers.log"))
		if got := strings.Fields(string(scripts)); strings.Join(got, " ") != "PRE_RESTART RESTARTING POST_RESTART SERVING_BUILD" {
			t.Errorf("%s ran scripts %v", host, got)
		}
		link, err := os.Readlink(filepath.Join(dir, "targets", "hello"))
		if err != nil || filepath.Base(link) != buildID {
			t.Errorf("%s target -> %q (%v), want the build %s", host, link, err, buildID)
		}
	}
	waitDeployState(t, s, d.Deploy.ID, "SUCCEEDING")

	// A second build reaches hosts that already serve the stage only through the deploy
	// workflow's admissions, one wave at a time (hello/dev deploys 50 %: one host of three).
	build2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": build2}, 201, &d2)
	waitServing(t, s, d2.Deploy.ID, 3)
	waitDeployState(t, s, d2.Deploy.ID, "SUCCEEDING")
	waitDeployState(t, s, d.Deploy.ID, "SUCCEEDED")
	for host, dir := range dirs {
		if got := strings.Join(rec.completedStages(host, d2.Deploy.ID), " "); got != want {
			t.Errorf("%s completed stages of the second deploy %q, want %q", host, got, want)
		}
		// PRE_DOWNLOAD and POST_DOWNLOAD run the installed (first) build's scripts.
		scripts, _ := os.ReadFile(filepath.Join(dir, "markers.log"))
		if got, want := strings.Join(strings.Fields(string(scripts)), " "), "PRE_RESTART RESTARTING POST_RESTART SERVING_BUILD PRE_DOWNLOAD POST_DOWNLOAD PRE_RESTART RESTARTING POST_RESTART SERVING_BUILD"; got != want {
			t.Errorf("%s ran scripts %q, want %q", host, got, want)
		}
		version, _ := os.ReadFile(filepath.Join(dir, "targets", "hello", "app", "VERSION"))
		if strings.TrimSpace(string(version)) != "2" {
			t.Errorf("%s serves version %q, want 2", host, version)
		}
	}
	var cur deployResponse
	s.call(t, "GET", "/v1/deploys/"+d2.Deploy.ID, nil, 200, &cur)
	if cur.Deploy.Total != 3 {
		t.Errorf("second deploy total = %d, want 3", cur.Deploy.Total)
	}
}

// waitDeployState waits until deploy deployID is in state; a deploy that has no row yet (a
// queued deploy the stage is starting) is waited for too.
func waitDeployState(t *testing.T, s *runningStack, deployID, state string) {
	t.Helper()
	waitFor(t, 60*time.Second, "deploy "+deployID+" "+state, func() (bool, string) {
		code, body := tryCall(s, "GET", "/v1/deploys/"+deployID, nil)
		if code == http.StatusNotFound {
			return false, "not started yet"
		}
		var d deployResponse
		if code != http.StatusOK || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("GET /v1/deploys/%s: %d %s", deployID, code, body)
		}
		return d.Deploy.State == state, d.Deploy.State + " " + d.Deploy.StateReason
	})
}

// TestAgentKilledDuringRestartingConverges: kill -9 the real agent binary while its
// RESTARTING script runs, start it again: the new agent waits for the running copy instead
// of starting a second one, and the host converges with no stage skipped or repeated.
func TestAgentKilledDuringRestartingConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the agent binary")
	}
	bin := buildAgent(t)
	s := startTestStack(t, t.TempDir())
	rec, proxy := newPingRecorder(t, s.apiURL)
	buildID := publishMarkerBuild(t, s, "1")
	const host = "crash-host"
	dir := t.TempDir()
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--server", proxy.URL, "--token", s.adminToken, "--host-id", host, "--host-name", host,
			"--host-ip", "127.0.0.1", "--groups", localAgentsGroup, "--agent-dir", filepath.Join(dir, "agent"),
			"--builds-dir", filepath.Join(dir, "builds"), "--target", filepath.Join(dir, "targets", agent.EnvNamePlaceholder),
			"--wait", "5s", "--ping-interval", "100ms", "--retry-interval", "50ms", "--log-level", "debug")
		cmd.Env = append(os.Environ(), "HANG_ONCE=1")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	t.Cleanup(func() {
		_ = first.Process.Kill()
		if pid, err := os.ReadFile(filepath.Join(dir, "hung")); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
				_ = syscall.Kill(n, syscall.SIGKILL)
			}
		}
	})

	var d deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": buildID}, 201, &d)
	waitFor(t, 60*time.Second, "RESTARTING to hang", func() (bool, string) {
		_, err := os.Stat(filepath.Join(dir, "hung"))
		return err == nil, fmt.Sprint(err)
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	// The first RESTARTING outlived its agent and still runs. The new agent must wait for
	// that copy and report its result, never start a second one beside it; letting the
	// copy finish only now makes any second run show up in markers.log.
	second := start()
	t.Cleanup(func() { _ = second.Process.Kill(); _ = second.Wait() })
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitServing(t, s, d.Deploy.ID, 1)

	if got, want := strings.Join(rec.completedStages(host, d.Deploy.ID), " "), strings.Join(protocol.DeployStages(), " "); got != want {
		t.Fatalf("completed stages %q, want %q (no stage skipped)", got, want)
	}
	scripts, _ := os.ReadFile(filepath.Join(dir, "markers.log"))
	if got := strings.Join(strings.Fields(string(scripts)), " "); got != "PRE_RESTART RESTARTING POST_RESTART SERVING_BUILD" {
		t.Fatalf("scripts ran %q; RESTARTING must run exactly once across the crash and nothing after it may be skipped", got)
	}
}

// TestDevStackSampleDeploysToLocalAgents is the README's first deploy: `teletraan dev`
// creates hello/dev and sample builds, and its local agents deploy one.
func TestDevStackSampleDeploysToLocalAgents(t *testing.T) {
	dataDir := t.TempDir()
	s := startTestStackWithAgents(t, dataDir, 2)
	var builds struct {
		Builds []struct{ ID, PublishInfo string }
	}
	s.call(t, "GET", "/v1/builds?name=hello", nil, 200, &builds)
	if len(builds.Builds) != 2 || builds.Builds[1].PublishInfo != "sample build 1" {
		t.Fatalf("sample builds = %+v", builds)
	}
	var d deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": builds.Builds[1].ID}, 201, &d)
	waitServing(t, s, d.Deploy.ID, 2)
	log, err := os.ReadFile(filepath.Join(dataDir, "agents", "local-agent-1", "agent", "logs", "hello.log"))
	if err != nil || !strings.Contains(string(log), "RESTARTING") || !strings.Contains(string(log), builds.Builds[1].ID) {
		t.Fatalf("local agent's log does not show the sample scripts: %v\n%s", err, log)
	}
}
