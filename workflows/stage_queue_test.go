package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

func hotfixRequest(id string) workflows.StartDeployRequest {
	r := deployRequest(id)
	r.Type = core.TypeHotfix
	return r
}

func queuedRequest(id string) workflows.StartDeployRequest {
	r := deployRequest(id)
	r.Queue = true
	return r
}

func createdIDs(store *fakeStore) []string {
	var ids []string
	for _, c := range store.created {
		ids = append(ids, c.DeployID)
	}
	return ids
}

func TestQueuedDeployStartsWhenTheHotfixSucceeds(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// Hosts finish, but slowly: the hotfix is RUNNING for a while, then SUCCEEDING.
	store := &fakeStore{hosts: 2, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	var h, q1, q2 updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, hotfixRequest("h1"), &h) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, queuedRequest("q1"), &q1) }, time.Minute)
	env.RegisterDelayedCallback(func() {
		st := queryStage(t, env)
		if st.Queued == nil || st.Queued.DeployID != "q1" || st.Queued.WaitingFor != "HOTFIX deploy h1 (RUNNING)" ||
			st.Queued.BuildID != "build-q1" || st.Queued.Type != core.TypeRegular || st.Queued.Operator != "alice" || st.Queued.QueuedAt.IsZero() {
			t.Errorf("status with q1 queued = %+v (queued %+v)", st, st.Queued)
		}
		sendDeploy(env, queuedRequest("q2"), &q2)
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Queued == nil || st.Queued.DeployID != "q2" || len(store.created) != 1 {
			t.Errorf("status with q2 queued = %+v, created %v", st, createdIDs(store))
		}
	}, 3*time.Minute)
	env.RegisterDelayedCallback(func() {
		st := queryStage(t, env)
		if st.Queued != nil || st.Current == nil || st.Current.DeployID != "q2" || st.Current.WorkflowID != "deploy/q2" {
			t.Errorf("status after the hotfix succeeded = %+v, want q2 started", st)
		}
		env.CancelWorkflow()
	}, 3*time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if h.failed != nil || h.rejected != nil {
		t.Fatalf("hotfix: %+v", h)
	}
	if q1.rejected != nil || q1.failed != nil || !q1.result.Queued || q1.result.DeployID != "q1" || q1.result.WorkflowID != "" ||
		q1.result.WaitingFor != "HOTFIX deploy h1 (RUNNING)" {
		t.Errorf("q1: %+v", q1)
	}
	if q2.rejected != nil || q2.failed != nil || !q2.result.Queued || q2.result.Replaced != "q1" {
		t.Errorf("q2 should replace q1: %+v", q2)
	}
	if got := createdIDs(store); len(got) != 2 || got[0] != "h1" || got[1] != "q2" {
		t.Errorf("deploys created = %v, want h1 then q2 (q1 never)", got)
	}
}

func TestAbortReleasesTheQueue(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	var h, q1 updateResult
	var abort actionResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, hotfixRequest("h1"), &h) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, queuedRequest("q1"), &q1) }, time.Minute)
	env.RegisterDelayedCallback(func() { sendAction(env, workflows.AbortDeployUpdate, "a1", &abort) }, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Queued != nil || st.Current == nil || st.Current.DeployID != "q1" {
			t.Errorf("status after the abort = %+v, want q1 started", st)
		}
		env.CancelWorkflow()
	}, 5*time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if !q1.result.Queued || abort.rejected != nil || abort.failed != nil {
		t.Fatalf("q1 %+v, abort %+v", q1, abort)
	}
	if got := store.stateLog("h1"); len(got) != 1 || got[0] != "ABORTED:aborted by bob" {
		t.Errorf("h1 states = %q, want aborted by bob (not superseded)", got)
	}
	if got := createdIDs(store); len(got) != 2 || got[1] != "q1" {
		t.Errorf("deploys created = %v", got)
	}
}

func TestForcedDeployClearsTheQueue(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	forced := deployRequest("d3")
	forced.Force = true
	var h, q1, force updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, hotfixRequest("h1"), &h) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, queuedRequest("q1"), &q1) }, time.Minute)
	env.RegisterDelayedCallback(func() { sendDeploy(env, forced, &force) }, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Queued != nil || st.Current == nil || st.Current.DeployID != "d3" {
			t.Errorf("status after the forced deploy = %+v", st)
		}
		env.CancelWorkflow()
	}, time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if !q1.result.Queued {
		t.Fatalf("q1: %+v", q1)
	}
	if force.rejected != nil || force.failed != nil || force.result.Superseded != "h1" || force.result.Cleared != "q1" {
		t.Errorf("forced deploy: %+v, want it to supersede h1 and clear q1", force)
	}
	if got := createdIDs(store); len(got) != 2 || got[1] != "d3" {
		t.Errorf("deploys created = %v, want h1, d3", got)
	}
}

func TestQueueSurvivesContinueAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2}
	store.register(env)
	// The mocked deploy never reports a verdict and outlives the run, so the hotfix stays RUNNING.
	env.OnWorkflow(workflows.DeployWorkflow, mock.Anything, mock.Anything).Return(outlivingDeploy)
	var h, q1 updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, hotfixRequest("h1"), &h) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, queuedRequest("q1"), &q1) }, 30*time.Second)
	env.RegisterDelayedCallback(func() { env.SetContinueAsNewSuggested(true) }, time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.StageInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.Queued == nil || next.State.Queued.Request.DeployID != "q1" ||
		next.State.Queued.WaitingFor != "HOTFIX deploy h1 (RUNNING)" {
		t.Fatalf("continued input lost the queue: %+v", next.State)
	}

	// The next run starts the queued deploy once the hotfix reports SUCCEEDING.
	env2 := s.NewTestWorkflowEnvironment()
	store2 := &fakeStore{hosts: 2}
	store2.register(env2)
	env2.OnWorkflow(workflows.DeployWorkflow, mock.Anything, mock.Anything).Return(workflows.DeployProgress{}, nil)
	// The hotfix ran in the earlier run's environment; here its supersession is only a signal.
	env2.OnSignalExternalWorkflow(mock.Anything, "deploy/h1", "", workflows.AbortDeploySignal, mock.Anything).Return(nil).Once()
	env2.RegisterDelayedCallback(func() {
		if st := queryStage(t, env2); st.Queued == nil || st.Queued.DeployID != "q1" {
			t.Errorf("new run status = %+v, want q1 queued", st)
		}
		env2.SignalWorkflow(workflows.DeployStateSignal, workflows.DeployFinished{DeployID: "h1", State: core.StateSucceeding})
	}, time.Second)
	env2.RegisterDelayedCallback(func() {
		// The mocked q1 ends at once, so the stage has let it go again.
		if st := queryStage(t, env2); st.Queued != nil || st.Started != 2 {
			t.Errorf("status after the hotfix succeeded = %+v (current %+v), want q1 started", st, st.Current)
		}
		env2.CancelWorkflow()
	}, time.Minute)
	env2.ExecuteWorkflow(workflows.StageWorkflow, next)
	if got := createdIDs(store2); len(got) != 1 || got[0] != "q1" {
		t.Errorf("deploys created in the new run = %v", got)
	}
}
