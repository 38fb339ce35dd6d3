package workflows_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// setHost moves host i to outcome, as a person's retry (back to waiting) or a host failing
// after it served would.
func (f *fakeStore) setHost(i, outcome int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.host[i] = outcome
	delete(f.fail, i)
}

// A deploy FAILING because a host failed runs again once that host is retried, and
// succeeds when the host then does.
func TestFailingDeployRunsAgainWhenItsFailedHostIsRetried(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, fail: map[int]bool{0: true}}
	store.register(env)
	expectFinished(env, core.StateSucceeded)
	env.RegisterDelayedCallback(func() {
		if p := queryProgress(t, env); p.State != core.StateFailing || p.Failed != 1 {
			t.Errorf("progress before the retry = %+v, want FAILING with one failed host", p)
		}
		store.setHost(0, hostWaiting)
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		if p := queryProgress(t, env); p.State != core.StateSucceeding || p.Succeeded != 2 || p.Failed != 0 {
			t.Errorf("progress after the retry = %+v, want SUCCEEDING on both hosts", p)
		}
		supersede(env)
	}, 2*time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := store.stateLog("d1")
	if len(got) != 4 || !strings.HasPrefix(got[0], "FAILING:") || !strings.HasPrefix(got[1], "RUNNING:running again: 0 of 2 hosts failed") ||
		!strings.HasPrefix(got[2], "SUCCEEDING:") || !strings.HasPrefix(got[3], "SUCCEEDED:") {
		t.Errorf("states = %q, want FAILING, RUNNING again, SUCCEEDING, SUCCEEDED", got)
	}
}

// A SUCCEEDING deploy keeps its counts current: a host that fails after the verdict shows.
func TestSucceedingDeployKeepsCounting(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2}
	store.register(env)
	expectFinished(env, core.StateSucceeded)
	env.RegisterDelayedCallback(func() { store.setHost(1, hostFailed) }, time.Hour)
	env.RegisterDelayedCallback(func() {
		if p := queryProgress(t, env); p.State != core.StateSucceeding || p.Succeeded != 1 || p.Failed != 1 {
			t.Errorf("progress = %+v, want SUCCEEDING with the later failure counted", p)
		}
		supersede(env)
	}, 2*time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
}
