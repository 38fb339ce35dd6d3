package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// A deploy workflow that fails before it tells its stage (here: it returns an error at
// once, as a terminated or crashed one would) must not stay the stage's current deploy: a
// stuck HOTFIX would refuse every REGULAR deploy and every action for ever.
func TestDeployEndingWithoutTellingItsStageIsLetGo(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2}
	store.register(env)
	env.OnWorkflow(workflows.DeployWorkflow, mock.Anything, mock.Anything).Return(workflows.DeployProgress{}, errors.New("workflow terminated by ops"))

	var hotfix, regular updateResult
	var pause actionResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, hotfixRequest("h1"), &hotfix) }, time.Second)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Current != nil {
			t.Errorf("status after the hotfix's workflow ended = %+v, want idle", st)
		}
		sendAction(env, workflows.PauseDeployUpdate, "p1", &pause)
		sendDeploy(env, deployRequest("d2"), &regular)
	}, time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if hotfix.failed != nil || hotfix.rejected != nil {
		t.Fatalf("hotfix: %+v", hotfix)
	}
	if got := store.stateLog("h1"); len(got) != 1 || !strings.HasPrefix(got[0], "ABORTED:the deploy workflow ended without finishing the deploy: ") || !strings.Contains(got[0], "terminated by ops") {
		t.Errorf("h1 states = %q, want ABORTED with the workflow's end", got)
	}
	if pause.rejected == nil || !strings.Contains(pause.rejected.Error(), "nothing to pause") {
		t.Errorf("pause after the deploy ended: %+v, want 'nothing to pause'", pause)
	}
	if regular.rejected != nil || regular.failed != nil || regular.result.Queued || regular.result.WorkflowID != "deploy/d2" {
		t.Errorf("regular deploy after the hotfix ended: %+v, want it started", regular)
	}
}

// A run continued as new has no child future for the deploy it inherited; it watches that
// deploy's workflow with an activity instead, and lets it go when it closed.
func TestInheritedDeployIsWatched(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, watchAfter: 3 * time.Minute, watchFailure: "workflow execution error: terminated"}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)
	in := stageInput
	in.State = &workflows.StageState{Started: 1, Current: &workflows.DeployRef{DeployID: "h1", WorkflowID: "deploy/h1", BuildID: "b1", Type: core.TypeHotfix, Operator: "alice", State: core.StateRunning}}

	var early, late updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d2"), &early) }, time.Minute)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Current != nil {
			t.Errorf("status after the inherited hotfix closed = %+v, want idle", st)
		}
		sendDeploy(env, deployRequest("d3"), &late)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, in)

	if early.rejected == nil || !strings.Contains(early.rejected.Error(), "HOTFIX deploy is running") {
		t.Errorf("regular deploy while the hotfix runs: %+v, want refused", early)
	}
	if got := store.stateLog("h1"); len(got) != 1 || !strings.Contains(got[0], "ABORTED:the deploy workflow ended without finishing the deploy: workflow execution error: terminated") {
		t.Errorf("h1 states = %q", got)
	}
	if late.rejected != nil || late.failed != nil || late.result.WorkflowID != "deploy/d3" {
		t.Errorf("regular deploy after the hotfix closed: %+v, want it started", late)
	}
}

// An idle stage sleeps on a condition, not on an hour's timer started anew on every pass.
func TestStageStartsNoIdleTimers(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 1}
	store.register(env)
	timers := 0
	env.SetOnTimerScheduledListener(func(string, time.Duration) { timers++ })
	for i := 1; i <= 5; i++ {
		// Notices about deploys the stage does not know wake its loop and change nothing.
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(workflows.DeployStateSignal, workflows.DeployFinished{DeployID: "gone", State: core.StateSucceeding})
		}, time.Duration(i)*time.Minute)
	}
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 3*time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)
	// The test's own delayed callbacks are timers too.
	if timers > 6 {
		t.Errorf("the stage workflow started %d timers while idle, want none", timers-6)
	}
}

// When the new deploy's workflow cannot start, the running deploy must not have been told
// it is superseded: it goes on as the stage's current deploy.
func TestFailedStartLeavesTheRunningDeployAlone(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	var d1, d2, again updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &d1) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d2"), &d2) }, time.Minute)
	// deploy/d1 has run, so a request that reuses its id (under another update id, as a
	// second caller would) cannot start a workflow.
	env.RegisterDelayedCallback(func() { sendDeployAs(env, "second-caller", deployRequest("d1"), &again) }, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Current == nil || st.Current.DeployID != "d2" {
			t.Errorf("status after the failed start = %+v, want d2 still current", st)
		}
		env.CancelWorkflow()
	}, 10*time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if again.failed == nil || !strings.Contains(again.failed.Error(), "start deploy workflow deploy/d1") {
		t.Fatalf("reused deploy id: %+v, want the start to fail", again)
	}
	// The test's end cancels d2; nothing before that may have stopped it.
	if got := store.stateLog("d2"); len(got) != 1 || got[0] != "ABORTED:deploy workflow was cancelled" {
		t.Errorf("d2 states = %q, want only the test's cancel: a failed start must not supersede it", got)
	}
}

// An abort that arrives while the alarms are being checked ends the deploy at once, not
// when the (slow) check returns.
func TestAbortDuringAlarmCheckIsTakenAtOnce(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	alarms := []activities.Alarm{{Name: "slow", URL: "http://alarms/slow"}}
	store := &fakeStore{hosts: 3, watchDelays: map[string]time.Duration{activities.GuardBeforeWave: 9 * time.Minute},
		settings: activities.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600, Alarms: alarms, Guarded: true}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	started := env.Now()
	env.RegisterDelayedCallback(func() { abortByBob(env) }, time.Minute)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	got, at := store.stateLog("d1"), store.stateTimes["d1"]
	if len(got) != 1 || got[0] != "ABORTED:aborted by bob" {
		t.Fatalf("states = %q", got)
	}
	// The abort came a minute in; the check would have answered at nine.
	if took := at[0].Sub(started); took > 2*time.Minute {
		t.Errorf("ABORTED recorded %s after the start, want within a minute of the abort", took)
	}
	if len(store.admits) != 0 {
		t.Errorf("admissions = %v, want none", store.admits)
	}
}

// An abort that arrives while the deploy records a pause, just before it continues as new,
// is taken by this run rather than dropped with it.
func TestAbortWhileRecordingAPauseIsNotLostAtContinueAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// The bake is where a pause waits for the next round, whose recording takes a minute.
	store := &fakeStore{hosts: 3, pauseDelay: time.Minute,
		settings: activities.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600, BakeTimeSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		env.SetContinueAsNewSuggested(true)
		env.SignalWorkflow(workflows.SetPausedSignal, workflows.PauseRequest{Paused: true, Operator: "bob"})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() { abortByBob(env) }, 10*time.Minute+30*time.Second)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		var next workflows.DeployInput
		_ = converter.GetDefaultDataConverter().FromPayloads(can.Input, &next)
		t.Fatalf("the deploy continued as new (paused %v) and dropped the abort", next.Rollout != nil && next.Rollout.Paused)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := store.stateLog("d1"); len(got) != 1 || got[0] != "ABORTED:aborted by bob" {
		t.Fatalf("states = %q, want the abort recorded", got)
	}
}
