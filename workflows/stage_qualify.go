package workflows

import (
	"fmt"
	"strings"
	"time"

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
	if !s.needsQualify() {
		return
	}
	// A deploy request arriving meanwhile must not supersede the deploy half-qualified.
	if err := s.turn.Lock(ctx); err != nil {
		return
	}
	defer s.turn.Unlock()
	if !s.needsQualify() {
		return
	}
	cur := s.state.Current
	cur.QualifyChecked = true
	if workflow.GetVersion(ctx, qualificationChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	var acc activities.LoadAcceptanceResult
	if err := workflow.ExecuteActivity(actx, acts.LoadAcceptance, activities.LoadAcceptanceInput{StageID: s.in.StageID, DeployID: cur.DeployID}).Get(ctx, &acc); err != nil {
		workflow.GetLogger(ctx).Warn("could not read the stage's acceptance; the deploy is left unqualified", "deploy", cur.DeployID, "error", err)
		return
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
	s.recordAcceptance(ctx, activities.SetAcceptanceInput{DeployID: cur.DeployID, Status: core.AcceptancePendingAccept,
		Reason: "acceptance running: " + AcceptancePlan(*acc.Acceptance), By: QualificationOperator})
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: QualifyWorkflowID(cur.DeployID),
		// The qualification outlives the stage workflow's runs and tells it by signal.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: qualifySearchAttributes(in),
		StaticSummary:         fmt.Sprintf("acceptance of deploy %s (build %s) on %s/%s: %s", cur.DeployID, cur.BuildID, s.in.EnvName, s.in.StageName, AcceptancePlan(in.Acceptance)),
	})
	child := workflow.ExecuteChildWorkflow(cctx, QualificationWorkflow, in)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		s.recordAcceptance(ctx, activities.SetAcceptanceInput{DeployID: cur.DeployID, Status: core.AcceptanceRejected,
			Reason: fmt.Sprintf("the qualification workflow could not be started: %v", err), By: QualificationOperator})
		cur.Acceptance = core.AcceptanceRejected
		return
	}
	cur.Qualifying = true
	cur.Acceptance = core.AcceptancePendingAccept
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

// AcceptancePlan says in words what a qualification runs, for its summary and reason.
func AcceptancePlan(a core.Acceptance) string {
	var parts []string
	if a.BakeSeconds > 0 {
		parts = append(parts, fmt.Sprintf("bake %s", time.Duration(a.BakeSeconds)*time.Second))
	}
	for i, h := range a.HTTP {
		parts = append(parts, fmt.Sprintf("HTTP check %s (%d rounds)", h.CheckName(i), h.Rounds()))
	}
	if a.Command != nil {
		parts = append(parts, "command")
	}
	if a.External != nil {
		parts = append(parts, fmt.Sprintf("an external verdict within %s", time.Duration(a.External.DeadlineSeconds)*time.Second))
	}
	return strings.Join(parts, ", then ")
}

// noteQualification handles a QualificationVerdictSignal: the stage records the verdict
// on its current deploy and acts on it. An ACCEPTED deploy qualified; a REJECTED one
// counts as failed for the failure policy: ROLLBACK rolls the stage back, WAIT leaves it
// to a person. A verdict on a deploy that is no longer current is ignored (it was
// superseded, and recorded so).
func (s *stageImpl) noteQualification(ctx workflow.Context, v QualificationVerdict) {
	if err := s.turn.Lock(ctx); err != nil {
		return
	}
	rollback := s.applyQualification(ctx, v)
	s.turn.Unlock()
	if rollback {
		// autoRollback takes the turn itself, and checks the deploy is still current.
		s.autoRollback(ctx, AutoRollbackRequest{DeployID: v.DeployID, Reason: "acceptance REJECTED: " + v.Reason})
	}
}

// applyQualification records verdict v on the current deploy, the caller holding the
// turn, and reports whether the failure policy asks for a rollback.
func (s *stageImpl) applyQualification(ctx workflow.Context, v QualificationVerdict) bool {
	cur := s.state.Current
	if cur == nil || cur.DeployID != v.DeployID || !cur.Qualifying {
		return false
	}
	cur.Qualifying = false
	cur.Acceptance = v.Status
	reason := v.Reason
	if v.Status == core.AcceptanceRejected {
		if AutoRollbackWanted(cur.OnFailure, cur.Type, 1) {
			reason += "; onFailure is ROLLBACK: rolling back"
		} else {
			reason += "; onFailure is WAIT: waiting for a person to roll back or deploy another build"
		}
	}
	s.recordAcceptance(ctx, activities.SetAcceptanceInput{DeployID: v.DeployID, Status: v.Status, Reason: reason, Evidence: v.Evidence, By: v.By})
	if workflow.GetVersion(ctx, acceptanceWebhookChange, workflow.DefaultVersion, 1) >= 1 {
		EmitWebhook(ctx, activities.EmitWebhookInput{DeployID: v.DeployID, Event: core.EventAcceptanceVerdict, Message: v.Status + ": " + reason})
	}
	switch v.Status {
	case core.AcceptanceAccepted:
		s.deployQualified(ctx, cur, "ACCEPTED: "+v.Reason)
	case core.AcceptanceRejected:
		return AutoRollbackWanted(cur.OnFailure, cur.Type, 1)
	}
	return false
}

// deployQualified is the one place where the stage learns that its current deploy
// qualified: it SUCCEEDED on a stage without acceptance, or its acceptance was ACCEPTED.
// It marks the deploy qualified in the stage's state (StageStatus shows it); announcing the
// deploy to the stages that promote from this one hooks in here.
func (s *stageImpl) deployQualified(ctx workflow.Context, cur *DeployRef, how string) {
	cur.Qualified = true
	workflow.GetLogger(ctx).Info("deploy qualified", "deploy", cur.DeployID, "build", cur.BuildID, "how", how)
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
