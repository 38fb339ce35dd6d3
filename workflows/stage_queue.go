package workflows

import (
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/workflow"
)

// stageQueueChange gates the launch of a queued deploy, a new command on the stage
// workflow's signal path.
const stageQueueChange = "stage-queue"

// WaitingForText describes the deploy cur that a queued request waits for, as in
// "HOTFIX deploy d1 (RUNNING)".
func WaitingForText(cur *DeployRef) string {
	state := cur.State
	if state == "" {
		state = core.StateRunning
	}
	return fmt.Sprintf("%s deploy %s (%s)", cur.Type, cur.DeployID, state)
}

// QueueReleased reports whether a queued REGULAR request may start given the stage's
// current deploy cur: the stage is idle, or cur reached a verdict (SUCCEEDING, FAILING)
// or is not a HOTFIX or ROLLBACK. An aborting deploy releases the queue once it ended.
func QueueReleased(cur *DeployRef) bool {
	if cur == nil {
		return true
	}
	if cur.Aborting {
		return false
	}
	return RegularBlockedBy(core.TypeRegular, false, cur) == ""
}

// enqueue records req as the stage's queued deploy, replacing an older queued request,
// and answers at once; the caller holds the turn and checked that req is blocked.
func (s *stageImpl) enqueue(ctx workflow.Context, req StartDeployRequest) StartDeployResult {
	res := StartDeployResult{DeployID: req.DeployID, Queued: true, WaitingFor: WaitingForText(s.state.Current)}
	if old := s.state.Queued; old != nil {
		res.Replaced = old.Request.DeployID
	}
	s.state.Queued = &QueuedRequest{Request: req, QueuedAt: workflow.Now(ctx), WaitingFor: res.WaitingFor}
	return res
}

// releaseQueue launches the queued deploy once its blocker no longer blocks it, through
// launch like any other start, with the deploy id its caller was given.
func (s *stageImpl) releaseQueue(ctx workflow.Context) error {
	if s.state.Queued == nil || !QueueReleased(s.state.Current) {
		return nil
	}
	if err := s.turn.Lock(ctx); err != nil {
		return err
	}
	defer s.turn.Unlock()
	q := s.state.Queued
	if q == nil || !QueueReleased(s.state.Current) {
		return nil // an update acted on the stage while this waited its turn
	}
	s.state.Queued = nil
	if workflow.GetVersion(ctx, stageQueueChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	req := q.Request
	req.Queue = false
	if _, err := s.launch(ctx, req); err != nil {
		workflow.GetLogger(ctx).Warn("could not start the queued deploy", "deploy", req.DeployID, "error", err)
	}
	return nil
}
