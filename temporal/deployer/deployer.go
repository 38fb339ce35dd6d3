// Package deployer is the Temporal side of api.Deployer: it turns the API's deploy requests
// and actions into Updates and Queries of the stage workflows and their answers back into
// domain errors. It lives here, not in api, so that the API and its tests link neither the
// Temporal SDK nor the workflows, and beside the other Temporal wiring rather than in
// package temporal so that a server binary does not link the embedded dev server.
package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// Deployer starts deploys through each stage's workflow: an Update-with-Start on
// "stage/<env>/<stage>", so that the stage workflow is the single writer of its stage.
type Deployer struct {
	// Client reaches the Temporal frontend that runs the stage workflows.
	Client client.Client
	// Store loads the deploy a stage workflow answered with, so the API shows its row.
	Store *schema.Store
	// Timeout bounds how long a request waits for the stage workflow's answer; when no
	// worker runs, this is how long until the caller hears so. Default 30 s.
	Timeout time.Duration
	// Namespace is the Temporal namespace of the workflows; "" means "default".
	Namespace string
}

func (d *Deployer) namespace() string {
	if d.Namespace == "" {
		return "default"
	}
	return d.Namespace
}

var _ api.Deployer = (*Deployer)(nil)

// StartDeploy implements api.Deployer.
func (d *Deployer) StartDeploy(ctx context.Context, req api.StartDeployRequest) (*api.StartDeployResult, error) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	st := req.Stage
	deployID := schema.NewID()
	startOp := d.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.StageWorkflowID(st.EnvName, st.StageName),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            fmt.Sprintf("stage %s/%s", st.EnvName, st.StageName),
	}, workflows.StageWorkflow, workflows.StageInput{StageID: st.ID, EnvName: st.EnvName, StageName: st.StageName})

	handle, err := d.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			// The deploy id doubles as the update id: Temporal answers a retried update once.
			UpdateID:     deployID,
			UpdateName:   workflows.StartDeployUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.StartDeployRequest{
				DeployID: deployID, BuildID: req.Build.ID, BuildName: req.Build.Name,
				Type: req.Type, Description: req.Description, Operator: req.Operator, Force: req.Force, Queue: req.Queue,
				AliasDeployID: req.AliasDeployID,
			}},
		},
	})
	if err != nil {
		return nil, temporalError(ctx, st, "deploy", err)
	}
	var res workflows.StartDeployResult
	if err := handle.Get(ctx, &res); err != nil {
		return nil, temporalError(ctx, st, "deploy", err)
	}
	if res.Queued {
		return &api.StartDeployResult{Queued: &api.QueuedDeploy{
			Queued: true, DeployID: res.DeployID, BuildID: req.Build.ID, Type: req.Type, Operator: req.Operator,
			WaitingFor: res.WaitingFor, Replaced: res.Replaced,
		}}, nil
	}
	dep, err := d.Store.GetDeploy(ctx, res.DeployID)
	if err != nil {
		return nil, fmt.Errorf("load started deploy %s: %w", res.DeployID, err)
	}
	return &api.StartDeployResult{Deploy: dep, ClearedQueue: res.Cleared}, nil
}

// QueuedDeploy implements api.Deployer: it queries the stage workflow's status.
func (d *Deployer) QueuedDeploy(ctx context.Context, st *schema.Stage) (*api.QueuedDeploy, error) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := d.Client.QueryWorkflow(ctx, workflows.StageWorkflowID(st.EnvName, st.StageName), "", workflows.StageStatusQuery)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, core.Errorf(core.ENOTFOUND, "nothing is queued on %s/%s", st.EnvName, st.StageName)
	}
	if err != nil {
		return nil, temporalError(ctx, st, "queue query", err)
	}
	var status workflows.StageStatus
	if err := v.Get(&status); err != nil {
		return nil, fmt.Errorf("decode the status of stage %s/%s: %w", st.EnvName, st.StageName, err)
	}
	q := status.Queued
	if q == nil {
		return nil, core.Errorf(core.ENOTFOUND, "nothing is queued on %s/%s", st.EnvName, st.StageName)
	}
	return &api.QueuedDeploy{Queued: true, DeployID: q.DeployID, BuildID: q.BuildID, Type: q.Type, Operator: q.Operator, QueuedAt: q.QueuedAt, WaitingFor: q.WaitingFor}, nil
}
