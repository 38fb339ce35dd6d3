package workflows

import (
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// deployGuardsChange gates, for a whole run of the deploy workflow, the alarm watches:
// WatchAlarms before each wave (until clear), beside every wait for hosts in flight and
// beside every bake, acting by the stage's firing policy (PAUSE, FAIL, ROLLBACK), and a
// ROLLBACK deploy that alarms do not hold unless the stage opts in. Runs recorded before
// it keep CheckAlarms before each wave.
const deployGuardsChange = "alarm-guards"

// alarmWatchOptions are for WatchAlarms, which runs as long as a wave or a bake (up to
// days) and heartbeats every second: a lost worker is noticed in seconds and the watch
// resumes elsewhere with its streaks (heartbeat details); a cancel reaches it at once.
var alarmWatchOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 8 * 24 * time.Hour,
	HeartbeatTimeout:    30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		NonRetryableErrorTypes: []string{"InvalidInput", "NotFound"},
	},
}

// AlarmActedReason is the reason a deploy shows when an alarm acted on it: which alarm,
// where it was checked, and its own explanation (value, threshold, reason).
func AlarmActedReason(res activities.WatchAlarmsResult, source string) string {
	what := "is firing"
	if res.Outcome == core.AlarmInconclusive {
		what = "could not be checked (inconclusive counts as firing)"
	}
	return fmt.Sprintf("alarm %s %s (%s check): %s", res.Alarm, what, source, res.Detail)
}

// AlarmPausedReason is the reason of a deploy an alarm paused.
func AlarmPausedReason(res activities.WatchAlarmsResult, source string) string {
	return AlarmActedReason(res, source) + "; paused: no new hosts are admitted until a person resumes, aborts or rolls back"
}

// guardWatch starts WatchAlarms from source when the deploy is guarded; nil otherwise.
func (d *deployImpl) guardWatch(ctx workflow.Context, source string, untilClear bool) workflow.Future {
	if !d.guards || !d.settings.Guarded || d.paused {
		// A paused deploy admits nobody: a person decides, and the check before the next
		// wave after a resume asks again.
		return nil
	}
	in := activities.WatchAlarmsInput{DeployID: d.in.DeployID, StageID: d.in.StageID, EnvName: d.in.EnvName,
		StageName: d.in.StageName, BuildID: d.in.BuildID, Source: source, UntilClear: untilClear}
	return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, alarmWatchOptions), acts.WatchAlarms, in)
}

// guardBeforeWave checks the alarms until they are clear or one acts. It reports whether
// the rollout must stop (an abort, FAIL, ROLLBACK, an error) and whether the round must
// start again (a pause or resume arrived during the check, or an alarm paused the deploy).
func (d *deployImpl) guardBeforeWave(ctx workflow.Context) (stop, again bool, err error) {
	cctx, cancel := workflow.WithCancel(ctx)
	f := d.guardWatch(cctx, activities.GuardBeforeWave, true)
	if f == nil {
		cancel()
		return false, false, nil
	}
	if ready, _ := d.waitAny(ctx, f, nil, true); !ready {
		// An abort, or a pause or resume: the check stops now; the next round decides.
		cancel()
		if d.aborted != nil {
			return true, false, nil
		}
		return false, true, d.recordPause(ctx)
	}
	cancel()
	stop, err = d.actOnWatch(ctx, f, activities.GuardBeforeWave)
	return stop, !stop && d.paused, err
}

