package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Defaults of the rolling-deploy knobs of Activities.
const (
	// DefaultPollInterval is how often AwaitWave reads the whole stage even when no host
	// reported: the backstop for what the change mark cannot see (hosts turning stuck as
	// time passes, hosts leaving the stage). Reports wake it sooner (ChangeProbeInterval).
	DefaultPollInterval = 5 * time.Second
	// DefaultChangeProbeInterval is how often AwaitWave asks the store whether a host of
	// the stage reported (schema.StageChangeMark, which reads only rows changed lately): a
	// wave ends about this long after its last host reports.
	DefaultChangeProbeInterval = 100 * time.Millisecond
	// changeLookback is how far before a stage read its change mark starts: writers stamp
	// rows with their own clocks, which may lag the worker's by this much.
	changeLookback = 5 * time.Second
	// DefaultMaxWait bounds one AwaitWave call, well inside its 15-minute StartToClose, so
	// that the deploy workflow regularly gets control back even when nothing moves.
	DefaultMaxWait = 10 * time.Minute
	// WatchPollInterval is how often AwaitWave reads the agent rows of a deploy that has
	// its verdict (WaveInput.Watch) unless PollInterval is set: nearly every stage has one
	// open, so it polls five times less often than a rollout, still well inside the
	// activity's heartbeat timeout.
	WatchPollInterval = 5 * time.Second
)

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Activities) pollInterval() time.Duration {
	if a.PollInterval > 0 {
		return a.PollInterval
	}
	return DefaultPollInterval
}

func (a *Activities) changeProbeInterval() time.Duration {
	if a.ChangeProbeInterval > 0 {
		return a.ChangeProbeInterval
	}
	return DefaultChangeProbeInterval
}

func (a *Activities) maxWait() time.Duration {
	if a.MaxWait > 0 {
		return a.MaxWait
	}
	return DefaultMaxWait
}

// StartRollout reads the stage's rollout settings, counts its hosts, records the count as
// the deploy's total and returns both.
func (a *Activities) StartRollout(ctx context.Context, in StartRolloutInput) (StartRolloutResult, error) {
	st, err := a.Store.GetStageByID(ctx, in.StageID)
	if err != nil {
		return StartRolloutResult{}, permanent(err)
	}
	d, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return StartRolloutResult{}, permanent(err)
	}
	n, err := a.recordDeployHosts(ctx, in.DeployID, st.EnvName, st.StageName)
	if err != nil {
		return StartRolloutResult{}, err
	}
	return StartRolloutResult{Total: n, Settings: RolloutSettings{
		MaxParallel: st.MaxParallel, MaxParallelPct: st.MaxParallelPct, SuccessThreshold: st.SuccessThreshold,
		StuckTimeoutSeconds: st.StuckTimeoutSeconds, BakeTimeSeconds: st.BakeTimeSeconds,
		OnFailure: st.OnFailure, Alarms: rolloutAlarms(st.Alarms),
		Guarded:              len(st.Alarms) > 0 && core.AlarmsHold(d.Type, st.AlarmPolicy.HoldRollbacks),
		GuardIntervalSeconds: st.AlarmPolicy.Interval(),
		HasWebhooks:          len(st.Webhooks) > 0,
	}}, nil
}

// rolloutAlarms copies the stage's alarms into the workflow's settings (nil when none, so
// that settings without alarms look as they did before alarms existed).
func rolloutAlarms(alarms []schema.Alarm) []Alarm {
	var out []Alarm
	for _, a := range alarms {
		// Without credentials: this lands in the workflow's history, which the Temporal UI
		// shows; the alarm watches read the alarms from the store themselves.
		out = append(out, Alarm{Name: a.Name, URL: core.RedactURL(a.URL)})
	}
	return out
}

