package workflows_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// actFrom answers the watches before waves from the nth watch call on with alarm "errors"
// acting by action, and every other watch clear.
func actFrom(n int, action string) func(activities.WatchAlarmsInput, int) activities.WatchAlarmsResult {
	return func(in activities.WatchAlarmsInput, i int) activities.WatchAlarmsResult {
		if i < n {
			return activities.WatchAlarmsResult{Checks: 1}
		}
		return acted(action)
	}
}

func acted(action string) activities.WatchAlarmsResult {
	return activities.WatchAlarmsResult{Acted: true, Action: action, Alarm: "errors", Kind: core.AlarmKindHTTP,
		Outcome: core.AlarmFiring, Detail: "http://alarms/errors answered HTTP 503", Checks: 1}
}

func watchesFrom(f *fakeStore, source string) []activities.WatchAlarmsInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []activities.WatchAlarmsInput
	for _, w := range f.watches {
		if w.Source == source {
			out = append(out, w)
		}
	}
	return out
}

func guardedSettings(bake int) activities.RolloutSettings {
	return activities.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600, BakeTimeSeconds: bake,
		Alarms: []activities.Alarm{{Name: "errors"}}, Guarded: true}
}

// An alarm that fires during a bake fails the deploy before the bake ends: the watch runs
// beside the bake's timer, not only before waves.
func TestAlarmFiringDuringBakeFailsTheDeployAtOnce(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, settings: guardedSettings(3600),
		watchDelays: map[string]time.Duration{activities.GuardBake: 5 * time.Minute},
		watchAct: func(in activities.WatchAlarmsInput, _ int) activities.WatchAlarmsResult {
			if in.Source == activities.GuardBake {
				return acted(core.FiringFail)
			}
			return activities.WatchAlarmsResult{Checks: 1}
		}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	started := env.Now()
	env.RegisterDelayedCallback(func() { abortByBob(env) }, 2*time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := store.stateLog("d1")
	if len(got) != 2 || got[0] != "FAILING:alarm errors is firing (bake check): http://alarms/errors answered HTTP 503" {
		t.Fatalf("states = %q, want FAILING by the bake's watch", got)
	}
	if at := store.stateTimes["d1"][0].Sub(started); at > 10*time.Minute {
		t.Errorf("FAILING recorded %s in, want within the bake's first minutes (the bake lasts an hour)", at)
	}
	if len(store.admits) != 1 {
		t.Errorf("admissions = %v, want only wave 1", store.admits)
	}
	if len(store.actedChecks) != 1 || store.actedChecks[0].Source != activities.GuardBake || store.actedChecks[0].Result.Alarm != "errors" {
		t.Errorf("recorded checks = %+v, want the bake's acting check", store.actedChecks)
	}
	// The bake ends when the alarm acts: the row shows no bake.
	if n := len(store.bakes); n != 2 || store.bakes[1].Until != nil {
		t.Errorf("bakes = %+v, want the bake started and ended", store.bakes)
	}
}

// An alarm with the PAUSE policy that acts while hosts are in flight pauses the deploy: the
// hosts in flight finish, no more are admitted, the reason names the alarm, and a resume
// goes on.
func TestAlarmPausePolicyHoldsTheDeployWhileHostsFinish(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, settings: guardedSettings(0), awaitDelay: 10 * time.Minute,
		watchDelays: map[string]time.Duration{activities.GuardInFlight: time.Minute},
		watchAct: func(in activities.WatchAlarmsInput, _ int) activities.WatchAlarmsResult {
			if in.Source == activities.GuardInFlight {
				return acted(core.FiringPause)
			}
			return activities.WatchAlarmsResult{Checks: 1}
		}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		p := queryProgress(t, env)
		if !p.Paused || p.State != core.StateRunning || p.Succeeded != 1 || len(store.admits) != 1 {
			t.Errorf("progress an hour after the alarm paused = %+v, admits %v; want paused after wave 1", p, store.admits)
		}
		abortByBob(env)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(store.pauses) == 0 || !store.pauses[0].Paused || !strings.HasPrefix(store.pauses[0].Reason, "alarm errors is firing (in-flight check)") {
		t.Errorf("pauses = %+v, want one paused by the alarm with its reason", store.pauses)
	}
}

// A pause that arrives while the alarms are being checked before a wave is recorded at
// once, not when the (slow) check returns.
func TestPauseDuringAlarmCheckIsTakenAtOnce(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, settings: guardedSettings(0),
		watchDelays: map[string]time.Duration{activities.GuardBeforeWave: 9 * time.Minute}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	started := env.Now()
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SetPausedSignal, workflows.PauseRequest{Paused: true, Operator: "bob"})
	}, time.Minute)
	var pausedAt time.Duration
	env.RegisterDelayedCallback(func() {
		store.mu.Lock()
		n := len(store.pauses)
		store.mu.Unlock()
		if n == 0 {
			t.Error("the pause was not recorded within a minute of arriving during a check")
		}
		pausedAt = env.Now().Sub(started)
		abortByBob(env)
	}, 2*time.Minute)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(store.admits) != 0 {
		t.Errorf("admissions = %v at %s, want none: the deploy was paused during its first check", store.admits, pausedAt)
	}
}

