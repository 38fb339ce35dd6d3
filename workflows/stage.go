package workflows

import (
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// StageWorkflow is the single writer of one stage: every action on the stage arrives as an
// Update, is validated, and is answered synchronously. It runs as long as the stage exists
// and continues-as-new when its history grows.
func StageWorkflow(ctx workflow.Context, in StageInput) error {
	s := &stageImpl{in: in, state: StageState{}, turn: workflow.NewMutex(ctx)}
	if in.State != nil {
		s.state = *in.State
	}
	// First, before any handler runs, so that the whole run takes one branch.
	s.watches = workflow.GetVersion(ctx, stageWatchChange, workflow.DefaultVersion, 1) >= 1
	s.stateRules = workflow.GetVersion(ctx, stageStateRulesChange, workflow.DefaultVersion, 1) >= 1
	if err := s.setup(ctx); err != nil {
		return err
	}
	return s.run(ctx)
}

type stageImpl struct {
	in    StageInput
	state StageState
	// turn serialises the handlers that act on the stage: a deploy request waits until the
	// previous one is answered. (A workflow mutex is an Await on a flag: no commands.)
	turn workflow.Mutex
	// stateRules is whether this run's handlers re-check actions with the deploy state's
	// rules (stageStateRulesChange), as its validators do.
	stateRules bool
	// watches is whether this run watches its current deploy's workflow (stageWatchChange).
	watches bool
	// watch resolves when the current deploy's workflow closes: the child future when this
	// run started it, an AwaitDeployClosed activity otherwise; watched names its deploy.
	watch   workflow.Future
	watched string
	// watchIsActivity says watch is an AwaitDeployClosed activity, not the child future.
	watchIsActivity bool
}

// stageStateRulesChange gates, for a whole run, the re-check of an accepted pause or abort
// against the current deploy's state (core.StateRefusal): runs recorded before it accepted
// an abort of a SUCCEEDING deploy, and their replays must too.
const stageStateRulesChange = "stage-state-rules"

func (s *stageImpl) setup(ctx workflow.Context) error {
	if s.in.EnvName == "" || s.in.StageName == "" || s.in.StageID == "" {
		return temporal.NewNonRetryableApplicationError("stage workflow needs EnvName, StageName and StageID", "InvalidInput", nil)
	}
	if err := workflow.SetQueryHandler(ctx, StageStatusQuery, func() (StageStatus, error) {
		st := StageStatus{EnvName: s.in.EnvName, StageName: s.in.StageName, Current: s.state.Current, Started: s.state.Started}
		st.Paused = st.Current != nil && st.Current.Paused
		if q := s.state.Queued; q != nil {
			r := q.Request
			st.Queued = &QueuedDeploy{DeployID: r.DeployID, BuildID: r.BuildID, Type: r.Type, Operator: r.Operator, QueuedAt: q.QueuedAt, WaitingFor: q.WaitingFor}
		}
		return st, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, StartDeployUpdate, s.startDeploy, workflow.UpdateHandlerOptions{
		Validator: s.validateStartDeploy,
	}); err != nil {
		return err
	}
	return s.setupActions(ctx)
}

// validateStartDeploy checks the request and refuses a REGULAR deploy while a HOTFIX or
// ROLLBACK runs, so that the rejection reaches the caller without touching the history.
func (s *stageImpl) validateStartDeploy(ctx workflow.Context, req StartDeployRequest) error {
	if err := validateStartDeploy(ctx, req); err != nil {
		return err
	}
	if cur := s.state.Current; cur != nil && cur.DeployID == req.DeployID {
		return nil // a retry of an answered request
	}
	if q := s.state.Queued; q != nil && q.Request.DeployID == req.DeployID {
		return nil // a retry of a queued request
	}
	if why := RegularBlockedBy(req.Type, req.Force, s.state.Current); why != "" && !req.Queue {
		return rejection(core.ECONFLICT, why)
	}
	return nil
}

func validateStartDeploy(_ workflow.Context, req StartDeployRequest) error {
	switch {
	case req.DeployID == "":
		return rejection(core.EINVALID, "deploy id is required")
	case req.BuildID == "":
		return rejection(core.EINVALID, "build id is required")
	}
	switch req.Type {
	case core.TypeRegular, core.TypeHotfix, core.TypeRollback, core.TypeRestart:
	default:
		return rejection(core.EINVALID, fmt.Sprintf("deploy type %q is not one of REGULAR, HOTFIX, ROLLBACK, RESTART", req.Type))
	}
	return nil
}

func (s *stageImpl) startDeploy(ctx workflow.Context, req StartDeployRequest) (StartDeployResult, error) {
	if err := s.turn.Lock(ctx); err != nil {
		return StartDeployResult{}, err
	}
	defer s.turn.Unlock()
	return s.launch(ctx, req)
}

// launch starts the deploy req asks for, superseding the current one; the caller holds
// turn. The start-deploy update and the automatic rollback both come through here.
func (s *stageImpl) launch(ctx workflow.Context, req StartDeployRequest) (StartDeployResult, error) {
	// A request retried after it was answered (same deploy id) gets the same answer.
	if cur := s.state.Current; cur != nil && cur.DeployID == req.DeployID {
		return StartDeployResult{DeployID: cur.DeployID, WorkflowID: cur.WorkflowID}, nil
	}
	if q := s.state.Queued; q != nil && q.Request.DeployID == req.DeployID {
		return StartDeployResult{DeployID: req.DeployID, Queued: true, WaitingFor: q.WaitingFor}, nil
	}
	// The validator passed, but a HOTFIX may have started while this request waited its turn.
	if why := RegularBlockedBy(req.Type, req.Force, s.state.Current); why != "" {
		if req.Queue {
			return s.enqueue(ctx, req), nil
		}
		return StartDeployResult{}, rejection(core.ECONFLICT, why)
	}

	wfID := DeployWorkflowID(req.DeployID)
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	var created activities.CreateDeployResult
	err := workflow.ExecuteActivity(actx, acts.CreateDeploy, activities.CreateDeployInput{
		DeployID: req.DeployID, StageID: s.in.StageID, EnvName: s.in.EnvName, StageName: s.in.StageName,
		BuildID: req.BuildID, Type: req.Type, Description: req.Description, Operator: req.Operator, WorkflowID: wfID,
		AliasDeployID: req.AliasDeployID,
	}).Get(ctx, &created)
	if err != nil {
		return StartDeployResult{}, fmt.Errorf("record deploy %s: %w", req.DeployID, err)
	}

	result := StartDeployResult{DeployID: req.DeployID, WorkflowID: wfID}
	if q := s.state.Queued; q != nil {
		// A deploy started in its place supersedes the deploy the queued request waited
		// for, so the queued request is dropped; the answer names it.
		result.Cleared = q.Request.DeployID
		s.state.Queued = nil
	}
	prev := s.state.Current
	if prev != nil && !s.watches {
		result.Superseded = prev.DeployID
		s.supersede(ctx, prev, req)
		s.cancelQualification(ctx, prev, req.DeployID)
	}

	input := DeployInput{
		DeployID: req.DeployID, StageID: s.in.StageID, EnvName: s.in.EnvName, StageName: s.in.StageName,
		BuildID: req.BuildID, Type: req.Type, Operator: req.Operator, StageWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: wfID,
		// Deploys outlive the stage workflow's runs: it continues-as-new while they roll.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: deploySearchAttributes(input),
		StaticSummary:         fmt.Sprintf("%s deploy of %s to %s/%s by %s", req.Type, req.BuildID, s.in.EnvName, s.in.StageName, req.Operator),
	})
	child := workflow.ExecuteChildWorkflow(cctx, DeployWorkflow, input)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		if s.watches {
			// The running deploy carries on, and the new deploy's row must not look as if
			// it were rolling out.
			s.recordEnded(ctx, req.DeployID, fmt.Sprintf("the deploy workflow could not be started: %v", err))
		}
		return StartDeployResult{}, fmt.Errorf("start deploy workflow %s: %w", wfID, err)
	}
	if prev != nil && s.watches {
		// Only now that the new deploy runs is the old one told to stop, so that a failed
		// start leaves the stage with the deploy it had.
		result.Superseded = prev.DeployID
		s.supersede(ctx, prev, req)
		s.cancelQualification(ctx, prev, req.DeployID)
	}
	s.state.Current = &DeployRef{DeployID: req.DeployID, WorkflowID: wfID, BuildID: req.BuildID, Type: req.Type, Operator: req.Operator, State: core.StateRunning}
	s.state.Started++
	if s.watches {
		s.watch, s.watched, s.watchIsActivity = child, req.DeployID, false
	}
	return result, nil
}

