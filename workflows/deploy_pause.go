package workflows

import (
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/workflow"
)

// verdictNoticeChange versions the DeployStateSignal a deploy sends its stage workflow on
// a verdict: deploys recorded before it must replay without that command.
const verdictNoticeChange = "notify-stage-of-verdict"

// window is the deploy's window for its type over the hosts it knows of.
func (d *deployImpl) window() int {
	return core.DeployWindow(d.in.Type, d.progress.TotalHosts, d.settings.MaxParallel, d.settings.MaxParallelPct)
}

// applyPause takes a pause or resume and reports whether it changed anything.
func (d *deployImpl) applyPause(req PauseRequest) bool {
	if req.Paused == d.paused {
		return false
	}
	d.paused, d.pausedBy, d.pauseDirty = req.Paused, req.Operator, true
	d.progress.Paused = req.Paused
	return true
}

// pollPause takes the pauses and resumes that arrived while the workflow was busy.
func (d *deployImpl) pollPause() {
	for {
		var req PauseRequest
		if !d.pauseCh.ReceiveAsync(&req) {
			break
		}
		d.applyPause(req)
	}
	for d.guards {
		var req AlertRequest
		if !d.alertCh.ReceiveAsync(&req) {
			return
		}
		d.alerts = append(d.alerts, req)
	}
}

// recordPause writes a changed pause to the deploy row, so that the API and the CLI show
// it; the reason changes only while the deploy runs, since a verdict's reason says more.
func (d *deployImpl) recordPause(ctx workflow.Context) error {
	if err := d.applyAlerts(ctx); err != nil {
		return err
	}
	if !d.pauseDirty {
		return nil
	}
	d.pauseDirty = false
	reason := ""
	if d.progress.State == core.StateRunning {
		reason = ResumedReason(d.pausedBy)
		if d.paused {
			reason = PausedReason(d.pausedBy)
		}
		if d.paused && d.pauseReason != "" {
			reason = d.pauseReason
		}
	}
	d.pauseReason = ""
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(actx, acts.SetDeployPaused, activities.SetDeployPausedInput{DeployID: d.in.DeployID, Paused: d.paused, Reason: reason}).Get(ctx, nil)
	if err != nil {
		return d.activityFailed(ctx, fmt.Errorf("record pause of deploy %s: %w", d.in.DeployID, err))
	}
	if reason != "" {
		d.progress.Reason = reason
	}
	d.publish(ctx)
	return nil
}

// holdPaused is one round of a paused deploy: it admits nobody, but while hosts are still
// deploying it keeps counting them (AwaitWave, draining) so that the verdict stays current;
// with none in flight it just waits for a resume or an abort. It reports whether the
// rollout is over (a verdict, an abort or an error).
func (d *deployImpl) holdPaused(ctx workflow.Context, in activities.WaveInput) (bool, error) {
	if d.progress.InFlight == 0 {
		d.waitFor(ctx, nil, true)
		return d.aborted != nil, nil
	}
	in.Drain = true
	actx, cancel := workflow.WithCancel(ctx)
	f := workflow.ExecuteActivity(workflow.WithActivityOptions(actx, awaitActivityOptions), acts.AwaitWave, in)
	if !d.waitFor(ctx, f, true) {
		// Resumed or aborted: stop this poll; the next round decides afresh.
		cancel()
		return d.aborted != nil, nil
	}
	var counts core.WaveCounts
	if err := f.Get(ctx, &counts); err != nil {
		return true, d.activityFailed(ctx, fmt.Errorf("wait for hosts of paused deploy %s: %w", d.in.DeployID, err))
	}
	d.setCounts(counts)
	if v := core.Verdict(counts, in.SuccessThreshold); v != core.StateRunning {
		return true, d.setState(ctx, v, verdictReason(v, counts, in.SuccessThreshold, d.in.BuildID, d.in.EnvName, d.in.StageName))
	}
	d.publish(ctx)
	return false, nil
}

// notifyStageOfVerdict tells the stage workflow that the deploy is SUCCEEDING or FAILING,
// so that it stops treating a HOTFIX or ROLLBACK as running.
func (d *deployImpl) notifyStageOfVerdict(ctx workflow.Context) {
	if d.in.StageWorkflowID == "" {
		return
	}
	if workflow.GetVersion(ctx, verdictNoticeChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	f := workflow.SignalExternalWorkflow(ctx, d.in.StageWorkflowID, "", DeployStateSignal, DeployFinished{DeployID: d.in.DeployID, State: d.progress.State})
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not tell the stage workflow the deploy's verdict", "error", err)
	}
}
