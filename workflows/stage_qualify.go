package workflows

import (
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// qualificationChange gates the stage workflow's qualification of a SUCCEEDING deploy:
// reading the stage's acceptance, starting the qualification workflow, recording its
// verdict, applying the failure policy to a rejection and cancelling a superseded one.
const qualificationChange = "qualify-succeeding-deploys"

// qualifyCurrent starts the current deploy's qualification once it reached SUCCEEDING:
// on a stage without acceptance the deploy qualifies at once; otherwise its acceptance is
// recorded PENDING_ACCEPT and a QualificationWorkflow runs it.
func (s *stageImpl) qualifyCurrent(ctx workflow.Context) {
	// No turn is held: a deploy request must not wait for these activities (a worker lost
	// while one runs would hold it for their timeout). A request that supersedes the deploy
	// meanwhile is noticed after each wait, and cancels a qualification already started.
	if !s.needsQualify() {
		return
	}
	cur := s.state.Current
	cur.QualifyChecked = true
	if workflow.GetVersion(ctx, qualificationChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	id := cur.DeployID
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	var acc activities.LoadAcceptanceResult
	if err := workflow.ExecuteActivity(actx, acts.LoadAcceptance, activities.LoadAcceptanceInput{StageID: s.in.StageID, DeployID: id}).Get(ctx, &acc); err != nil {
		workflow.GetLogger(ctx).Warn("could not read the stage's acceptance; the deploy is left unqualified", "deploy", id, "error", err)
		return
	}
	if cur = s.state.Current; cur == nil || cur.DeployID != id || cur.Aborting {
		return // superseded while the acceptance was read
	}
	cur.OnFailure = acc.OnFailure
	if !acc.Acceptance.HasChecks() {
		s.deployQualified(ctx, cur, "SUCCEEDING on a stage without acceptance")
		return
	}
	in := QualifyInput{
		DeployID: cur.DeployID, StageID: s.in.StageID, EnvName: s.in.EnvName, StageName: s.in.StageName,
		BuildID: cur.BuildID, BuildName: acc.BuildName, Commit: acc.Commit, Type: cur.Type, Operator: cur.Operator,
		StageWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Acceptance: *acc.Acceptance,
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: QualifyWorkflowID(cur.DeployID),
		// The qualification outlives the stage workflow's runs and tells it by signal.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: qualifySearchAttributes(in),
		StaticSummary:         fmt.Sprintf("acceptance of deploy %s (build %s) on %s/%s: %s", cur.DeployID, cur.BuildID, s.in.EnvName, s.in.StageName, core.AcceptancePlan(in.Acceptance)),
	})
	// Qualifying before the start is awaited, so that a deploy superseding this one
	// meanwhile cancels the qualification (its cancel request follows the start).
	cur.Qualifying = true
	cur.Acceptance = core.AcceptancePendingAccept
	child := workflow.ExecuteChildWorkflow(cctx, QualificationWorkflow, in)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		if cur.Qualifying {
			cur.Qualifying = false
			cur.Acceptance = core.AcceptanceRejected
			s.recordAcceptance(ctx, activities.SetAcceptanceInput{DeployID: id, Status: core.AcceptanceRejected,
				Reason: fmt.Sprintf("the qualification workflow could not be started: %v", err), By: QualificationOperator})
		}
		return
	}
	if !cur.Qualifying {
		return // superseded while it started; SUPERSEDED is recorded
	}
	// Recorded once the qualification runs, so that a verdict given as soon as the deploy
	// reads PENDING_ACCEPT finds the workflow to take it. Should a newer deploy supersede
	// this one meanwhile, the store keeps the SUPERSEDED verdict and refuses this.
	s.recordAcceptance(ctx, activities.SetAcceptanceInput{DeployID: id, Status: core.AcceptancePendingAccept,
		Reason: "acceptance running: " + core.AcceptancePlan(*acc.Acceptance), By: QualificationOperator})
}

// needsQualify reports whether the current deploy reached SUCCEEDING and the stage has not
// looked at its acceptance yet.
func (s *stageImpl) needsQualify() bool {
	cur := s.state.Current
	return cur != nil && cur.State == core.StateSucceeding && !cur.QualifyChecked && !cur.Aborting
}

// takeQualifications applies every pending QualificationVerdictSignal.
func (s *stageImpl) takeQualifications(ctx workflow.Context, ch workflow.ReceiveChannel) {
	for {
		var v QualificationVerdict
		if !ch.ReceiveAsync(&v) {
			return
		}
		s.noteQualification(ctx, v)
	}
}

