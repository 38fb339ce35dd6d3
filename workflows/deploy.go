package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// DeployWorkflow rolls one build out to one stage in waves: it admits up to a window of
// hosts, waits (in a heartbeating activity) until a slot frees up, checks the success
// threshold, optionally bakes, and repeats until the deploy is SUCCEEDING or FAILING. It
// then waits, as Teletraan does, until a newer deploy supersedes it (SUCCEEDING becomes
// SUCCEEDED, anything else ABORTED) or a person aborts it. Per-host state lives in the
// database, never in this history: events grow with waves, not hosts.
func DeployWorkflow(ctx workflow.Context, in DeployInput) (DeployProgress, error) {
	d := &deployImpl{in: in, progress: DeployProgress{DeployID: in.DeployID, State: core.StateRunning}}
	// First, so that the whole run takes one branch.
	d.noticesAbort = workflow.GetVersion(ctx, deployAbortChange, workflow.DefaultVersion, 1) >= 1
	d.watchesVerdict = workflow.GetVersion(ctx, deployWatchVerdictChange, workflow.DefaultVersion, 1) >= 1
	d.showsBake = workflow.GetVersion(ctx, deployShowsBakeChange, workflow.DefaultVersion, 1) >= 1
	d.guards = workflow.GetVersion(ctx, deployGuardsChange, workflow.DefaultVersion, 1) >= 1
	d.webhooks = workflow.GetVersion(ctx, deployWebhooksChange, workflow.DefaultVersion, 1) >= 1
	if r := in.Rollout; r != nil {
		d.settings = r.Settings
		d.progress.State, d.progress.Reason, d.progress.Wave = r.State, r.Reason, r.Wave
		d.setCounts(r.Counts)
		d.paused, d.progress.Paused = r.Paused, r.Paused
		d.failedByGuard = r.FailedByGuard
		d.progress.Window = d.window()
	}
	if err := d.setup(ctx); err != nil {
		return d.progress, err
	}
	return d.run(ctx)
}

// cancelledReason is the abort reason when someone cancels the workflow itself.
const cancelledReason = "deploy workflow was cancelled"

type deployImpl struct {
	in       DeployInput
	settings activities.RolloutSettings
	progress DeployProgress
	abortCh  workflow.ReceiveChannel
	aborted  *AbortRequest
	pauseCh  workflow.ReceiveChannel
	// paused is the operator's latest pause or resume; pauseDirty says the deploy row does
	// not show it yet, pausedBy who sent it.
	paused     bool
	pauseDirty bool
	pausedBy   string
	// noticesAbort is whether this run takes aborts during alarm checks and just before
	// continuing as new (deployAbortChange).
	noticesAbort bool
	// watchesVerdict is whether this run keeps counting hosts after its verdict and takes a
	// FAILING deploy back to RUNNING when its failed hosts are retried
	// (deployWatchVerdictChange); watchRounds counts those watches in this run.
	watchesVerdict bool
	watchRounds    int
	// showsBake is whether this run records its bakes on the deploy row (deployShowsBakeChange).
	showsBake bool
	// guards is whether this run watches its alarms continuously and applies the firing
	// policy (deployGuardsChange); alarmRollback that an alarm's ROLLBACK policy asked for
	// a rollback; pauseReason the reason an alarm's pause records instead of the operator's.
	guards        bool
	webhooks      bool
	alarmRollback bool
	pauseReason   string
	// alertCh carries alerts (guards only); alerts holds those taken and not yet applied.
	alertCh workflow.ReceiveChannel
	alerts  []AlertRequest
	// actedChecks counts the alarm checks this run acted on (their record ids);
	// failedByGuard says an alarm or an alert put the deploy FAILING, so that retried hosts
	// do not take it back to RUNNING: a person decides.
	actedChecks   int
	failedByGuard bool
}

