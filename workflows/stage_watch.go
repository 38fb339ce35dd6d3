package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// stageWatchChange gates, for a whole run of the stage workflow, the loop that cannot get
// stuck: it watches its current deploy's workflow and lets it go when that closes without
// saying so (terminated, failed, timed out), it tells a superseded deploy only after the
// new deploy started, and it waits without a timer. Runs recorded before it replay the
// loop in stage.go.
const stageWatchChange = "stage-watches-deploys"

// watchActivityOptions are for AwaitDeployClosed, which lasts as long as the deploy: its
// heartbeats move it to another worker when this one dies, and its attempts time out once
// a day and are retried, which the history does not record.
var watchActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 24 * time.Hour,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		NonRetryableErrorTypes: []string{"InvalidInput"},
	},
}

// DeployEndedReason is the reason recorded on a deploy whose workflow closed without
// recording a final state (for instance terminated from the Temporal UI); failure is how
// the server says it closed.
func DeployEndedReason(failure string) string {
	return "the deploy workflow ended without finishing the deploy: " + failure
}

// runWatching is the stage workflow's loop under stageWatchChange. It sleeps on one
// condition over everything that can need it (signals, the watched deploy closing, a
// queued deploy released, continue-as-new suggested), so an idle stage has no timer.
func (s *stageImpl) runWatching(ctx workflow.Context) error {
	finished := workflow.GetSignalChannel(ctx, DeployFinishedSignal)
	verdicts := workflow.GetSignalChannel(ctx, DeployStateSignal)
	rollbacks := workflow.GetSignalChannel(ctx, AutoRollbackSignal)
	qualified := workflow.GetSignalChannel(ctx, QualificationVerdictSignal)
	for {
		if err := s.releaseQueue(ctx); err != nil {
			return err
		}
		s.watchCurrent(ctx)
		err := workflow.Await(ctx, func() bool {
			return finished.Len() > 0 || verdicts.Len() > 0 || rollbacks.Len() > 0 || qualified.Len() > 0 || s.needsQualify() ||
				(s.watch != nil && s.watch.IsReady()) ||
				(s.state.Queued != nil && QueueReleased(s.state.Current)) ||
				workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		})
		if err != nil {
			// Cancelled (from the Temporal UI or CLI): stop; running deploys carry on.
			return temporal.NewCanceledError("stage workflow cancelled")
		}
		s.takeNotices(ctx, finished, verdicts)
		s.takeQualifications(ctx, qualified)
		s.qualifyCurrent(ctx)
		var r AutoRollbackRequest
		for rollbacks.ReceiveAsync(&r) {
			s.autoRollback(ctx, r)
		}
		if !workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			continue
		}
		// A pending rollback request is acted on here rather than carried over: it starts
		// a deploy, which the new run then knows as the current one.
		for {
			if err := workflow.Await(ctx, func() bool { return !s.turn.IsLocked() && workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			if !rollbacks.ReceiveAsync(&r) {
				break
			}
			s.autoRollback(ctx, r)
		}
		// Signals that arrived meanwhile must not be lost across the new run.
		s.takeNotices(ctx, finished, verdicts)
		s.takeQualifications(ctx, qualified)
		next := s.in
		state := s.state
		next.State = &state
		return workflow.NewContinueAsNewError(ctx, StageWorkflow, next)
	}
}

// takeNotices applies every pending DeployFinished and DeployStateSignal, then the watched
// deploy's end: a deploy signals before it closes, so its own word comes first.
func (s *stageImpl) takeNotices(ctx workflow.Context, finished, verdicts workflow.ReceiveChannel) {
	for {
		var f DeployFinished
		if !finished.ReceiveAsync(&f) {
			break
		}
		if s.state.Current != nil && s.state.Current.DeployID == f.DeployID {
			s.state.Current = nil
		}
	}
	for {
		var f DeployFinished
		if !verdicts.ReceiveAsync(&f) {
			break
		}
		s.noteVerdict(f)
	}
	if s.watch != nil && s.watch.IsReady() {
		s.watchEnded(ctx)
	}
}

// watchCurrent starts watching a current deploy that no future of this run watches: one
// an earlier run started (its child future ended with that run).
func (s *stageImpl) watchCurrent(ctx workflow.Context) {
	cur := s.state.Current
	if cur == nil || s.watched == cur.DeployID {
		return
	}
	actx := workflow.WithActivityOptions(ctx, watchActivityOptions)
	s.watch = workflow.ExecuteActivity(actx, acts.AwaitDeployClosed, activities.AwaitDeployClosedInput{DeployID: cur.DeployID, WorkflowID: cur.WorkflowID})
	s.watched = cur.DeployID
	s.watchIsActivity = true
}

// watchEnded handles the watched deploy's workflow closing. If it is still the current
// deploy it closed without telling the stage: the stage records why on its row and lets it
// go, so that actions and queued deploys are not refused for ever.
func (s *stageImpl) watchEnded(ctx workflow.Context) {
	f, id, isActivity := s.watch, s.watched, s.watchIsActivity
	s.watch = nil
	cur := s.state.Current
	if cur == nil || cur.DeployID != id {
		return
	}
	failure := ""
	if isActivity {
		var res activities.AwaitDeployClosedResult
		if err := f.Get(ctx, &res); err != nil {
			// Not knowing whether the deploy runs, the stage keeps it.
			workflow.GetLogger(ctx).Warn("could not watch the current deploy", "deploy", id, "error", err)
			return
		}
		failure = res.Failure
	} else if err := f.Get(ctx, nil); err != nil {
		failure = childFailure(err)
	}
	if failure != "" {
		s.recordEnded(ctx, id, DeployEndedReason(failure))
	}
	// A deploy request may have started a new deploy while the row was written.
	if cur := s.state.Current; cur != nil && cur.DeployID == id {
		s.state.Current = nil
	}
}

// childFailure is how a child deploy ended, without the child error's ids, which the
// deploy's own page shows: "terminated", "timeout", or the workflow's error.
func childFailure(err error) string {
	var child *temporal.ChildWorkflowExecutionError
	if errors.As(err, &child) {
		if cause := errors.Unwrap(child); cause != nil {
			return cause.Error()
		}
	}
	return err.Error()
}

// recordEnded marks deployID ABORTED with reason, for a deploy whose workflow cannot do it.
func (s *stageImpl) recordEnded(ctx workflow.Context, deployID, reason string) {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(actx, acts.SetDeployState, activities.SetDeployStateInput{DeployID: deployID, State: core.StateAborted, Reason: reason}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("could not record that the deploy ended", "deploy", deployID, "error", fmt.Sprint(err))
	}
}
