package workflows

import (
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/workflow"
)

// deployWatchVerdictChange gates, for a whole run, what a deploy does once SUCCEEDING or
// FAILING: it keeps its host counts current (AwaitWave watching) instead of only waiting,
// and a deploy FAILING on its counts runs again once they no longer call for FAILING (a
// person retried the failed hosts, or hosts joined a stage that had none).
const deployWatchVerdictChange = "deploy-watches-verdict"

// RetriedReason is the reason of a FAILING deploy that runs again because its counts no
// longer call for FAILING.
func RetriedReason(c core.WaveCounts) string {
	return fmt.Sprintf("running again: %d of %d hosts failed now (hosts were retried or added), %d to go", c.Failed+c.Stuck, c.Total, c.Remaining+c.InFlight)
}

// watchVerdict is one round of a deploy that has its verdict: one AwaitWave that keeps the
// counts current and comes back after at most its MaxWait, or earlier when a FAILING
// deploy's counts leave FAILING, or an abort, pause or resume arrives. It reports whether
// the deploy is RUNNING again and must roll; continue-as-new comes back as the error.
func (d *deployImpl) watchVerdict(ctx workflow.Context) (bool, error) {
	// Each round adds a handful of events, and a SUCCEEDING deploy can wait for weeks.
	if d.watchRounds >= WavesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
		if err := d.settleSignals(ctx); err != nil || d.aborted != nil {
			return false, err
		}
		return false, d.continueAsNew(ctx)
	}
	d.watchRounds++
	threshold := d.settings.SuccessThreshold
	counts := d.counts()
	in := activities.WaveInput{
		DeployID: d.in.DeployID, StageID: d.in.StageID, EnvName: d.in.EnvName, StageName: d.in.StageName,
		Window: d.progress.Window, SuccessThreshold: threshold, StuckTimeoutSeconds: d.settings.StuckTimeoutSeconds,
		Drain: true, Watch: true,
	}
	// A deploy FAILING for an alarm, or SUCCEEDING, only keeps its counts current.
	if d.progress.State == core.StateFailing && core.Verdict(counts, threshold) == core.StateFailing && !d.failedByGuard {
		in.UntilNot = core.StateFailing
	}
	actx, cancel := workflow.WithCancel(ctx)
	f := workflow.ExecuteActivity(workflow.WithActivityOptions(actx, awaitActivityOptions), acts.AwaitWave, in)
	if !d.waitFor(ctx, f, true) {
		cancel()
		if d.aborted != nil {
			return false, nil
		}
		return false, d.recordPause(ctx)
	}
	if err := f.Get(ctx, &counts); err != nil {
		return false, d.activityFailed(ctx, fmt.Errorf("count hosts of deploy %s: %w", d.in.DeployID, err))
	}
	d.setCounts(counts)
	d.publish(ctx)
	if in.UntilNot == "" {
		return false, nil
	}
	switch v := core.Verdict(counts, threshold); v {
	case core.StateFailing:
		return false, nil
	case core.StateSucceeding:
		return false, d.setState(ctx, v, verdictReason(v, counts, threshold, d.in.BuildID, d.in.EnvName, d.in.StageName))
	}
	if err := d.setState(ctx, core.StateRunning, RetriedReason(counts)); err != nil {
		return false, err
	}
	// The stage must treat a HOTFIX or ROLLBACK as running again.
	d.notifyStageOfVerdict(ctx)
	return d.aborted == nil, nil
}

// counts are the deploy's counts as its progress shows them.
func (d *deployImpl) counts() core.WaveCounts {
	p := d.progress
	return core.WaveCounts{Total: p.TotalHosts, Succeeded: p.Succeeded, Failed: p.Failed, InFlight: p.InFlight, Remaining: p.Remaining, Stuck: p.Stuck}
}
