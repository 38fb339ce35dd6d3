package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
)

func runHTTPCheck(t *testing.T, env *testsuite.TestActivityEnvironment, in activities.HTTPCheckInput) core.AcceptanceEvidence {
	t.Helper()
	v, err := env.ExecuteActivity(acts.RunHTTPCheck, in)
	if err != nil {
		t.Fatal(err)
	}
	var ev core.AcceptanceEvidence
	if err := v.Get(&ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestRunHTTPCheck(t *testing.T) {
	_, _, env := setup(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch r.URL.Path {
		case "/ok/d1":
			_, _ = w.Write([]byte(`{"status":"ok","build":"b1"}`))
		case "/flaky":
			if n%2 == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("ok"))
		default:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("boom"))
		}
	}))
	defer srv.Close()
	vars := core.AcceptanceVars{DeployID: "d1", BuildID: "b1", Env: "hello", Stage: "prod"}
	ev := runHTTPCheck(t, env, activities.HTTPCheckInput{DeployID: "d1", EnvName: "hello", StageName: "prod", Vars: vars,
		Check: core.HTTPCheck{URL: srv.URL + "/ok/{deploy}", BodyContains: `"ok"`, BodyRegexp: `build":"b[0-9]`, EverySeconds: 1, ForSeconds: 2}})
	if !ev.Passed || !strings.Contains(ev.Detail, "3 of 3 rounds passed") {
		t.Errorf("passing check: %+v", ev)
	}
	ev = runHTTPCheck(t, env, activities.HTTPCheckInput{DeployID: "d1", Vars: vars, Check: core.HTTPCheck{Name: "flaky", URL: srv.URL + "/flaky", Retries: 1}})
	if !ev.Passed {
		t.Errorf("a retry should pass the flaky check: %+v", ev)
	}
	ev = runHTTPCheck(t, env, activities.HTTPCheckInput{DeployID: "d1", Vars: vars, Check: core.HTTPCheck{URL: srv.URL + "/bad"}})
	if ev.Passed || !strings.Contains(ev.Detail, "answered 500, want 200") || !strings.Contains(ev.Detail, "boom") {
		t.Errorf("failing check: %+v", ev)
	}
	ev = runHTTPCheck(t, env, activities.HTTPCheckInput{DeployID: "d1", Vars: vars, Check: core.HTTPCheck{URL: srv.URL + "/ok/{deploy}", BodyContains: "missing"}})
	if ev.Passed || !strings.Contains(ev.Detail, `does not contain "missing"`) {
		t.Errorf("body check: %+v", ev)
	}
	ev = runHTTPCheck(t, env, activities.HTTPCheckInput{DeployID: "d1", EnvName: "hello", StageName: "prod", Vars: vars,
		Check: core.HTTPCheck{URL: srv.URL + "/ok/{host}", EachHost: true}})
	if ev.Passed || !strings.Contains(ev.Detail, "no host of hello/prod serves deploy d1") {
		t.Errorf("each-host check on a stage with no serving host: %+v", ev)
	}
}

func runCommand(t *testing.T, in activities.CommandInput) core.AcceptanceEvidence {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	r := &activities.CommandRunner{Dir: t.TempDir(), HeartbeatEvery: 50 * time.Millisecond}
	env.RegisterActivity(r)
	v, err := env.ExecuteActivity(r.RunAcceptanceCommand, in)
	if err != nil {
		t.Fatal(err)
	}
	var ev core.AcceptanceEvidence
	if err := v.Get(&ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestRunAcceptanceCommand(t *testing.T) {
	ev := runCommand(t, activities.CommandInput{Check: core.CommandCheck{Run: `echo "testing $TELETRAAN_DEPLOY_ID"; echo to-stderr >&2; exit 0`},
		Env: map[string]string{"TELETRAAN_DEPLOY_ID": "d1"}})
	if !ev.Passed || ev.ExitCode == nil || *ev.ExitCode != 0 || !strings.Contains(ev.Output, "testing d1") || !strings.Contains(ev.Output, "to-stderr") {
		t.Errorf("passing command: %+v", ev)
	}
	ev = runCommand(t, activities.CommandInput{Check: core.CommandCheck{Run: `for i in $(seq 1 3000); do echo "line $i"; done; exit 4`}})
	if ev.Passed || *ev.ExitCode != 4 || !strings.HasSuffix(strings.TrimSpace(ev.Output), "line 3000") || len(ev.Output) > 4096 {
		t.Errorf("failing command: exit %v, %d bytes of output ending %q", ev.ExitCode, len(ev.Output), ev.Output[max(0, len(ev.Output)-20):])
	}
}

func TestAcceptanceCommandTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ev := runCommand(t, activities.CommandInput{Check: core.CommandCheck{Run: "sleep 300 & echo $! > " + pidFile + "; wait", TimeoutSeconds: 1}})
	if ev.Passed || !strings.Contains(ev.Detail, "did not finish within its timeout of 1s: killed") {
		t.Fatalf("timed out command: %+v", ev)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the command's child %d outlived the kill", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAcceptanceCommandCancelKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	r := &activities.CommandRunner{HeartbeatEvery: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	// The activity's context derives from the worker's background context: cancelling it
	// is what a cancelled qualification does to the running command.
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	env.SetTestTimeout(30 * time.Second)
	env.RegisterActivity(r)
	go func() {
		for {
			if _, err := os.Stat(pidFile); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_, err := env.ExecuteActivity(r.RunAcceptanceCommand, activities.CommandInput{Check: core.CommandCheck{Run: "sleep 300 & echo $! > " + pidFile + "; wait"}})
	if err == nil {
		t.Fatal("a cancelled command should fail its activity")
	}
	raw, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	deadline := time.Now().Add(5 * time.Second)
	for pid > 0 && syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the command's child %d outlived the cancellation", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