// deployAbortChange gates, for a whole run of the deploy workflow, an alarm check that an
// abort interrupts and a continue-as-new that first takes the aborts and pauses that
// arrived while it recorded a pause. Runs recorded before it replay without them.
const deployAbortChange = "deploy-notices-abort"

func (d *deployImpl) setup(ctx workflow.Context) error {
	if d.in.DeployID == "" || d.in.StageID == "" || d.in.BuildID == "" {
		return temporal.NewNonRetryableApplicationError("deploy workflow needs DeployID, StageID and BuildID", "InvalidInput", nil)
	}
	return workflow.SetQueryHandler(ctx, DeployProgressQuery, func() (DeployProgress, error) {
		return d.progress, nil
	})
}

func (d *deployImpl) run(ctx workflow.Context) (DeployProgress, error) {
	d.abortCh = workflow.GetSignalChannel(ctx, AbortDeploySignal)
	d.alertCh = workflow.GetSignalChannel(ctx, AlertSignal)
	d.pauseCh = workflow.GetSignalChannel(ctx, SetPausedSignal)
	if d.in.Rollout == nil {
		if err := d.start(ctx); err != nil {
			return d.progress, err
		}
	}
	if d.progress.State == core.StateRunning {
		if err := d.roll(ctx); err != nil {
			// Continue-as-new travels as an error too.
			return d.progress, err
		}
	}
	// SUCCEEDING and FAILING deploys stay open: hosts that join later install the build by
	// themselves, and a person or a newer deploy decides what happens next.
	for d.aborted == nil {
		if d.watchesVerdict {
			again, err := d.watchVerdict(ctx)
			if err != nil {
				return d.progress, err
			}
			if again {
				if err := d.roll(ctx); err != nil {
					return d.progress, err
				}
			}
			continue
		}
		d.waitFor(ctx, nil, true)
		if err := d.recordPause(ctx); err != nil {
			return d.progress, err
		}
	}
	return d.finish(ctx)
}

// start loads the stage's rollout settings and records the deploy's total.
func (d *deployImpl) start(ctx workflow.Context) error {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	var res activities.StartRolloutResult
	err := workflow.ExecuteActivity(actx, acts.StartRollout, activities.StartRolloutInput{DeployID: d.in.DeployID, StageID: d.in.StageID, EnvName: d.in.EnvName, StageName: d.in.StageName}).Get(ctx, &res)
	if err != nil {
		return d.activityFailed(ctx, fmt.Errorf("load rollout settings of %s/%s: %w", d.in.EnvName, d.in.StageName, err))
	}
	d.settings = res.Settings
	d.progress.TotalHosts = res.Total
	d.progress.Window = d.window()
	if res.Total == 0 {
		// A deploy to nowhere must not look like a success.
		return d.setState(ctx, core.StateFailing, noHostsReason(d.in.EnvName, d.in.StageName))
	}
	d.progress.Reason = fmt.Sprintf("rolling out to %d hosts, %d at a time", res.Total, d.progress.Window)
	d.publish(ctx)
	d.emit(ctx, core.EventDeployStarted, d.progress.Reason)
	return nil
}

