package deployer

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// PauseDeploy implements api.Deployer.
func (d *Deployer) PauseDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return d.act(ctx, req, "pause", workflows.PauseDeployUpdate)
}

// ResumeDeploy implements api.Deployer.
func (d *Deployer) ResumeDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return d.act(ctx, req, "resume", workflows.ResumeDeployUpdate)
}

// AbortDeploy implements api.Deployer.
func (d *Deployer) AbortDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return d.act(ctx, req, "abort", workflows.AbortDeployUpdate)
}

// act sends one action Update to the stage workflow. Unlike a deploy it does not start
// the workflow: a stage without one has never had a deploy to act on.
func (d *Deployer) act(ctx context.Context, req api.DeployActionRequest, action, update string) (*schema.Deploy, error) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st := req.Stage
	handle, err := d.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.StageWorkflowID(st.EnvName, st.StageName),
		UpdateID:     schema.NewID(),
		UpdateName:   update,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{workflows.DeployActionRequest{Operator: req.Operator, Description: req.Description}},
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, core.Errorf(core.ECONFLICT, "stage %s/%s refused the %s: nothing to %s: the stage has no deploy in progress", st.EnvName, st.StageName, action, action)
	}
	if err != nil {
		return nil, temporalError(ctx, st, action, err)
	}
	var res workflows.DeployActionResult
	if err := handle.Get(ctx, &res); err != nil {
		return nil, temporalError(ctx, st, action, err)
	}
	dep, err := d.Store.GetDeploy(ctx, res.DeployID)
	if err != nil {
		return nil, err
	}
	// The deploy workflow records the pause a moment later; answer with what was decided.
	if !core.IsFinalState(dep.State) {
		dep.Paused = res.Paused
	}
	return dep, nil
}

// AlertDeploy implements api.Deployer: it signals the deploy's workflow, which applies the
// action where it records pauses (a deploy that ended ignores it).
func (d *Deployer) AlertDeploy(ctx context.Context, dep *schema.Deploy, req api.AlertAction) error {
	err := d.Client.SignalWorkflow(ctx, dep.WorkflowID, "", workflows.AlertSignal, workflows.AlertRequest{Alert: req.Alert, Detail: req.Detail, Action: req.Action})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return core.Errorf(core.ECONFLICT, "deploy %s has ended: the alert has nothing to act on", dep.ID)
	}
	if err != nil {
		return core.Errorf(core.EUNAVAILABLE, "tell deploy %s about the alert: %v", dep.ID, err)
	}
	return nil
}
