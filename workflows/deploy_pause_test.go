package workflows_test

import (
	"reflect"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

func setPaused(env *testsuite.TestWorkflowEnvironment, paused bool) {
	env.SignalWorkflow(workflows.SetPausedSignal, workflows.PauseRequest{Paused: paused, Operator: "carol"})
}

func TestPausedDeployAdmitsNobodyUntilResumed(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// One host finishes per AwaitWave, so hosts are still in flight when the pause lands.
	store := &fakeStore{hosts: 10, awaitDelay: time.Minute, finishPerAwait: 1,
		settings: activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 100, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateSucceeded)
	env.RegisterDelayedCallback(func() { setPaused(env, true) }, 30*time.Second)
	env.RegisterDelayedCallback(func() {
		p := queryProgress(t, env)
		if !p.Paused || p.State != core.StateRunning || p.Succeeded != 3 || p.InFlight != 0 || p.Remaining != 7 {
			t.Errorf("progress while paused = %+v; want paused, the admitted hosts finished, none admitted", p)
		}
		store.mu.Lock()
		if !reflect.DeepEqual(store.admits, []int{3}) {
			t.Errorf("admits while paused = %v, want [3] (only the wave before the pause)", store.admits)
		}
		store.mu.Unlock()
		setPaused(env, false)
	}, 30*time.Minute)
	env.RegisterDelayedCallback(func() { supersede(env) }, 5*time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	// The pause reached the workflow during the first wait, so nothing was admitted after
	// the first wave until the resume at 30m.
	for i, at := range store.admitTimes {
		if at.Sub(store.admitTimes[0]) > 0 && at.Sub(store.admitTimes[0]) < 30*time.Minute {
			t.Errorf("admission %d at %v, while paused", i, at.Sub(store.admitTimes[0]))
		}
	}
	// Paused rounds keep counting the hosts in flight, draining the wave.
	drained := 0
	for _, in := range store.awaitInputs {
		if in.Drain {
			drained++
		}
	}
	if drained == 0 {
		t.Errorf("no draining AwaitWave while paused: %+v", store.awaitInputs)
	}
	if len(store.pauses) != 2 || !store.pauses[0].Paused || store.pauses[1].Paused ||
		store.pauses[0].Reason != workflows.PausedReason("carol") || store.pauses[1].Reason != workflows.ResumedReason("carol") {
		t.Errorf("pauses recorded = %+v", store.pauses)
	}
	if got := store.stateLog("d1"); len(got) != 2 || got[0] != "SUCCEEDING:10 of 10 hosts serving build b" {
		t.Errorf("states = %q", got)
	}
}

func TestResumeInterruptsAPausedWait(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 6, awaitDelay: 10 * time.Minute, finishPerAwait: 1,
		settings: activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 100, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() { setPaused(env, true) }, time.Minute)
	// At 10m the first wait ends and a paused, draining wait starts; resume inside it.
	env.RegisterDelayedCallback(func() { setPaused(env, false) }, 12*time.Minute)
	env.RegisterDelayedCallback(func() {
		if p := queryProgress(t, env); p.Paused {
			t.Errorf("progress after resume = %+v", p)
		}
		abortByBob(env)
	}, 13*time.Minute)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	if len(store.admitTimes) != 2 || store.admitTimes[1].Sub(store.admitTimes[0]) != 12*time.Minute {
		t.Errorf("admit times = %v; the resume must admit at once, not after the paused wait", store.admitTimes)
	}
	if got := store.stateLog("d1"); !reflect.DeepEqual(got, []string{"ABORTED:aborted by bob"}) {
		t.Errorf("states = %q", got)
	}
}

func TestRollbackDeployGoesTwiceAsWide(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 10, settings: activities.RolloutSettings{MaxParallel: 2, SuccessThreshold: 100, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateSucceeded)
	env.RegisterDelayedCallback(func() { supersede(env) }, time.Hour)
	in := deployInput()
	in.Type = core.TypeRollback
	env.ExecuteWorkflow(workflows.DeployWorkflow, in)
	if !reflect.DeepEqual(store.admits, []int{4, 4, 2}) {
		t.Errorf("admitted per wave = %v, want [4 4 2] (twice the stage's window of 2)", store.admits)
	}
}

func TestDeployWindow(t *testing.T) {
	for _, tc := range []struct {
		typ                      string
		total, maxPar, pct, want int
	}{
		{core.TypeRegular, 10, 2, 0, 2},
		{core.TypeRollback, 10, 2, 0, 4},
		{core.TypeRollback, 10, 0, 30, 6},
		{core.TypeRollback, 3, 2, 0, 3},  // capped at total
		{core.TypeRollback, 10, 0, 5, 2}, // at least 1, doubled
		{core.TypeRollback, 0, 2, 0, 0},
		{core.TypeHotfix, 10, 2, 0, 2},
		{core.TypeRestart, 10, 2, 0, 2},
	} {
		if got := core.DeployWindow(tc.typ, tc.total, tc.maxPar, tc.pct); got != tc.want {
			t.Errorf("core.DeployWindow(%s, %d, %d, %d) = %d, want %d", tc.typ, tc.total, tc.maxPar, tc.pct, got, tc.want)
		}
	}
}
