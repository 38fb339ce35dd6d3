package workflows_test

import (
	"errors"
	"reflect"
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

func deployInput() workflows.DeployInput {
	return workflows.DeployInput{DeployID: "d1", StageID: "s", EnvName: "hello", StageName: "prod", BuildID: "b", Type: core.TypeRegular, StageWorkflowID: "stage/hello/prod"}
}

func queryProgress(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.DeployProgress {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.DeployProgressQuery)
	if err != nil {
		t.Errorf("query progress: %v", err)
		return workflows.DeployProgress{}
	}
	var p workflows.DeployProgress
	if err := v.Get(&p); err != nil {
		t.Error(err)
	}
	return p
}

// expectFinished expects the deploy to tell the stage workflow that it ended in state; it
// may tell it its verdict before.
func expectFinished(env *testsuite.TestWorkflowEnvironment, state string) {
	env.OnSignalExternalWorkflow("default-test-namespace", "stage/hello/prod", "", workflows.DeployFinishedSignal,
		workflows.DeployFinished{DeployID: "d1", State: state}).Return(nil).Once()
	allowVerdicts(env)
}

// allowVerdicts lets the deploy tell the stage workflow its SUCCEEDING or FAILING verdict.
func allowVerdicts(env *testsuite.TestWorkflowEnvironment) {
	env.OnSignalExternalWorkflow("default-test-namespace", "stage/hello/prod", "", workflows.DeployStateSignal, mock.Anything).Return(nil).Maybe()
}

func supersede(env *testsuite.TestWorkflowEnvironment) {
	env.SignalWorkflow(workflows.AbortDeploySignal, workflows.AbortRequest{Reason: workflows.SupersededReasonPrefix + "d2", Operator: "alice"})
}

func abortByBob(env *testsuite.TestWorkflowEnvironment) {
	env.SignalWorkflow(workflows.AbortDeploySignal, workflows.AbortRequest{Reason: "aborted by bob", Operator: "bob"})
}

func TestDeployRollsOutInWavesAndSucceedsWhenSuperseded(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 10, settings: activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 100, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateSucceeded)
	env.RegisterDelayedCallback(func() {
		p := queryProgress(t, env)
		want := workflows.DeployProgress{DeployID: "d1", State: core.StateSucceeding, Reason: "10 of 10 hosts serving build b",
			TotalHosts: 10, Wave: 4, Window: 3, Succeeded: 10}
		if p != want {
			t.Errorf("progress = %+v\nwant       %+v", p, want)
		}
		supersede(env)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	var p workflows.DeployProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(store.admits, []int{3, 3, 3, 1}) {
		t.Errorf("admitted per wave = %v, want [3 3 3 1]", store.admits)
	}
	for _, in := range store.waveInputs {
		if in.Window != 3 || in.SuccessThreshold != 100 || in.StuckTimeoutSeconds != 600 || in.Drain || in.StageID != "s" {
			t.Errorf("wave input = %+v", in)
		}
	}
	want := []string{"SUCCEEDING:10 of 10 hosts serving build b", "SUCCEEDED:superseded by deploy d2"}
	if got := store.stateLog("d1"); !reflect.DeepEqual(got, want) {
		t.Errorf("states = %q, want %q", got, want)
	}
	if p.State != core.StateSucceeded || p.Succeeded != 10 {
		t.Errorf("result = %+v", p)
	}
	env.AssertExpectations(t)
}

func TestFailuresUnderTheThresholdAreTolerated(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 10, fail: map[int]bool{4: true}, settings: activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 90, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() { abortByBob(env) }, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	want := []string{"SUCCEEDING:9 of 10 hosts serving build b", "ABORTED:aborted by bob"}
	if got := store.stateLog("d1"); !reflect.DeepEqual(got, want) {
		t.Errorf("states = %q, want %q (an explicit abort ends ABORTED even after success)", got, want)
	}
	if !reflect.DeepEqual(store.admits, []int{3, 3, 3, 1}) {
		t.Errorf("admitted per wave = %v", store.admits)
	}
}

func TestFailingHostStopsAdmissions(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 10, fail: map[int]bool{1: true}, settings: activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 100, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		p := queryProgress(t, env)
		if p.State != core.StateFailing || p.Failed != 1 || p.Succeeded != 2 || p.Remaining != 7 || p.Wave != 1 {
			t.Errorf("progress = %+v", p)
		}
		abortByBob(env)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	if !reflect.DeepEqual(store.admits, []int{3}) {
		t.Errorf("admitted per wave = %v; a FAILING deploy must admit no more hosts", store.admits)
	}
	got := store.stateLog("d1")
	if len(got) != 2 || !strings.HasPrefix(got[0], "FAILING:1 of 10 hosts failed") || got[1] != "ABORTED:aborted by bob" {
		t.Errorf("states = %q", got)
	}
	env.AssertExpectations(t)
}

func TestStuckHostCountsAsFailed(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 5, stick: map[int]bool{0: true}, settings: activities.RolloutSettings{MaxParallel: 2, SuccessThreshold: 100, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		if p := queryProgress(t, env); p.Stuck != 1 || p.InFlight != 1 {
			t.Errorf("progress = %+v; the stuck host stays in flight", p)
		}
		supersede(env)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	got := store.stateLog("d1")
	if len(got) != 2 || !strings.HasPrefix(got[0], "FAILING:1 of 5 hosts failed (0 with a fatal error, 1 stuck)") || got[1] != "ABORTED:superseded by deploy d2" {
		t.Errorf("states = %q; a superseded FAILING deploy ends ABORTED", got)
	}
	if !reflect.DeepEqual(store.admits, []int{2}) {
		t.Errorf("admitted per wave = %v", store.admits)
	}
}

func TestAbortMidDeployStopsAdmitting(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 10, frozen: true, awaitDelay: 5 * time.Minute, settings: activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 100, StuckTimeoutSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		p := queryProgress(t, env)
		if p.State != core.StateRunning || p.InFlight != 3 || p.Remaining != 7 || p.Wave != 1 || p.Window != 3 {
			t.Errorf("progress before the abort = %+v", p)
		}
		abortByBob(env)
	}, time.Minute)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	if !reflect.DeepEqual(store.admits, []int{3}) || len(store.waveInputs) != 1 {
		t.Errorf("admits = %v after %d AdmitWave calls; an aborted deploy admits no more", store.admits, len(store.waveInputs))
	}
	if got := store.stateLog("d1"); !reflect.DeepEqual(got, []string{"ABORTED:aborted by bob"}) {
		t.Errorf("states = %q", got)
	}
	env.AssertExpectations(t)
}

func TestBakeTimeIsSleptBetweenWaves(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 10, settings: activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 100, StuckTimeoutSeconds: 600, BakeTimeSeconds: 90}}
	store.register(env)
	expectFinished(env, core.StateSucceeded)
	env.RegisterDelayedCallback(func() { supersede(env) }, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	if len(store.admitTimes) != 4 {
		t.Fatalf("admit times = %v", store.admitTimes)
	}
	for i := 1; i < len(store.admitTimes); i++ {
		if gap := store.admitTimes[i].Sub(store.admitTimes[i-1]); gap != 90*time.Second {
			t.Errorf("wave %d started %v after wave %d, want the 90s bake time", i+1, gap, i)
		}
	}
	for _, in := range store.waveInputs {
		if !in.Drain {
			t.Errorf("with a bake time waves must drain: %+v", in)
		}
	}
	if got := store.stateLog("d1"); len(got) != 2 || got[1] != "SUCCEEDED:superseded by deploy d2" {
		t.Errorf("states = %q", got)
	}
}