// roll runs waves until the deploy is SUCCEEDING or FAILING, is aborted, or continues as
// new (returned as the error).
func (d *deployImpl) roll(ctx workflow.Context) error {
	threshold := d.settings.SuccessThreshold
	bake := time.Duration(d.settings.BakeTimeSeconds) * time.Second
	for round := 0; ; round++ {
		d.pollAbort(ctx)
		if d.aborted != nil {
			return nil
		}
		d.pollPause()
		if err := d.recordPause(ctx); err != nil {
			return err
		}
		if d.guards && d.progress.State != core.StateRunning {
			// An alert put the deploy FAILING.
			return nil
		}
		// Every round adds a handful of events, so bound the rounds per run even if the
		// server never suggests continuing.
		if round >= WavesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if d.noticesAbort {
				// Signals that came while the pause was recorded are in this run's
				// channels and would be dropped with it.
				if err := d.settleSignals(ctx); err != nil || d.aborted != nil {
					return err
				}
			}
			return d.continueAsNew(ctx)
		}

		d.progress.Window = d.window()
		in := activities.WaveInput{
			DeployID: d.in.DeployID, StageID: d.in.StageID, EnvName: d.in.EnvName, StageName: d.in.StageName,
			Window: d.progress.Window, SuccessThreshold: threshold, StuckTimeoutSeconds: d.settings.StuckTimeoutSeconds,
			Drain: bake > 0,
		}
		if d.paused {
			if stop, err := d.holdPaused(ctx, in); stop || err != nil {
				return err
			}
			continue
		}
		if d.guards {
			stop, again, err := d.guardBeforeWave(ctx)
			if stop || err != nil {
				return err
			}
			if again {
				continue
			}
		} else if stop, err := d.checkAlarms(ctx); stop || err != nil {
			return err
		}
		var admitted activities.AdmitWaveResult
		if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, storeActivityOptions), acts.AdmitWave, in).Get(ctx, &admitted); err != nil {
			return d.activityFailed(ctx, fmt.Errorf("admit hosts of %s/%s to deploy %s: %w", d.in.EnvName, d.in.StageName, d.in.DeployID, err))
		}
		if admitted.Admitted > 0 {
			d.progress.Wave++
		}
		d.setCounts(admitted.Counts)
		d.publish(ctx)

		counts, ok, err := d.awaitWave(ctx, in)
		if err != nil || !ok {
			return err
		}
		d.setCounts(counts)
		if d.guards && d.progress.State != core.StateRunning {
			d.publish(ctx)
			return nil
		}
		if v := core.Verdict(counts, threshold); v != core.StateRunning {
			return d.setState(ctx, v, verdictReason(v, counts, threshold, d.in.BuildID, d.in.EnvName, d.in.StageName))
		}
		d.publish(ctx)

		if d.guards && d.paused {
			// Paused (by a person or an alarm) while the wave ran: no bake, whose reason
			// would hide the pause's; a resume checks the alarms before the next wave.
			continue
		}
		// The wave drained and hosts remain: let problems show before going wider.
		if bake > 0 && counts.Remaining > 0 && counts.InFlight == 0 {
			if d.showsBake {
				if done, err := d.bakeShown(ctx, bake); done || err != nil {
					return err
				}
				continue
			}
			tctx, cancel := workflow.WithCancel(ctx)
			if !d.wait(ctx, workflow.NewTimer(tctx, bake)) {
				cancel()
				return nil
			}
		}
	}
}

// awaitWave runs AwaitWave until it reports, the deploy is aborted (ok false) or it fails.
func (d *deployImpl) awaitWave(ctx workflow.Context, in activities.WaveInput) (core.WaveCounts, bool, error) {
	actx, cancel := workflow.WithCancel(ctx)
	f := workflow.ExecuteActivity(workflow.WithActivityOptions(actx, awaitActivityOptions), acts.AwaitWave, in)
	if g := d.guardWatch(actx, activities.GuardInFlight, false); g != nil {
		ready, _, err := d.waitGuarded(ctx, f, g, activities.GuardInFlight, true)
		// The watch ends with the wave: the next round checks before admitting more.
		cancel()
		if !ready || err != nil {
			return core.WaveCounts{}, false, err
		}
		var counts core.WaveCounts
		if err := f.Get(ctx, &counts); err != nil {
			return core.WaveCounts{}, false, d.activityFailed(ctx, fmt.Errorf("wait for hosts of deploy %s: %w", d.in.DeployID, err))
		}
		return counts, true, nil
	}
	for !d.waitFor(ctx, f, true) {
		if d.aborted != nil {
			// Stop polling; the activity learns of it at its next heartbeat.
			cancel()
			return core.WaveCounts{}, false, nil
		}
		// A pause or resume: show it on the deploy row now; it takes effect next round.
		if err := d.recordPause(ctx); err != nil {
			cancel()
			return core.WaveCounts{}, false, err
		}
	}
	var counts core.WaveCounts
	if err := f.Get(ctx, &counts); err != nil {
		return core.WaveCounts{}, false, d.activityFailed(ctx, fmt.Errorf("wait for hosts of deploy %s: %w", d.in.DeployID, err))
	}
	return counts, true, nil
}