// supersede tells prev, the running deploy, that next replaces it; it marks itself
// ABORTED (or SUCCEEDED when it was SUCCEEDING).
func (s *stageImpl) supersede(ctx workflow.Context, prev *DeployRef, next StartDeployRequest) {
	abort := AbortRequest{Reason: SupersededReasonPrefix + next.DeployID, Operator: next.Operator}
	if err := workflow.SignalExternalWorkflow(ctx, prev.WorkflowID, "", AbortDeploySignal, abort).Get(ctx, nil); err != nil {
		// The old deploy may already have ended; that is fine, it is no longer running.
		workflow.GetLogger(ctx).Info("could not signal superseded deploy", "deploy", prev.DeployID, "error", err)
	}
}

func (s *stageImpl) run(ctx workflow.Context) error {
	if s.watches {
		return s.runWatching(ctx)
	}
	finished := workflow.GetSignalChannel(ctx, DeployFinishedSignal)
	verdicts := workflow.GetSignalChannel(ctx, DeployStateSignal)
	rollbacks := workflow.GetSignalChannel(ctx, AutoRollbackSignal)
	for {
		// A queued deploy whose blocker reached a verdict, ended or is being aborted and
		// has ended starts here, also at the start of a run continued-as-new.
		if err := s.releaseQueue(ctx); err != nil {
			return err
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(finished, func(c workflow.ReceiveChannel, _ bool) {
			var f DeployFinished
			c.Receive(ctx, &f)
			if s.state.Current != nil && s.state.Current.DeployID == f.DeployID {
				s.state.Current = nil
			}
		})
		sel.AddReceive(verdicts, func(c workflow.ReceiveChannel, _ bool) {
			var f DeployFinished
			c.Receive(ctx, &f)
			s.noteVerdict(f)
		})
		sel.AddReceive(rollbacks, func(c workflow.ReceiveChannel, _ bool) {
			var r AutoRollbackRequest
			c.Receive(ctx, &r)
			s.autoRollback(ctx, r)
		})
		// Wake up periodically so that a long idle stage still gets a chance to
		// continue-as-new once the server suggests it.
		sel.AddFuture(workflow.NewTimer(ctx, time.Hour), func(workflow.Future) {})
		sel.Select(ctx)
		if err := ctx.Err(); err != nil {
			// Cancelled (from the Temporal UI or CLI): stop; running deploys carry on.
			return temporal.NewCanceledError("stage workflow cancelled")
		}

		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// A pending rollback request is acted on here rather than carried over: it
			// starts a deploy, which the new run then knows as the current one.
			for {
				if err := workflow.Await(ctx, func() bool { return !s.turn.IsLocked() && workflow.AllHandlersFinished(ctx) }); err != nil {
					return err
				}
				var r AutoRollbackRequest
				if !rollbacks.ReceiveAsync(&r) {
					break
				}
				s.autoRollback(ctx, r)
			}
			// Signals that arrived meanwhile must not be lost across the new run.
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
			next := s.in
			state := s.state
			next.State = &state
			return workflow.NewContinueAsNewError(ctx, StageWorkflow, next)
		}
	}
}

// storeActivityOptions are for short activities that write the app database.
var storeActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	// A database outage must not lose a deploy's bookkeeping, so retry for a long time.
	ScheduleToCloseTimeout: time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		NonRetryableErrorTypes: []string{"InvalidInput", "NotFound"},
	},
}