// AdmitWave admits up to Window minus the hosts in flight of the stage's hosts that wait
// for this deploy, by host name, and returns the counts after the admission. Hosts new to
// the stage install without an admission and only count as in flight. A retry finds the
// hosts it admitted in flight and admits no more than the window allows.
func (a *Activities) AdmitWave(ctx context.Context, in WaveInput) (AdmitWaveResult, error) {
	d, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return AdmitWaveResult{}, permanent(err)
	}
	snap, _, err := a.snapshot(ctx, in, d)
	if err != nil {
		return AdmitWaveResult{}, err
	}
	n := core.AdmitCount(in.Window, snap.Counts.InFlight, len(snap.Waiting))
	if n > 0 {
		if err := a.Store.AdmitHosts(ctx, in.StageID, in.DeployID, snap.Waiting[:n]); err != nil {
			return AdmitWaveResult{}, permanent(err)
		}
	}
	c := snap.Counts
	c.InFlight += n
	c.Remaining -= n
	return AdmitWaveResult{Admitted: n, Counts: c}, nil
}

// awaitProgress is AwaitWave's heartbeat: a retried attempt resumes with the first
// attempt's deadline and does not rewrite counts already on the deploy row.
type awaitProgress struct {
	Since   time.Time
	Written *core.WaveCounts
	Counts  core.WaveCounts
}

// AwaitWave reads the stage's hosts and returns the deploy's counts as soon as the workflow
// has something to decide (core.WaveNeedsDecision), or after MaxWait. Between reads it
// waits for a host of the stage to report: it takes the stage's change mark before each
// read and compares a fresh one every ChangeProbeInterval, reading again once they differ
// (so a report that lands during a read is never missed) or after PollInterval at the
// latest. A deploy with its verdict (Watch) is read every WatchPollInterval instead. It
// keeps the counts on the deploy row current and heartbeats them.
func (a *Activities) AwaitWave(ctx context.Context, in WaveInput) (core.WaveCounts, error) {
	p := awaitProgress{Since: a.now()}
	if activity.HasHeartbeatDetails(ctx) {
		var prev awaitProgress
		if err := activity.GetHeartbeatDetails(ctx, &prev); err == nil && !prev.Since.IsZero() {
			p = prev
		}
	}
	deadline := p.Since.Add(a.maxWait())
	// outcomes remembers what this attempt wrote to deploy_hosts, so that a poll writes only
	// the hosts that changed since; the first poll leaves the comparison to the store.
	outcomes := map[string]schema.HostOutcome{}
	// TallyDeploy reads only the deploy's id and start, which never change: read it once.
	d, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return core.WaveCounts{}, permanent(err)
	}
	for {
		// The mark is taken before the read: a report written during the read moves the
		// next mark, so the loop reads again rather than wait for the backstop.
		markSince := a.now().Add(-changeLookback)
		var mark schema.StageChangeMark
		if !in.Watch {
			if mark, err = a.Store.StageChangeMark(ctx, in.StageID, markSince); err != nil {
				return core.WaveCounts{}, err
			}
		}
		snap, lastAdmitted, err := a.snapshot(ctx, in, d)
		if err != nil {
			return core.WaveCounts{}, err
		}
		c := snap.Counts
		if p.Written == nil || *p.Written != c {
			counts := deployRowCounts(c)
			if err := a.Store.SetDeployWaveCounts(ctx, in.DeployID, counts); err != nil {
				return core.WaveCounts{}, err
			}
			p.Written = &c
		}
		if changed := changedOutcomes(snap.Outcomes, outcomes); len(changed) > 0 {
			if _, err := a.Store.RecordHostOutcomes(ctx, in.DeployID, changed); err != nil {
				return core.WaveCounts{}, fmt.Errorf("record outcomes of %d hosts of deploy %s: %w", len(changed), in.DeployID, err)
			}
			for _, o := range changed {
				outcomes[o.HostID] = o
			}
		}
		p.Counts = c
		activity.RecordHeartbeat(ctx, p)
		decide := core.WaveNeedsDecision(c, in.Window, in.SuccessThreshold, in.Drain)
		if in.Watch {
			decide = core.WatchNeedsDecision(c, in.SuccessThreshold, in.UntilNot)
		}
		if decide && !in.Watch && !lastAdmitted.IsZero() {
			a.metrics().WaveFinished(ctx, d.Type, a.now().Sub(lastAdmitted))
		}
		if decide || !a.now().Before(deadline) {
			return c, nil
		}
		every := a.pollInterval()
		if in.Watch {
			if a.PollInterval == 0 {
				every = WatchPollInterval
			}
			if err := pauseFor(ctx, every); err != nil {
				return c, fmt.Errorf("wait for hosts of deploy %s: %w", in.DeployID, err)
			}
			continue
		}
		// Waits run on the real clock; a.now() is the stuck-detection clock tests move.
		if err := a.awaitChange(ctx, in.StageID, markSince, mark, time.Now().Add(every)); err != nil {
			return c, fmt.Errorf("wait for hosts of deploy %s: %w", in.DeployID, err)
		}
	}
}

