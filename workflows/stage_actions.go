package workflows

import (
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// abortConfirmWait bounds how long an abort update waits for the deploy to confirm that
// it ended, so that the caller usually reads the deploy ABORTED; a slow worker only makes
// the answer show the deploy still ending.
const abortConfirmWait = 20 * time.Second

// setupActions registers the pause, resume and abort updates.
func (s *stageImpl) setupActions(ctx workflow.Context) error {
	actions := []struct {
		name     string
		handler  func(workflow.Context, DeployActionRequest) (DeployActionResult, error)
		validate func(workflow.Context, DeployActionRequest) error
	}{
		{PauseDeployUpdate, s.pause, func(_ workflow.Context, req DeployActionRequest) error { return s.check("pause", req) }},
		{ResumeDeployUpdate, s.resume, func(_ workflow.Context, req DeployActionRequest) error { return s.check("resume", req) }},
		{AbortDeployUpdate, s.abort, func(_ workflow.Context, req DeployActionRequest) error { return s.check("abort", req) }},
	}
	for _, a := range actions {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, a.name, a.handler, workflow.UpdateHandlerOptions{Validator: a.validate}); err != nil {
			return err
		}
	}
	return nil
}

// check is the validator of the deploy actions: it reads the stage's state only.
func (s *stageImpl) check(action string, req DeployActionRequest) error {
	if req.Operator == "" {
		return rejection(core.EINVALID, "operator is required")
	}
	if why := ActionRefusal(action, s.state.Current); why != "" {
		return rejection(core.ECONFLICT, why)
	}
	return nil
}

// ActionRefusal is why action ("pause", "resume" or "abort") cannot apply to the stage's
// current deploy cur (nil when the stage is idle), or "" when it can: the rules of
// legacyActionRefusal and the deploy state's (core.StateRefusal).
func ActionRefusal(action string, cur *DeployRef) string {
	if why := legacyActionRefusal(action, cur); why != "" {
		return why
	}
	return core.StateRefusal(action, cur.DeployID, cur.State)
}

// legacyActionRefusal is ActionRefusal before deploy states had a say; the handlers of runs
// recorded before stageStateRulesChange re-check accepted actions with it.
func legacyActionRefusal(action string, cur *DeployRef) string {
	if cur == nil {
		return fmt.Sprintf("nothing to %s: the stage has no deploy in progress", action)
	}
	if cur.Aborting {
		return fmt.Sprintf("deploy %s is being aborted already", cur.DeployID)
	}
	switch action {
	case "pause":
		if cur.Paused {
			return fmt.Sprintf("deploy %s is paused already; resume it or abort it", cur.DeployID)
		}
	case "resume":
		if !cur.Paused {
			return fmt.Sprintf("deploy %s is not paused; only a paused deploy can be resumed", cur.DeployID)
		}
	case "abort":
	default:
		return fmt.Sprintf("unknown action %q: use pause, resume or abort", action)
	}
	return ""
}

// act runs one accepted action once earlier updates are answered, re-checking it because
// the stage may have changed while it waited its turn.
func (s *stageImpl) act(ctx workflow.Context, action string, req DeployActionRequest, apply func(cur *DeployRef) error) (DeployActionResult, error) {
	if err := s.turn.Lock(ctx); err != nil {
		return DeployActionResult{}, err
	}
	defer s.turn.Unlock()
	cur := s.state.Current
	refusal := legacyActionRefusal
	if s.stateRules {
		refusal = ActionRefusal
	}
	if why := refusal(action, cur); why != "" {
		return DeployActionResult{}, rejection(core.ECONFLICT, why)
	}
	if err := apply(cur); err != nil {
		return DeployActionResult{}, err
	}
	return DeployActionResult{DeployID: cur.DeployID, WorkflowID: cur.WorkflowID, Paused: cur.Paused, State: cur.State}, nil
}

