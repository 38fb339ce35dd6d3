package workflows

import (
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"go.temporal.io/sdk/workflow"
)

// deployShowsBakeChange gates, for a whole run, the writes that show a bake on the deploy
// row (SetDeployBaking before and after its timer), so that a bake reads as its own phase
// with its end time instead of a RUNNING deploy with nothing in flight.
const deployShowsBakeChange = "deploy-shows-bake"

// BakingReason is the reason a deploy shows while it bakes after wave until until.
func BakingReason(wave int, until time.Time, succeeded, total int) string {
	return fmt.Sprintf("baking until %s after wave %d (%d of %d hosts serving): no host is admitted until the bake ends",
		until.UTC().Format(time.RFC3339), wave, succeeded, total)
}

// bakeShown bakes for bake with the bake on the deploy row and in the progress, and
// reports whether the rollout must stop (an abort, or an error).
func (d *deployImpl) bakeShown(ctx workflow.Context, bake time.Duration) (bool, error) {
	until := workflow.Now(ctx).Add(bake)
	reason := BakingReason(d.progress.Wave, until, d.progress.Succeeded, d.progress.TotalHosts)
	if err := d.recordBake(ctx, &until, reason); err != nil {
		return true, err
	}
	d.progress.BakingUntil, d.progress.Reason = &until, reason
	d.publish(ctx)
	tctx, cancel := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(tctx, bake)
	var baked, stop bool
	if g := d.guardWatch(tctx, activities.GuardBake, false); g != nil {
		var err error
		baked, stop, err = d.waitGuarded(ctx, timer, g, activities.GuardBake, true)
		if err != nil {
			cancel()
			return true, err
		}
		// Ends the timer or the watch, whichever still runs.
		cancel()
	} else {
		baked = d.wait(ctx, timer)
		stop = !baked
		if !baked {
			cancel()
		}
	}
	d.progress.BakingUntil = nil
	// Also after an abort: the row must not show a bake that is over. The deploy's finish
	// writes its final reason next.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := d.recordBake(dctx, nil, ""); err != nil {
		return true, err
	}
	return stop, nil
}

func (d *deployImpl) recordBake(ctx workflow.Context, until *time.Time, reason string) error {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	err := workflow.ExecuteActivity(actx, acts.SetDeployBaking, activities.SetDeployBakingInput{DeployID: d.in.DeployID, Until: until, Reason: reason}).Get(ctx, nil)
	if err != nil {
		return d.activityFailed(ctx, fmt.Errorf("record bake of deploy %s: %w", d.in.DeployID, err))
	}
	return nil
}