// noteQualification handles a QualificationVerdictSignal: the stage records the verdict
// on its current deploy and acts on it. An ACCEPTED deploy qualified; a REJECTED one
// counts as failed for the failure policy: ROLLBACK rolls the stage back, WAIT leaves it
// to a person. A verdict on a deploy that is no longer current is ignored (it was
// superseded, and recorded so).
func (s *stageImpl) noteQualification(ctx workflow.Context, v QualificationVerdict) {
	// The state changes before any wait, so no turn is needed; a deploy request arriving
	// while the verdict is written finds the deploy no longer qualifying.
	if s.applyQualification(ctx, v) {
		// autoRollback takes the turn itself, and checks the deploy is still current.
		s.autoRollback(ctx, AutoRollbackRequest{DeployID: v.DeployID, Reason: "acceptance REJECTED: " + v.Reason})
	}
}

// applyQualification records verdict v on the current deploy and reports whether the
// failure policy asks for a rollback.
func (s *stageImpl) applyQualification(ctx workflow.Context, v QualificationVerdict) bool {
	cur := s.state.Current
	if cur == nil || cur.DeployID != v.DeployID || !cur.Qualifying {
		return false
	}
	cur.Qualifying = false
	cur.Acceptance = v.Status
	reason := v.Reason
	// A deploy that reached SUCCEEDING has hosts: 1 stands for "not an empty stage".
	rollback := v.Status == core.AcceptanceRejected && AutoRollbackWanted(cur.OnFailure, cur.Type, 1)
	switch {
	case rollback:
		reason += "; onFailure is ROLLBACK: rolling back"
	case v.Status == core.AcceptanceRejected && cur.OnFailure == core.FailureRollback:
		reason += "; a ROLLBACK deploy is not rolled back again: waiting for a person to roll back or deploy another build"
	case v.Status == core.AcceptanceRejected:
		reason += "; onFailure is WAIT: waiting for a person to roll back or deploy another build"
	}
	s.recordAcceptance(ctx, activities.SetAcceptanceInput{DeployID: v.DeployID, Status: v.Status, Reason: reason, Evidence: v.Evidence, By: v.By})
	if workflow.GetVersion(ctx, acceptanceWebhookChange, workflow.DefaultVersion, 1) >= 1 {
		EmitWebhook(ctx, activities.EmitWebhookInput{DeployID: v.DeployID, Event: core.EventAcceptanceVerdict, Message: v.Status + ": " + reason})
	}
	if v.Status == core.AcceptanceAccepted {
		s.deployQualified(ctx, cur, "ACCEPTED: "+v.Reason)
	}
	if v.Status == core.AcceptanceRejected {
		// A REJECTED promoted deploy counts as failed for the promotion's fail policy.
		rejected := *cur
		rejected.State = core.AcceptanceRejected
		s.announce(ctx, activities.NoticeVerdict, &rejected)
	}
	return rollback
}

// deployQualified is the one place where the stage learns that its current deploy
// qualified: it SUCCEEDED on a stage without acceptance, or its acceptance was ACCEPTED.
// It marks the deploy qualified in the stage's state (StageStatus shows it) and announces it
// to the stages that promote from this one (announce, NoticeQualified).
func (s *stageImpl) deployQualified(ctx workflow.Context, cur *DeployRef, how string) {
	cur.Qualified = true
	workflow.GetLogger(ctx).Info("deploy qualified", "deploy", cur.DeployID, "build", cur.BuildID, "how", how)
	s.announce(ctx, activities.NoticeQualified, cur)
}

// cancelQualification cancels the running qualification of prev, which deploy next
// supersedes, and records its verdict SUPERSEDED.
func (s *stageImpl) cancelQualification(ctx workflow.Context, prev *DeployRef, next string) {
	if !prev.Qualifying {
		return
	}
	prev.Qualifying = false
	prev.Acceptance = core.AcceptanceSuperseded
	if err := workflow.RequestCancelExternalWorkflow(ctx, QualifyWorkflowID(prev.DeployID), "").Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Info("could not cancel the superseded qualification", "deploy", prev.DeployID, "error", err)
	}
	s.recordAcceptance(ctx, activities.SetAcceptanceInput{DeployID: prev.DeployID, Status: core.AcceptanceSuperseded,
		Reason: "superseded by deploy " + next + " before its acceptance decided", By: QualificationOperator})
}

// recordAcceptance writes a deploy's acceptance; a failure is logged, as the verdict
// stands in the stage's state and the qualification's history either way.
func (s *stageImpl) recordAcceptance(ctx workflow.Context, in activities.SetAcceptanceInput) {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(actx, acts.SetAcceptance, in).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not record the deploy's acceptance", "deploy", in.DeployID, "status", in.Status, "error", err)
	}
}
