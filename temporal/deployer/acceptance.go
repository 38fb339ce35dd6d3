package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// CommandWorkers implements api.Deployer: the pollers Temporal saw lately on the task
// queue of acceptance commands, which only workers started with
// --allow-acceptance-commands poll.
func (d *Deployer) CommandWorkers(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	resp, err := d.Client.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     d.namespace(),
		TaskQueue:     &taskqueue.TaskQueue{Name: activities.CommandTaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY,
	})
	if err != nil {
		var unavailable *serviceerror.Unavailable
		if errors.As(err, &unavailable) {
			return 0, core.Errorf(core.EUNAVAILABLE, "Temporal is unreachable: %s", unavailable.Message)
		}
		return 0, fmt.Errorf("describe task queue %s: %w", activities.CommandTaskQueue, err)
	}
	return len(resp.GetPollers()), nil
}

// GiveAcceptance implements api.Deployer: the verdict goes to the deploy's qualification
// workflow as an Update, whose validator refuses one it does not wait for.
func (d *Deployer) GiveAcceptance(ctx context.Context, req api.AcceptanceRequest) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	dep := req.Deploy
	handle, err := d.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.QualifyWorkflowID(dep.ID),
		UpdateID:     schema.NewID(),
		UpdateName:   workflows.AcceptanceVerdictUpdate,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{workflows.AcceptanceVerdictRequest{Status: req.Status, Reason: req.Reason, Operator: req.Operator}},
	})
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return core.Errorf(core.ECONFLICT, "deploy %s has no qualification running to give a verdict to", dep.ID)
	}
	st := &schema.Stage{EnvName: dep.EnvName, StageName: dep.StageName}
	if err != nil {
		return temporalError(ctx, st, "verdict", err)
	}
	if err := handle.Get(ctx, nil); err != nil {
		return temporalError(ctx, st, "verdict", err)
	}
	return nil
}

func (d *Deployer) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return 30 * time.Second
}