// wait blocks until f is ready (nil: never), an abort arrives or the workflow is cancelled,
// and reports whether f is ready. A pause arriving meanwhile waits in its channel for the
// next round.
func (d *deployImpl) wait(ctx workflow.Context, f workflow.Future) bool {
	return d.waitFor(ctx, f, false)
}

// waitFor is wait that, with wakeOnPause, also takes pause and resume signals and returns
// (false) when one changes whether the deploy is paused.
func (d *deployImpl) waitFor(ctx workflow.Context, f workflow.Future, wakeOnPause bool) bool {
	ready, _ := d.waitAny(ctx, f, nil, wakeOnPause)
	return ready
}

// waitAny is waitFor over f and g (either nil: none), reporting which is ready; it also
// returns when g is ready.
func (d *deployImpl) waitAny(ctx workflow.Context, f, g workflow.Future, wakeOnPause bool) (bool, bool) {
	for {
		if d.aborted != nil {
			return false, false
		}
		ready, gReady, changed := false, false, false
		sel := workflow.NewSelector(ctx)
		if f != nil {
			sel.AddFuture(f, func(workflow.Future) { ready = true })
		}
		if g != nil {
			sel.AddFuture(g, func(workflow.Future) { gReady = true })
		}
		sel.AddReceive(d.abortCh, func(c workflow.ReceiveChannel, _ bool) {
			var req AbortRequest
			c.Receive(ctx, &req)
			d.aborted = &req
		})
		if wakeOnPause {
			sel.AddReceive(d.pauseCh, func(c workflow.ReceiveChannel, _ bool) {
				var req PauseRequest
				c.Receive(ctx, &req)
				changed = d.applyPause(req)
			})
			if d.guards {
				// An alert is applied where a pause is recorded (recordPause).
				sel.AddReceive(d.alertCh, func(c workflow.ReceiveChannel, _ bool) {
					var req AlertRequest
					c.Receive(ctx, &req)
					d.alerts = append(d.alerts, req)
					changed = true
				})
			}
		}
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {
			// Cancelling the workflow from the Temporal UI or CLI is an abort too.
			d.aborted = &AbortRequest{Reason: cancelledReason}
		})
		sel.Select(ctx)
		if ready || gReady || d.aborted != nil || changed {
			return ready && d.aborted == nil, gReady && d.aborted == nil
		}
	}
}

// pollAbort takes an abort that arrived while the workflow was not waiting, so that no
// wave starts after it and none is lost across continue-as-new.
func (d *deployImpl) pollAbort(ctx workflow.Context) {
	if d.aborted != nil {
		return
	}
	var req AbortRequest
	if d.abortCh.ReceiveAsync(&req) {
		d.aborted = &req
	} else if ctx.Err() != nil {
		d.aborted = &AbortRequest{Reason: cancelledReason}
	}
}

// settleSignals takes every abort and pause that arrived, recording pauses, until none is
// left, so that continuing as new carries them all.
func (d *deployImpl) settleSignals(ctx workflow.Context) error {
	for {
		d.pollAbort(ctx)
		if d.aborted != nil {
			return nil
		}
		d.pollPause()
		if !d.pauseDirty {
			return nil
		}
		if err := d.recordPause(ctx); err != nil {
			return err
		}
	}
}