// actOnWatch applies a finished watch: nothing when it is clear; the stage's firing policy
// when an alarm acted. It reports whether the rollout must stop. A watch that failed
// leaves the deploy FAILING, since admitting hosts blind is what alarms are there to
// prevent.
func (d *deployImpl) actOnWatch(ctx workflow.Context, f workflow.Future, source string) (bool, error) {
	var res activities.WatchAlarmsResult
	if err := f.Get(ctx, &res); err != nil {
		if err := d.activityFailed(ctx, err); err == nil {
			return true, nil // cancelled: an abort
		}
		return true, d.setState(ctx, core.StateFailing, fmt.Sprintf("alarms could not be checked: %v", err))
	}
	if !res.Acted {
		return false, nil
	}
	d.actedChecks++
	rec := activities.RecordAlarmCheckInput{DeployID: d.in.DeployID, CheckID: fmt.Sprintf("%s/%d", workflow.GetInfo(ctx).WorkflowExecution.RunID, d.actedChecks),
		Source: source, Result: res}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, storeActivityOptions), acts.RecordAlarmCheck, rec).Get(ctx, nil); err != nil {
		if err := d.activityFailed(ctx, err); err != nil {
			return true, err
		}
		return true, nil
	}
	switch res.Action {
	case core.FiringPause:
		if !d.paused {
			d.paused, d.pausedBy, d.pauseDirty, d.progress.Paused = true, "alarm "+res.Alarm, true, true
			d.pauseReason = AlarmPausedReason(res, source)
		}
		return false, d.recordPause(ctx)
	case core.FiringRollback:
		d.alarmRollback = true
	}
	d.failedByGuard = true
	return true, d.setState(ctx, core.StateFailing, AlarmActedReason(res, source))
}

// waitGuarded waits for f (AwaitWave or a bake's timer) beside the watch g from source
// (nil: none), acting on g when an alarm acts. It reports whether f is ready, and whether
// the rollout must stop (an abort, or an alarm's FAIL or ROLLBACK). A PAUSE lets f finish:
// hosts already deploying finish, as with an operator's pause. With wakeOnPause a pause or
// resume is recorded and the wait goes on.
func (d *deployImpl) waitGuarded(ctx workflow.Context, f, g workflow.Future, source string, wakeOnPause bool) (ready, stop bool, err error) {
	for {
		fr, gr := d.waitAny(ctx, f, g, wakeOnPause)
		if fr && g != nil && g.IsReady() {
			// The watch answered together with the wait: an alarm that acted still acts.
			fr, gr = false, true
		}
		switch {
		case fr:
			return true, false, nil
		case d.aborted != nil:
			return false, true, nil
		case gr:
			done := g
			g = nil
			if stop, err := d.actOnWatch(ctx, done, source); stop || err != nil {
				return false, true, err
			}
			if source == activities.GuardBake && d.paused {
				// A bake the alarm paused ends here; the next round holds the deploy.
				return false, false, nil
			}
		default:
			if err := d.recordPause(ctx); err != nil {
				return false, true, err
			}
			if d.progress.State != core.StateRunning {
				// An alert put the deploy FAILING: hosts in flight finish by themselves.
				return false, true, nil
			}
		}
	}
}

// applyAlerts applies the alerts taken since the last call, as an acting alarm would be:
// PAUSE pauses (recorded by recordPause next), FAIL and ROLLBACK put a RUNNING or
// SUCCEEDING deploy FAILING with the alert's reason (ROLLBACK also asks the stage to roll
// back, as it does for a deploy already FAILING).
func (d *deployImpl) applyAlerts(ctx workflow.Context) error {
	for len(d.alerts) > 0 {
		a := d.alerts[0]
		d.alerts = d.alerts[1:]
		res := activities.WatchAlarmsResult{Acted: true, Action: a.Action, Alarm: a.Alert, Kind: "ALERT", Outcome: core.AlarmFiring, Detail: a.Detail}
		switch {
		case a.Action == core.FiringPause:
			if !d.paused {
				d.paused, d.pausedBy, d.pauseDirty, d.progress.Paused = true, "alert "+a.Alert, true, true
				d.pauseReason = AlertActedReason(res) + "; paused: no new hosts are admitted until a person resumes, aborts or rolls back"
			}
		case d.progress.State == core.StateRunning || d.progress.State == core.StateSucceeding:
			d.alarmRollback = a.Action == core.FiringRollback
			d.failedByGuard = true
			if err := d.setState(ctx, core.StateFailing, AlertActedReason(res)); err != nil {
				return err
			}
		case d.progress.State == core.StateFailing && a.Action == core.FiringRollback && !d.alarmRollback:
			// FAILING and waiting for a person: the alert asks for the rollback now.
			d.alarmRollback = true
			d.requestRollback(ctx)
		}
	}
	return nil
}

// AlertActedReason is the reason a deploy shows when an alert posted to its stage acted.
func AlertActedReason(res activities.WatchAlarmsResult) string {
	return fmt.Sprintf("alert %s is firing: %s", res.Alarm, res.Detail)
}
