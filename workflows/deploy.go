package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// DeployWorkflow rolls one build out to one stage. Per-host state lives in the database,
// never in this history. This is the walking skeleton: it records the deploy's hosts and
// state, answers progress queries, keeps its search attributes current, and ends ABORTED
// when it is superseded or aborted. Admitting hosts in waves arrives with the rolling-deploy
// work.
func DeployWorkflow(ctx workflow.Context, in DeployInput) (DeployProgress, error) {
	d := &deployImpl{in: in, progress: DeployProgress{DeployID: in.DeployID, State: StateRunning}}
	if err := d.setup(ctx); err != nil {
		return d.progress, err
	}
	return d.run(ctx)
}

type deployImpl struct {
	in       DeployInput
	progress DeployProgress
	aborted  *AbortRequest
}

func (d *deployImpl) setup(ctx workflow.Context) error {
	if d.in.DeployID == "" || d.in.StageID == "" || d.in.BuildID == "" {
		return temporal.NewNonRetryableApplicationError("deploy workflow needs DeployID, StageID and BuildID", "InvalidInput", nil)
	}
	return workflow.SetQueryHandler(ctx, DeployProgressQuery, func() (DeployProgress, error) {
		return d.progress, nil
	})
}

func (d *deployImpl) run(ctx workflow.Context) (DeployProgress, error) {
	abortCh := workflow.GetSignalChannel(ctx, AbortDeploySignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		var req AbortRequest
		abortCh.Receive(ctx, &req)
		d.aborted = &req
	})

	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	var total int
	if err := workflow.ExecuteActivity(actx, RecordDeployHostsActivity, RecordDeployHostsInput{DeployID: d.in.DeployID, EnvName: d.in.EnvName, StageName: d.in.StageName}).Get(ctx, &total); err != nil {
		return d.progress, fmt.Errorf("count hosts of %s/%s: %w", d.in.EnvName, d.in.StageName, err)
	}
	d.progress.TotalHosts = total
	if total == 0 {
		// A deploy to nowhere must not look like a success.
		if err := d.setState(ctx, StateFailing, fmt.Sprintf("stage %s/%s has no hosts: add hosts or groups to its capacity", d.in.EnvName, d.in.StageName)); err != nil {
			return d.progress, err
		}
	} else {
		d.progress.Reason = fmt.Sprintf("waiting for %d hosts", total)
		workflow.SetCurrentDetails(ctx, d.progress.Reason)
	}

	if err := workflow.Await(ctx, func() bool { return d.aborted != nil }); err != nil {
		// Cancelling the workflow from the Temporal UI or CLI is an abort too.
		d.aborted = &AbortRequest{Reason: "deploy workflow was cancelled"}
	}
	// The final bookkeeping must happen even if this workflow is being cancelled.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := d.setState(dctx, StateAborted, d.aborted.Reason); err != nil {
		return d.progress, err
	}
	d.notifyStage(dctx)
	return d.progress, nil
}

// setState records a new deploy state in the database and in the search attributes.
func (d *deployImpl) setState(ctx workflow.Context, state, reason string) error {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(actx, SetDeployStateActivity, SetDeployStateInput{DeployID: d.in.DeployID, State: state, Reason: reason}).Get(ctx, nil); err != nil {
		return fmt.Errorf("record state %s of deploy %s: %w", state, d.in.DeployID, err)
	}
	d.progress.State, d.progress.Reason = state, reason
	workflow.SetCurrentDetails(ctx, state+": "+reason)
	return workflow.UpsertTypedSearchAttributes(ctx, StateKey.ValueSet(state))
}

func (d *deployImpl) notifyStage(ctx workflow.Context) {
	if d.in.StageWorkflowID == "" {
		return
	}
	f := workflow.SignalExternalWorkflow(ctx, d.in.StageWorkflowID, "", DeployFinishedSignal, DeployFinished{DeployID: d.in.DeployID, State: d.progress.State})
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not tell the stage workflow that the deploy ended", "error", err)
	}
}
