package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// watchHeartbeat is how often AwaitDeployClosed heartbeats while the deploy runs; the
// stage workflow's heartbeat timeout is a few times this.
const watchHeartbeat = 10 * time.Second

// AwaitDeployClosed waits until the deploy workflow in.WorkflowID (following its
// continue-as-new runs) has closed and says how. The stage workflow runs it for a current
// deploy that an earlier run of the stage started, whose child future that run took with
// it: without it a deploy terminated from the Temporal UI would stay the stage's current
// deploy for ever.
func (a *Activities) AwaitDeployClosed(ctx context.Context, in AwaitDeployClosedInput) (AwaitDeployClosedResult, error) {
	if in.WorkflowID == "" {
		return AwaitDeployClosedResult{}, temporal.NewNonRetryableApplicationError("AwaitDeployClosed needs a WorkflowID", "InvalidInput", nil)
	}
	c := activity.GetClient(ctx)
	done := make(chan error, 1)
	go func() { done <- c.GetWorkflow(ctx, in.WorkflowID, "").Get(ctx, nil) }()
	tick := time.NewTicker(watchHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			activity.RecordHeartbeat(ctx)
		case err := <-done:
			return closedResult(ctx, in.WorkflowID, err)
		}
	}
}

// closedResult turns the outcome of waiting for a workflow into the activity's answer:
// an error of the workflow itself (failed, terminated, timed out, cancelled) or its absence
// means it closed; anything else (the server unreachable, this activity cancelled) is
// returned so that the activity is retried or ends.
func closedResult(ctx context.Context, id string, err error) (AwaitDeployClosedResult, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return AwaitDeployClosedResult{}, ctxErr
	}
	if err == nil {
		return AwaitDeployClosedResult{Closed: true}, nil
	}
	var wfErr *temporal.WorkflowExecutionError
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &wfErr):
		return AwaitDeployClosedResult{Closed: true, Failure: wfErr.Error()}, nil
	case errors.As(err, &notFound):
		return AwaitDeployClosedResult{Closed: true, Failure: fmt.Sprintf("workflow %s no longer exists", id)}, nil
	}
	return AwaitDeployClosedResult{}, fmt.Errorf("wait for workflow %s to close: %w", id, err)
}
