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

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

var stageInput = workflows.StageInput{StageID: "stage-1", EnvName: "hello", StageName: "prod"}

func deployRequest(id string) workflows.StartDeployRequest {
	return workflows.StartDeployRequest{DeployID: id, BuildID: "build-" + id, BuildName: "hello", Type: core.TypeRegular, Operator: "alice"}
}

type updateResult struct {
	rejected, failed error
	result           workflows.StartDeployResult
	done             bool
}

func sendDeploy(env *testsuite.TestWorkflowEnvironment, req workflows.StartDeployRequest, out *updateResult) {
	sendDeployAs(env, req.DeployID, req, out)
}

// sendDeployAs sends req under updateID rather than the deploy id.
func sendDeployAs(env *testsuite.TestWorkflowEnvironment, updateID string, req workflows.StartDeployRequest, out *updateResult) {
	env.UpdateWorkflow(workflows.StartDeployUpdate, updateID, &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { out.rejected, out.done = err, true },
		OnComplete: func(v interface{}, err error) {
			out.failed, out.done = err, true
			if r, ok := v.(workflows.StartDeployResult); ok {
				out.result = r
			}
		},
	}, req)
}

func queryStage(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.StageStatus {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.StageStatusQuery)
	if err != nil {
		t.Fatalf("query stage: %v", err)
	}
	var st workflows.StageStatus
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStartDeployStartsChildAndSupersedes(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	// Hosts never finish, so the first deploy is still RUNNING when the second supersedes it.
	store := &fakeStore{hosts: 3, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	var first, second, again updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &first) }, time.Second)
	env.RegisterDelayedCallback(func() {
		st := queryStage(t, env)
		if st.Current == nil || st.Current.DeployID != "d1" || st.Started != 1 {
			t.Errorf("after first deploy: status %+v", st)
		}
		sendDeploy(env, deployRequest("d2"), &second)
	}, time.Minute)
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d2"), &again) }, 2*time.Minute)
	env.RegisterDelayedCallback(func() {
		st := queryStage(t, env)
		if st.Current == nil || st.Current.DeployID != "d2" || st.Started != 2 {
			t.Errorf("after second deploy: status %+v", st)
		}
		env.CancelWorkflow()
	}, 3*time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if !first.done || first.failed != nil || first.rejected != nil || first.result.WorkflowID != "deploy/d1" {
		t.Fatalf("first update: %+v", first)
	}
	if second.failed != nil || second.result.Superseded != "d1" {
		t.Fatalf("second update should supersede d1: %+v", second)
	}
	// Temporal dedupes updates by id (the deploy id), so a retried request gets the first answer.
	if again.failed != nil || again.result != second.result {
		t.Fatalf("a retried update must give the same answer without a new deploy: %+v", again)
	}
	if len(store.created) != 2 {
		t.Fatalf("deploy rows created: %d, want 2", len(store.created))
	}
	if got := store.stateLog("d1"); len(got) != 1 || !strings.HasPrefix(got[0], "ABORTED:superseded by deploy d2") {
		t.Fatalf("d1 states = %v, want ABORTED by supersession", got)
	}
	if c := store.created[0]; c.WorkflowID != "deploy/d1" || c.Operator != "alice" || c.StageID != "stage-1" {
		t.Fatalf("deploy row input: %+v", c)
	}
}

func TestStartDeployValidatorRejects(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 1}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	bad := deployRequest("d1")
	bad.Type = "SIDEWAYS"
	noBuild := deployRequest("d2")
	noBuild.BuildID = ""
	var r1, r2 updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, bad, &r1) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, noBuild, &r2) }, 2*time.Second)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if r1.rejected == nil || !strings.Contains(r1.rejected.Error(), "SIDEWAYS") {
		t.Fatalf("bad type: rejection = %v", r1.rejected)
	}
	if r2.rejected == nil || !strings.Contains(r2.rejected.Error(), "build id") {
		t.Fatalf("no build: rejection = %v", r2.rejected)
	}
	if len(store.created) != 0 {
		t.Fatalf("a rejected update must not write anything, created %v", store.created)
	}
}

func TestDeployToStageWithoutHostsFails(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 0}
	store.register(env)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.DeployProgressQuery)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		var p workflows.DeployProgress
		_ = v.Get(&p)
		if p.State != core.StateFailing || !strings.Contains(p.Reason, "no hosts") {
			t.Errorf("progress = %+v, want FAILING for no hosts", p)
		}
		env.SignalWorkflow(workflows.AbortDeploySignal, workflows.AbortRequest{Reason: "aborted by bob", Operator: "bob"})
	}, time.Minute)
	env.OnSignalExternalWorkflow("default-test-namespace", "stage/hello/prod", "", workflows.DeployFinishedSignal, workflows.DeployFinished{DeployID: "d1", State: core.StateAborted}).Return(nil).Once()
	allowVerdicts(env)
	env.ExecuteWorkflow(workflows.DeployWorkflow, workflows.DeployInput{DeployID: "d1", StageID: "s", EnvName: "hello", StageName: "prod", BuildID: "b", Type: core.TypeRegular, StageWorkflowID: "stage/hello/prod"})

	var p workflows.DeployProgress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	if got := store.stateLog("d1"); len(got) != 2 || !strings.HasPrefix(got[0], "FAILING:") || got[1] != "ABORTED:aborted by bob" {
		t.Fatalf("states = %v", got)
	}
	if p.State != core.StateAborted {
		t.Fatalf("result = %+v", p)
	}
	env.AssertExpectations(t)
}

func TestDeployWorkflowRejectsIncompleteInput(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.ExecuteWorkflow(workflows.DeployWorkflow, workflows.DeployInput{DeployID: "d1"})
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "needs DeployID, StageID and BuildID") {
		t.Fatalf("error = %v", err)
	}
}

func TestStageContinuesAsNewKeepingState(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2}
	store.register(env)
	// The deploy itself is not under test here, but it must outlive the stage's run: a
	// deploy that ends without telling its stage is let go (TestTerminatedDeployIsLetGo).
	env.OnWorkflow(workflows.DeployWorkflow, mock.Anything, mock.Anything).Return(outlivingDeploy)
	var r updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &r) }, time.Second)
	env.RegisterDelayedCallback(func() { env.SetContinueAsNewSuggested(true) }, time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.StageInput
	if can.Input == nil {
		t.Fatal("continue-as-new carries no input")
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.Current == nil || next.State.Current.DeployID != "d1" || next.State.Started != 1 || next.StageID != "stage-1" {
		t.Fatalf("continued input lost state: %+v", next)
	}
}

func TestCancelledDeployEndsAborted(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 4, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.DeployProgressQuery)
		if err != nil {
			t.Errorf("query: %v", err)
		} else {
			var p workflows.DeployProgress
			_ = v.Get(&p)
			if p.State != core.StateRunning || p.TotalHosts != 4 {
				t.Errorf("progress before cancel = %+v", p)
			}
		}
		env.CancelWorkflow()
	}, time.Minute)
	env.ExecuteWorkflow(workflows.DeployWorkflow, workflows.DeployInput{DeployID: "d1", StageID: "s", EnvName: "hello", StageName: "prod", BuildID: "b", Type: core.TypeRegular})
	if got := store.stateLog("d1"); len(got) != 1 || got[0] != "ABORTED:deploy workflow was cancelled" {
		t.Fatalf("states = %v; a cancelled deploy must be recorded ABORTED", got)
	}
}