// awaitChange returns once stage stageID's change mark since markSince differs from mark,
// or at until, whichever is first.
func (a *Activities) awaitChange(ctx context.Context, stageID string, markSince time.Time, mark schema.StageChangeMark, until time.Time) error {
	for {
		wait := min(a.changeProbeInterval(), time.Until(until))
		if wait <= 0 {
			return nil
		}
		if err := pauseFor(ctx, wait); err != nil {
			return err
		}
		if !time.Now().Before(until) {
			return nil
		}
		now, err := a.Store.StageChangeMark(ctx, stageID, markSince)
		if err != nil {
			return err
		}
		if now != mark {
			return nil
		}
	}
}

// pauseFor waits d or until ctx ends.
func pauseFor(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// changedOutcomes returns the outcomes that differ from what was written before.
func changedOutcomes(now []schema.HostOutcome, written map[string]schema.HostOutcome) []schema.HostOutcome {
	var out []schema.HostOutcome
	for _, o := range now {
		if prev, ok := written[o.HostID]; !ok || prev != o {
			out = append(out, o)
		}
	}
	return out
}

// snapshot reads the stage's hosts with their agent rows and deploy d's admissions, and
// returns the tally and when the latest wave was admitted (zero before the first).
func (a *Activities) snapshot(ctx context.Context, in WaveInput, d *schema.Deploy) (core.DeployTally, time.Time, error) {
	// The lean read: this runs every poll of every running deploy, beside the pings.
	hosts, err := a.Store.RolloutHosts(ctx, in.StageID)
	if err != nil {
		return core.DeployTally{}, time.Time{}, err
	}
	adm, err := a.Store.DeployAdmissions(ctx, in.StageID, in.DeployID)
	if err != nil {
		return core.DeployTally{}, time.Time{}, permanent(err)
	}
	admittedAt := make(map[string]time.Time, len(adm))
	var last time.Time
	for _, h := range adm {
		admittedAt[h.HostID] = h.AdmittedAt
		if h.AdmittedAt.After(last) {
			last = h.AdmittedAt
		}
	}
	return core.TallyDeploy(hosts, d.ID, d.AliasDeployID, d.CreatedAt, admittedAt, a.now(), time.Duration(in.StuckTimeoutSeconds)*time.Second), last, nil
}

// deployRowCounts are the counts the deploy row shows. Stuck hosts are recorded as failed,
// as the threshold treats them, and so are no longer in flight: the row's counts add up
// to the stage's hosts, where the workflow's InFlight still holds their slots.
func deployRowCounts(c core.WaveCounts) schema.DeployCounts {
	return schema.DeployCounts{Total: c.Total, Succeeded: c.Succeeded, Failed: c.Failed + c.Stuck,
		InFlight: c.InFlight - c.Stuck, Remaining: c.Remaining}
}
