package workflows_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestRejectionsCarryTheirCode checks that the stage workflow's validators refuse with an
// application error typed by the core code, which the API turns into the status.
func TestRejectionsCarryTheirCode(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	badType := deployRequest("d0a")
	badType.Type = "SIDEWAYS"
	noBuild := deployRequest("d0b")
	noBuild.BuildID = ""
	hotfix := deployRequest("d1")
	hotfix.Type = core.TypeHotfix
	var idle, noOperator actionResult
	var badTypeRes, noBuildRes, hotfixRes, blocked updateResult
	env.RegisterDelayedCallback(func() {
		sendAction(env, workflows.PauseDeployUpdate, "p0", &idle)
		env.UpdateWorkflow(workflows.PauseDeployUpdate, "p1", &testsuite.TestUpdateCallback{
			OnAccept:   func() {},
			OnReject:   func(err error) { noOperator.rejected, noOperator.done = err, true },
			OnComplete: func(_ interface{}, err error) { noOperator.failed, noOperator.done = err, true },
		}, workflows.DeployActionRequest{})
		sendDeploy(env, badType, &badTypeRes)
		sendDeploy(env, noBuild, &noBuildRes)
	}, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, hotfix, &hotfixRes) }, 2*time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d2"), &blocked) }, time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if hotfixRes.rejected != nil || hotfixRes.failed != nil {
		t.Fatalf("hotfix: %+v", hotfixRes)
	}
	for _, tc := range []struct {
		name     string
		rejected error
		code     string
	}{
		{"pause when idle", idle.rejected, core.ECONFLICT},
		{"pause without operator", noOperator.rejected, core.EINVALID},
		{"unknown deploy type", badTypeRes.rejected, core.EINVALID},
		{"deploy without build", noBuildRes.rejected, core.EINVALID},
		{"regular deploy during a hotfix", blocked.rejected, core.ECONFLICT},
	} {
		var appErr *temporal.ApplicationError
		if !errors.As(tc.rejected, &appErr) || appErr.Type() != tc.code {
			t.Errorf("%s: rejection = %v, want an application error of type %q", tc.name, tc.rejected, tc.code)
		}
	}
}
