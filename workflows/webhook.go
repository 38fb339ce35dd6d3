package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// deployWebhooksChange gates, for a whole run of the deploy workflow, the webhook events it
// emits (started, succeeded or rolled back, failed, aborted).
const deployWebhooksChange = "deploy-webhooks"

// acceptanceWebhookChange gates the ACCEPTANCE_VERDICT event the stage emits when it
// records a qualification's verdict.
const acceptanceWebhookChange = "acceptance-webhook"

// WebhookAttempts is how many times one event is tried per hook before it is given up
// (every attempt is recorded on the deploy).
const WebhookAttempts = 5

// WebhookWorkflowID is the id of the workflow delivering event of deploy, emitted at
// when (workflow time, which replays the same).
func WebhookWorkflowID(deployID, event string, when time.Time) string {
	return fmt.Sprintf("webhook/%s/%s/%d", deployID, event, when.UnixNano())
}

// EmitWebhook tells the webhooks of the deploy's stage about event. It is the one way any
// workflow (a deploy, a qualification's verdict, a promotion) sends a webhook event: it
// starts WebhookWorkflow as an abandoned child and returns once the child started, so
// that delivery, however slow or failing, never blocks or fails the caller. Callers gate
// it with their own workflow.GetVersion.
func EmitWebhook(ctx workflow.Context, in activities.EmitWebhookInput) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        WebhookWorkflowID(in.DeployID, in.Event, workflow.Now(ctx)),
		ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
		// A day bounds a receiver that is down: five attempts take minutes.
		WorkflowExecutionTimeout: 24 * time.Hour,
	})
	f := workflow.ExecuteChildWorkflow(cctx, WebhookWorkflow, in)
	if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not start the webhook delivery", "deploy", in.DeployID, "event", in.Event, "error", err)
	}
}

// WebhookWorkflow delivers one event to every hook of the deploy's stage that wants it, in
// parallel: DeliverWebhook per hook, with the hook's timeout and retries with backoff
// (WebhookAttempts in all). A hook that stays down fails only its own delivery, which its
// recorded attempts show.
func WebhookWorkflow(ctx workflow.Context, in activities.EmitWebhookInput) error {
	var targets activities.WebhookTargetsResult
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, storeActivityOptions), acts.WebhookTargets, in).Get(ctx, &targets); err != nil {
		return err
	}
	info := workflow.GetInfo(ctx)
	futures := make([]workflow.Future, 0, len(targets.Hooks))
	for _, h := range targets.Hooks {
		opts := workflow.ActivityOptions{
			StartToCloseTimeout: time.Duration(h.TimeoutSeconds+5) * time.Second,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval:        time.Duration(targets.BackoffMillis) * time.Millisecond,
				BackoffCoefficient:     2,
				MaximumInterval:        time.Minute,
				MaximumAttempts:        WebhookAttempts,
				NonRetryableErrorTypes: []string{"InvalidInput", "NotFound"},
			},
		}
		dl := activities.DeliverWebhookInput{EmitWebhookInput: in, Hook: h.Name, DeliveryID: info.WorkflowExecution.ID + "/" + h.Name, MaxAttempts: WebhookAttempts}
		futures = append(futures, workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), acts.DeliverWebhook, dl))
	}
	failed := 0
	for i, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			failed++
			workflow.GetLogger(ctx).Warn("webhook delivery gave up", "hook", targets.Hooks[i].Name, "error", err)
		}
	}
	if failed > 0 {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%d of %d webhooks could not be told about %s", failed, len(futures), in.Event), "WebhookFailed", nil)
	}
	return nil
}

// emit sends the deploy's event when this run emits webhooks and the stage has any.
func (d *deployImpl) emit(ctx workflow.Context, event, message string) {
	if !d.webhooks || !d.settings.HasWebhooks {
		return
	}
	EmitWebhook(ctx, activities.EmitWebhookInput{DeployID: d.in.DeployID, Event: event, State: d.progress.State, Message: message})
}

// stateEvent is the webhook event of a deploy of deployType entering state, or "".
func stateEvent(deployType, state string) string {
	switch state {
	case core.StateSucceeding:
		if deployType == core.TypeRollback {
			return core.EventDeployRolledBack
		}
		return core.EventDeploySucceeded
	case core.StateFailing:
		return core.EventDeployFailed
	case core.StateAborted:
		return core.EventDeployAborted
	}
	return ""
}