// activityFailed turns an activity error caused by cancelling the workflow into an abort,
// and returns any other error.
func (d *deployImpl) activityFailed(ctx workflow.Context, err error) error {
	var canceled *temporal.CanceledError
	if ctx.Err() != nil || errors.As(err, &canceled) {
		if d.aborted == nil {
			d.aborted = &AbortRequest{Reason: cancelledReason}
		}
		return nil
	}
	return err
}

func (d *deployImpl) continueAsNew(ctx workflow.Context) error {
	next := d.in
	next.Rollout = &RolloutState{
		Settings: d.settings,
		Counts: core.WaveCounts{Total: d.progress.TotalHosts, Succeeded: d.progress.Succeeded, Failed: d.progress.Failed,
			InFlight: d.progress.InFlight, Remaining: d.progress.Remaining, Stuck: d.progress.Stuck},
		Wave: d.progress.Wave, State: d.progress.State, Reason: d.progress.Reason, Paused: d.paused,
		FailedByGuard: d.failedByGuard,
	}
	return workflow.NewContinueAsNewError(ctx, DeployWorkflow, next)
}

// finish records the final state, which must happen even if the workflow is being
// cancelled, and tells the stage workflow.
func (d *deployImpl) finish(ctx workflow.Context) (DeployProgress, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := d.setState(dctx, FinalState(d.progress.State, *d.aborted), d.aborted.Reason); err != nil {
		return d.progress, err
	}
	d.notifyStage(dctx)
	return d.progress, nil
}

func (d *deployImpl) setCounts(c core.WaveCounts) {
	d.progress.TotalHosts, d.progress.Succeeded, d.progress.Failed = c.Total, c.Succeeded, c.Failed
	d.progress.InFlight, d.progress.Remaining, d.progress.Stuck = c.InFlight, c.Remaining, c.Stuck
}

// publish shows the progress as the workflow's current details in the Temporal UI.
func (d *deployImpl) publish(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, progressSummary(d.progress))
}

// setState records a new deploy state in the database and in the search attributes.
func (d *deployImpl) setState(ctx workflow.Context, state, reason string) error {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	if err := workflow.ExecuteActivity(actx, acts.SetDeployState, activities.SetDeployStateInput{DeployID: d.in.DeployID, State: state, Reason: reason}).Get(ctx, nil); err != nil {
		return d.activityFailed(ctx, fmt.Errorf("record state %s of deploy %s: %w", state, d.in.DeployID, err))
	}
	d.progress.State, d.progress.Reason = state, reason
	workflow.SetCurrentDetails(ctx, state+": "+reason)
	if err := workflow.UpsertTypedSearchAttributes(ctx, StateKey.ValueSet(state)); err != nil {
		return err
	}
	if state == core.StateSucceeding || state == core.StateFailing {
		d.notifyStageOfVerdict(ctx)
	}
	if ev := stateEvent(d.in.Type, state); ev != "" {
		d.emit(ctx, ev, state+": "+reason)
	}
	if state == core.StateFailing {
		d.requestRollback(ctx)
	}
	return nil
}

func (d *deployImpl) notifyStage(ctx workflow.Context) {
	if d.in.StageWorkflowID == "" {
		return
	}
	f := workflow.SignalExternalWorkflow(ctx, d.in.StageWorkflowID, "", DeployFinishedSignal, DeployFinished{DeployID: d.in.DeployID, State: d.progress.State})
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not tell the stage workflow that the deploy ended", "error", err)
	}
}

// awaitActivityOptions are for AwaitWave, which polls for minutes: its heartbeats detect a
// dead worker quickly, and it returns within maxAwait (activities.Activities.MaxWait) so
// that the workflow regularly gets a chance to continue-as-new.
var awaitActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 15 * time.Minute,
	// Heartbeats come every poll (about a second); a short timeout lets another worker take
	// over quickly when this one dies.
	HeartbeatTimeout: 10 * time.Second,
	// No ScheduleToClose: a deploy waits out a database outage however long it lasts.
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		NonRetryableErrorTypes: []string{"InvalidInput", "NotFound"},
	},
}
