package workflows

import (
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Versions of the commands the failure policy and the alarms add to existing paths, so that
// deploys recorded before them replay.
const (
	autoRollbackChange = "auto-rollback-on-failure"
	alarmsChange       = "check-alarms-before-wave"
)

// AutoRollbackWanted reports whether a deploy of deployType over total hosts that went
// FAILING asks its stage workflow to roll back under policy onFailure. A ROLLBACK deploy
// never does: rolling a failed rollback back again would walk the stage through ever older
// builds without a person deciding. Nor does a deploy to a stage without hosts, which a
// rollback could not fix.
func AutoRollbackWanted(onFailure, deployType string, total int) bool {
	return onFailure == core.FailureRollback && deployType != core.TypeRollback && total > 0
}

// AutoRollbackDeployID is the id of the automatic rollback of deploy failing: derived, not
// random, so that the stage workflow starts one rollback per failing deploy however often
// it is asked.
func AutoRollbackDeployID(failing string) string { return failing + "-rollback" }

// NoRollbackTargetReason is the reason recorded on a FAILING deploy whose policy is
// ROLLBACK but whose stage has nothing to roll back to.
func NoRollbackTargetReason(reason string) string {
	return reason + "; a rollback was asked for but no rollback target exists (" + core.NoRollbackTargetText(core.RollbackRule{}) + "): waiting for a person"
}

// FiringAlarmReason is the FAILING reason for the first firing alarm in statuses, or ""
// when none fires.
func FiringAlarmReason(statuses []activities.AlarmStatus) string {
	for _, a := range statuses {
		if a.Firing {
			return fmt.Sprintf("alarm %s is firing: %s", a.Name, a.Detail)
		}
	}
	return ""
}

// alarmActivityOptions are for CheckAlarms, which waits at most a few seconds per alarm
// (all in parallel); an alarm that cannot be reached counts as firing, so a retry is only
// for a lost worker.
var alarmActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    time.Minute,
	ScheduleToCloseTimeout: 10 * time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    30 * time.Second,
	},
}

// checkAlarms runs CheckAlarms before a wave and reports whether the rollout must stop: an
// alarm fires (the deploy goes FAILING with its reason), the alarms could not be checked
// (FAILING too: admitting hosts blind is what alarms are there to prevent), or the deploy
// was aborted.
func (d *deployImpl) checkAlarms(ctx workflow.Context) (bool, error) {
	if len(d.settings.Alarms) == 0 {
		return false, nil
	}
	if workflow.GetVersion(ctx, alarmsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, nil
	}
	var res activities.CheckAlarmsResult
	actx := workflow.WithActivityOptions(ctx, alarmActivityOptions)
	if d.noticesAbort {
		// A check can take minutes (a slow alarm, a lost worker); an abort must not wait.
		cctx, cancel := workflow.WithCancel(actx)
		f := workflow.ExecuteActivity(cctx, acts.CheckAlarms, activities.CheckAlarmsInput{DeployID: d.in.DeployID, Alarms: d.settings.Alarms})
		if !d.wait(ctx, f) {
			cancel()
			return true, nil
		}
		return d.alarmVerdict(ctx, f.Get(ctx, &res), res)
	}
	err := workflow.ExecuteActivity(actx, acts.CheckAlarms, activities.CheckAlarmsInput{DeployID: d.in.DeployID, Alarms: d.settings.Alarms}).Get(ctx, &res)
	return d.alarmVerdict(ctx, err, res)
}

// alarmVerdict is checkAlarms' answer to a finished check.
func (d *deployImpl) alarmVerdict(ctx workflow.Context, err error, res activities.CheckAlarmsResult) (bool, error) {
	if err != nil {
		if err := d.activityFailed(ctx, err); err == nil {
			return true, nil // cancelled: an abort
		}
		return true, d.setState(ctx, core.StateFailing, fmt.Sprintf("alarms could not be checked: %v", err))
	}
	if why := FiringAlarmReason(res.Alarms); why != "" {
		return true, d.setState(ctx, core.StateFailing, why)
	}
	return false, nil
}

// requestRollback asks the stage workflow to roll the FAILING deploy back when the stage's
// policy says so; the stage workflow picks the target and starts the ROLLBACK deploy,
// which supersedes this one.
func (d *deployImpl) requestRollback(ctx workflow.Context) {
	policy := d.settings.OnFailure
	if d.alarmRollback {
		// The alarm's ROLLBACK policy asks for it whatever onFailure says.
		policy = core.FailureRollback
	}
	if d.in.StageWorkflowID == "" || !AutoRollbackWanted(policy, d.in.Type, d.progress.TotalHosts) {
		return
	}
	if workflow.GetVersion(ctx, autoRollbackChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	req := AutoRollbackRequest{DeployID: d.in.DeployID, Reason: d.progress.Reason}
	if err := workflow.SignalExternalWorkflow(ctx, d.in.StageWorkflowID, "", AutoRollbackSignal, req).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not ask the stage workflow to roll back", "error", err)
	}
}

// autoRollback handles an AutoRollbackSignal: if the failing deploy is still the stage's
// current one, it starts a ROLLBACK deploy to the newest SUCCEEDED deploy of another build
// through launch, exactly as the start-deploy update does, so that the failing deploy ends
// ABORTED as superseded; without a target it says so on the failing deploy's reason and
// leaves the deploy to a person.
func (s *stageImpl) autoRollback(ctx workflow.Context, req AutoRollbackRequest) {
	log := workflow.GetLogger(ctx)
	if err := s.turn.Lock(ctx); err != nil {
		return
	}
	defer s.turn.Unlock()

	cur := s.state.Current
	if cur == nil || cur.DeployID != req.DeployID || cur.Aborting {
		// A person or a newer deploy already acted on it.
		log.Info("automatic rollback not needed: the deploy is no longer current", "deploy", req.DeployID)
		return
	}
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	var target activities.FindRollbackTargetResult
	err := workflow.ExecuteActivity(actx, acts.FindRollbackTarget, activities.FindRollbackTargetInput{
		StageID: s.in.StageID, EnvName: s.in.EnvName, StageName: s.in.StageName, DeployID: req.DeployID,
	}).Get(ctx, &target)
	if err != nil {
		s.noteNoRollback(ctx, req.DeployID, fmt.Sprintf("%s; the automatic rollback failed: %v", req.Reason, err))
		return
	}
	if target.BuildID == "" {
		s.noteNoRollback(ctx, req.DeployID, NoRollbackTargetReason(req.Reason))
		return
	}
	_, err = s.launch(ctx, StartDeployRequest{
		DeployID: AutoRollbackDeployID(req.DeployID), BuildID: target.BuildID, Type: core.TypeRollback,
		Description:   fmt.Sprintf("automatic rollback of FAILING deploy %s to build %s of deploy %s", req.DeployID, target.BuildID, target.DeployID),
		Operator:      AutoRollbackOperator,
		AliasDeployID: target.DeployID,
	})
	if err != nil {
		s.noteNoRollback(ctx, req.DeployID, fmt.Sprintf("%s; the automatic rollback failed: %v", req.Reason, err))
	}
}

// noteNoRollback records reason on the FAILING deploy, which then waits for a person.
func (s *stageImpl) noteNoRollback(ctx workflow.Context, deployID, reason string) {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(actx, acts.SetDeployState, activities.SetDeployStateInput{DeployID: deployID, State: core.StateFailing, Reason: reason}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("could not record why the deploy was not rolled back", "deploy", deployID, "error", err)
	}
}