// The ROLLBACK policy puts the deploy FAILING with the alarm's reason and asks the stage to
// roll back, even where onFailure is WAIT.
func TestAlarmRollbackPolicyFailsTheDeploy(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, settings: guardedSettings(0), watchAct: actFrom(2, core.FiringRollback)}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.OnSignalExternalWorkflow("default-test-namespace", "stage/hello/prod", "", workflows.AutoRollbackSignal,
		workflows.AutoRollbackRequest{DeployID: "d1", Reason: "alarm errors is firing (before-wave check): http://alarms/errors answered HTTP 503"}).Return(nil).Once()
	env.RegisterDelayedCallback(func() { abortByBob(env) }, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if got := store.stateLog("d1"); len(got) != 2 || !strings.HasPrefix(got[0], "FAILING:alarm errors is firing") {
		t.Errorf("states = %q", got)
	}
	env.AssertExpectations(t)
}

// A deploy that is not guarded (no alarms, or a ROLLBACK the stage lets through) never
// starts a watch.
func TestUnguardedDeployStartsNoWatch(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	settings := guardedSettings(0)
	settings.Guarded = false
	store := &fakeStore{hosts: 2, settings: settings, watchAct: actFrom(1, core.FiringFail)}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() { abortByBob(env) }, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(store.watches) != 0 || store.stateLog("d1")[0] != "SUCCEEDING:2 of 2 hosts serving build b" {
		t.Errorf("watches = %+v, states %q; want no watch and a success", store.watches, store.stateLog("d1"))
	}
}

// An alert signalled to a SUCCEEDING deploy puts it FAILING with the alert's reason, and
// one asking to PAUSE a running deploy pauses it: alerts act where pauses are taken.
func TestAlertActsOnTheDeploy(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.AlertSignal, workflows.AlertRequest{Alert: "HighLatency", Detail: "p99 2.3s", Action: core.FiringFail})
	}, 30*time.Minute)
	env.RegisterDelayedCallback(func() { abortByBob(env) }, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got := store.stateLog("d1")
	if len(got) != 3 || !strings.HasPrefix(got[0], "SUCCEEDING") || got[1] != "FAILING:alert HighLatency is firing: p99 2.3s" {
		t.Errorf("states = %q, want SUCCEEDING, then FAILING by the alert, then the abort", got)
	}

	env = s.NewTestWorkflowEnvironment()
	store = &fakeStore{hosts: 3, awaitDelay: 10 * time.Minute}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.AlertSignal, workflows.AlertRequest{Alert: "HighLatency", Detail: "p99 2.3s", Action: core.FiringPause})
	}, 5*time.Minute)
	env.RegisterDelayedCallback(func() { abortByBob(env) }, 2*time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(store.pauses) == 0 || !strings.HasPrefix(store.pauses[0].Reason, "alert HighLatency is firing: p99 2.3s; paused") || len(store.admits) != 1 {
		t.Errorf("pauses = %+v, admits %v; want the alert's pause after wave 1", store.pauses, store.admits)
	}
}