func TestDeployContinuesAsNewKeepingCountsAndWave(t *testing.T) {
	settings := activities.RolloutSettings{MaxParallel: 3, SuccessThreshold: 100, StuckTimeoutSeconds: 600}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 10, awaitDelay: time.Minute, settings: settings}
	store.register(env)
	// Waves start at 0 and 1 minute; the suggestion lands during the second wait.
	env.RegisterDelayedCallback(func() { env.SetContinueAsNewSuggested(true) }, 90*time.Second)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())

	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.DeployInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	want := workflows.RolloutState{Settings: settings, Counts: core.WaveCounts{Total: 10, Succeeded: 6, Remaining: 4}, Wave: 2, State: core.StateRunning}
	if next.Rollout == nil || !reflect.DeepEqual(next.Rollout.Settings, want.Settings) || next.Rollout.Counts != want.Counts || next.Rollout.Wave != 2 || next.Rollout.State != core.StateRunning {
		t.Fatalf("continued rollout = %+v, want %+v", next.Rollout, want)
	}
	if next.DeployID != "d1" || next.BuildID != "b" || next.StageWorkflowID != "stage/hello/prod" {
		t.Fatalf("continued input lost the deploy: %+v", next)
	}

	// The next run picks up where the last one stopped, without reloading the settings.
	env2 := s.NewTestWorkflowEnvironment()
	store2 := &fakeStore{hosts: 10, settings: activities.RolloutSettings{MaxParallel: 99}}
	store2.register(env2)
	expectFinished(env2, core.StateSucceeded)
	for i := 0; i < 6; i++ {
		store2.host[i] = hostSucceeded
	}
	env2.RegisterDelayedCallback(func() {
		p := queryProgress(t, env2)
		if p.State != core.StateSucceeding || p.Wave != 4 || p.Succeeded != 10 {
			t.Errorf("progress after the second run = %+v", p)
		}
		supersede(env2)
	}, time.Hour)
	env2.ExecuteWorkflow(workflows.DeployWorkflow, next)
	if store2.starts != 0 {
		t.Errorf("a continued run loaded the settings again")
	}
	if !reflect.DeepEqual(store2.admits, []int{3, 1}) {
		t.Errorf("admitted per wave after continuing = %v, want [3 1] (window from the carried settings)", store2.admits)
	}
}