func (s *stageImpl) pause(ctx workflow.Context, req DeployActionRequest) (DeployActionResult, error) {
	return s.act(ctx, "pause", req, func(cur *DeployRef) error { return s.setPaused(ctx, cur, true, req.Operator) })
}

func (s *stageImpl) resume(ctx workflow.Context, req DeployActionRequest) (DeployActionResult, error) {
	return s.act(ctx, "resume", req, func(cur *DeployRef) error { return s.setPaused(ctx, cur, false, req.Operator) })
}

// setPaused tells the deploy workflow; a deploy that has ended cannot be paused, and the
// caller hears so.
func (s *stageImpl) setPaused(ctx workflow.Context, cur *DeployRef, paused bool, operator string) error {
	err := workflow.SignalExternalWorkflow(ctx, cur.WorkflowID, "", SetPausedSignal, PauseRequest{Paused: paused, Operator: operator}).Get(ctx, nil)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("deploy %s could not be reached; it may have just ended: %v", cur.DeployID, err), core.ECONFLICT, err)
	}
	cur.Paused = paused
	return nil
}

func (s *stageImpl) abort(ctx workflow.Context, req DeployActionRequest) (DeployActionResult, error) {
	res, err := s.act(ctx, "abort", req, func(cur *DeployRef) error {
		abort := AbortRequest{Reason: AbortReason(req.Operator), Operator: req.Operator}
		if err := workflow.SignalExternalWorkflow(ctx, cur.WorkflowID, "", AbortDeploySignal, abort).Get(ctx, nil); err != nil {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("deploy %s could not be reached; it may have just ended: %v", cur.DeployID, err), core.ECONFLICT, err)
		}
		cur.Aborting = true
		return nil
	})
	if err != nil {
		return res, err
	}
	// Outside the turn: the deploy's DeployFinished signal is what ends the wait,
	// and a deploy request may go ahead meanwhile.
	ended, err := workflow.AwaitWithTimeout(ctx, abortConfirmWait, func() bool {
		return s.state.Current == nil || s.state.Current.DeployID != res.DeployID
	})
	if err != nil {
		return res, err
	}
	if ended {
		res.State = core.StateAborted
	}
	return res, nil
}

// noteVerdict records the state a deploy reported, if it is still the current one.
func (s *stageImpl) noteVerdict(f DeployFinished) {
	if cur := s.state.Current; cur != nil && cur.DeployID == f.DeployID {
		cur.State = f.State
	}
}

// rejection is how the stage workflow refuses a request, from a validator or a handler:
// an application error whose type is the core error code, so that the API answers with
// that code's status (EINVALID 400, ECONFLICT 409) instead of one status for every refusal.
// It is non-retryable because a refused request must not be retried as it is.
func rejection(code, msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, code, nil)
}

// PromotionRefusal is why the stage refuses a deploy request from its auto-promotion, or
// "" when it takes it (or req is not one): the promotion decided on a stage whose current
// deploy was ExpectCurrent and had a verdict, with nothing queued; if that is no longer
// so, its candidate is stale and it must decide again.
func PromotionRefusal(req StartDeployRequest, cur *DeployRef, queued bool) string {
	if !req.Promotion {
		return ""
	}
	switch {
	case cur != nil && cur.DeployID != req.ExpectCurrent:
		return fmt.Sprintf("stale promotion: the stage's current deploy is %s now, not %s", cur.DeployID, req.ExpectCurrent)
	case cur != nil && !cur.Aborting && (cur.State == "" || cur.State == core.StateRunning):
		return fmt.Sprintf("deploy %s is still running; the promotion waits for its verdict", cur.DeployID)
	case cur != nil && !cur.Aborting && (cur.Qualifying || (cur.State == core.StateSucceeding && !cur.QualifyChecked)):
		return fmt.Sprintf("deploy %s awaits its acceptance verdict; the promotion waits for it", cur.DeployID)
	case queued:
		return "a deploy is queued on the stage; the promotion waits for it"
	}
	return ""
}
