package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
)

// fakeAPI plays the REST API: a started deploy moves through the given frames, one per
// GET /v1/deploys/{id}; the last frame repeats.
type fakeAPI struct {
	t      *testing.T
	frames []api.Deploy
	// refuse, when set, answers every POST with 409 and this message.
	refuse string

	mu     sync.Mutex
	polls  int
	posts  []string
	bodies []map[string]any
	auth   []string
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	view := func(d api.Deploy) {
		_ = json.NewEncoder(w).Encode(map[string]any{"deploy": d, "workflowUrl": "http://ui/deploy%2F" + d.ID})
	}
	switch {
	case r.Method == http.MethodPost:
		f.posts = append(f.posts, r.URL.Path)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		f.bodies = append(f.bodies, body)
		if f.refuse != "" {
			w.WriteHeader(http.StatusConflict)
			_, _ = io.WriteString(w, `{"error":{"code":"conflict","message":`+quote(f.refuse)+`}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		view(f.frames[0])
	case r.URL.Path == "/v1/deploys/"+f.frames[0].ID || r.URL.Path == "/v1/envs/hello/prod/deploys/current":
		view(f.frames[min(f.polls, len(f.frames)-1)])
		f.polls++
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"no route for `+r.Method+` `+r.URL.Path+`"}}`)
	}
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func startFakeAPI(t *testing.T, f *fakeAPI) string {
	t.Helper()
	f.t = t
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return srv.URL
}

func frame(state string, total, succeeded, inFlight, failed, remaining int, reason string) api.Deploy {
	return api.Deploy{ID: "d1", Type: "REGULAR", BuildID: "b1", EnvName: "hello", StageName: "prod", Operator: "alice",
		State: state, StateReason: reason, Total: total, Succeeded: succeeded, InFlight: inFlight, Failed: failed, Remaining: remaining}
}

func TestDeployWatchFollowsTheDeployToSuccess(t *testing.T) {
	f := &fakeAPI{frames: []api.Deploy{
		frame("RUNNING", 10, 0, 0, 0, 10, "rolling out"),
		frame("RUNNING", 10, 3, 3, 0, 4, "rolling out"),
		frame("RUNNING", 10, 3, 3, 0, 4, "rolling out"),
		frame("SUCCEEDING", 10, 10, 0, 0, 0, "10 of 10 hosts serving build b1"),
	}}
	url := startFakeAPI(t, f)
	t.Setenv("TELETRAAN_URL", url)
	t.Setenv("TELETRAAN_TOKEN", "s3cret")
	out, err := runCommand(t, "deploy", "hello", "prod", "--build", "b1", "--description", "ship it", "--watch", "--interval", "1ms")
	if err != nil || exitCode(err) != 0 {
		t.Fatalf("deploy --watch: %v\n%s", err, out)
	}
	for _, want := range []string{
		"deploy d1: REGULAR of build b1 to hello/prod by alice, RUNNING",
		"[..............................] 0/10 succeeded, 0 in flight, 0 failed, 10 remaining  RUNNING",
		"[#########>>>>>>>>>............] 3/10 succeeded, 3 in flight, 0 failed, 4 remaining  RUNNING",
		"[##############################] 10/10 succeeded, 0 in flight, 0 failed, 0 remaining  SUCCEEDING",
		"deploy d1 is SUCCEEDING: 10 of 10 hosts serving build b1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Not a terminal: one plain line per change, never a carriage return.
	if strings.Count(out, "3/10 succeeded") != 1 || strings.Contains(out, "\r") {
		t.Errorf("repeated or in-place lines on a non-terminal:\n%q", out)
	}
	if len(f.posts) != 1 || f.posts[0] != "/v1/envs/hello/prod/deploys" || f.auth[0] != "Bearer s3cret" ||
		f.bodies[0]["buildId"] != "b1" || f.bodies[0]["description"] != "ship it" {
		t.Errorf("request = %v %v %v", f.posts, f.auth, f.bodies)
	}
}

func TestWatchExitsNonZeroWhenTheDeployStops(t *testing.T) {
	for _, tc := range []struct {
		name  string
		last  api.Deploy
		args  []string
		path  string
		extra map[string]any
	}{
		{"failing rollback", frame("FAILING", 4, 1, 0, 3, 0, "3 of 4 hosts failed"), []string{"rollback", "hello", "prod", "--to", "d0"}, "/v1/envs/hello/prod/actions/rollback", map[string]any{"toDeployId": "d0"}},
		{"superseded hotfix", frame("ABORTED", 4, 2, 2, 0, 0, "superseded by deploy d9"), []string{"hotfix", "hello", "prod", "--build", "b2"}, "/v1/envs/hello/prod/actions/hotfix", map[string]any{"buildId": "b2"}},
		{"aborted restart", frame("ABORTED", 4, 2, 2, 0, 0, "aborted by bob"), []string{"restart", "hello", "prod"}, "/v1/envs/hello/prod/actions/restart", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAPI{frames: []api.Deploy{frame("RUNNING", 4, 0, 0, 0, 4, ""), tc.last}}
			url := startFakeAPI(t, f)
			out, err := runCommand(t, append(tc.args, "--url", url, "--watch", "--interval", "1ms")...)
			if exitCode(err) != exitDeployFailed {
				t.Fatalf("exit code %d (%v), want %d\n%s", exitCode(err), err, exitDeployFailed, out)
			}
			if !strings.Contains(out, "deploy d1 is "+tc.last.State+": "+tc.last.StateReason) || !strings.Contains(err.Error(), tc.last.StateReason) {
				t.Errorf("output does not say why it stopped: %v\n%s", err, out)
			}
			if len(f.posts) != 1 || f.posts[0] != tc.path {
				t.Errorf("posted to %v, want %s", f.posts, tc.path)
			}
			for k, v := range tc.extra {
				if f.bodies[0][k] != v {
					t.Errorf("body %v lacks %s=%v", f.bodies[0], k, v)
				}
			}
		})
	}
}

func TestActionsPrintTheServersRefusal(t *testing.T) {
	f := &fakeAPI{frames: []api.Deploy{frame("RUNNING", 4, 0, 0, 0, 4, "")},
		refuse: "stage hello/prod refused the resume: deploy d1 is not paused; only a paused deploy can be resumed"}
	url := startFakeAPI(t, f)
	_, err := runCommand(t, "resume", "hello", "prod", "--url", url, "--token", "t")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "deploy d1 is not paused; only a paused deploy can be resumed (HTTP 409)") {
		t.Fatalf("resume refused: %v", err)
	}
	f.refuse = ""
	paused := frame("RUNNING", 4, 1, 1, 0, 2, "paused by alice")
	paused.Paused = true
	f.frames = []api.Deploy{paused}
	for _, verb := range []string{"pause", "abort"} {
		out, err := runCommand(t, verb, "hello", "prod", "--url", url, "--description", "looks bad")
		if err != nil || !strings.Contains(out, "deploy d1: REGULAR of build b1 to hello/prod by alice, RUNNING, paused") {
			t.Errorf("%s: %v\n%s", verb, err, out)
		}
	}
	if f.posts[1] != "/v1/envs/hello/prod/actions/pause" || f.posts[2] != "/v1/envs/hello/prod/actions/abort" || f.bodies[1]["description"] != "looks bad" {
		t.Errorf("posts = %v %v", f.posts, f.bodies)
	}
	out, err := runCommand(t, "status", "hello", "prod", "--url", url)
	if err != nil || !strings.Contains(out, "1/4 succeeded, 1 in flight, 0 failed, 2 remaining  RUNNING (paused)") || !strings.Contains(out, "paused by alice") {
		t.Errorf("status: %v\n%s", err, out)
	}
	_, err = runCommand(t, "status", "hello", "nope", "--url", url)
	if err == nil || !strings.Contains(err.Error(), "no route for GET /v1/envs/hello/nope/deploys/current (HTTP 404)") {
		t.Errorf("status of a missing stage: %v", err)
	}
	_, err = runCommand(t, "status", "hello", "prod", "--url", "ftp://x")
	if err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Errorf("bad URL: %v", err)
	}
}

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		d    api.Deploy
		want string
	}{
		{frame("RUNNING", 0, 0, 0, 0, 0, ""), "[..........] 0/0 succeeded, 0 in flight, 0 failed, 0 remaining  RUNNING"},
		{frame("RUNNING", 10, 2, 3, 1, 4, ""), "[##x>>>....] 2/10 succeeded, 3 in flight, 1 failed, 4 remaining  RUNNING"},
		{frame("FAILING", 3, 1, 0, 2, 0, ""), "[###xxxxxx.] 1/3 succeeded, 0 in flight, 2 failed, 0 remaining  FAILING"},
	} {
		if got := progressLine(&tc.d, 10); got != tc.want {
			t.Errorf("progressLine = %q\nwant           %q", got, tc.want)
		}
	}
}
