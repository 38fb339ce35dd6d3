package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Defaults of the rolling-deploy knobs of Activities.
const (
	// DefaultPollInterval is how often AwaitWave reads the stage's agent rows.
	DefaultPollInterval = time.Second
	// DefaultMaxWait bounds one AwaitWave call, well inside its 15-minute StartToClose, so
	// that the deploy workflow regularly gets control back even when nothing moves.
	DefaultMaxWait = 10 * time.Minute
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
	n, err := a.recordDeployHosts(ctx, in.DeployID, st.EnvName, st.StageName)
	if err != nil {
		return StartRolloutResult{}, err
	}
	return StartRolloutResult{Total: n, Settings: RolloutSettings{
		MaxParallel: st.MaxParallel, MaxParallelPct: st.MaxParallelPct, SuccessThreshold: st.SuccessThreshold,
		StuckTimeoutSeconds: st.StuckTimeoutSeconds, BakeTimeSeconds: st.BakeTimeSeconds,
		OnFailure: st.OnFailure, Alarms: rolloutAlarms(st.Alarms),
	}}, nil
}

// rolloutAlarms copies the stage's alarms into the workflow's settings (nil when none, so
// that settings without alarms look as they did before alarms existed).
func rolloutAlarms(alarms []schema.Alarm) []Alarm {
	var out []Alarm
	for _, a := range alarms {
		out = append(out, Alarm{Name: a.Name, URL: a.URL})
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
	snap, err := a.snapshot(ctx, in, d)
	if err != nil {
		return AdmitWaveResult{}, err
	}
	n := min(max(in.Window-snap.counts.InFlight, 0), len(snap.waiting))
	if n > 0 {
		if err := a.Store.AdmitHosts(ctx, in.StageID, in.DeployID, snap.waiting[:n]); err != nil {
			return AdmitWaveResult{}, permanent(err)
		}
	}
	c := snap.counts
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

// AwaitWave polls the stage's agent rows every PollInterval and returns the deploy's
// counts as soon as the workflow has something to decide (core.WaveNeedsDecision), or
// after MaxWait. It keeps the counts on the deploy row current and heartbeats them.
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
	// tally reads only the deploy's id and start, which never change: read it once.
	d, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return core.WaveCounts{}, permanent(err)
	}
	for {
		snap, err := a.snapshot(ctx, in, d)
		if err != nil {
			return core.WaveCounts{}, err
		}
		c := snap.counts
		if p.Written == nil || *p.Written != c {
			// Stuck hosts are recorded as failed: the threshold treats them so.
			counts := schema.DeployCounts{Total: c.Total, Succeeded: c.Succeeded, Failed: c.Failed + c.Stuck, InFlight: c.InFlight, Remaining: c.Remaining}
			if err := a.Store.SetDeployWaveCounts(ctx, in.DeployID, counts); err != nil {
				return core.WaveCounts{}, err
			}
			p.Written = &c
		}
		if changed := changedOutcomes(snap.outcomes, outcomes); len(changed) > 0 {
			if _, err := a.Store.RecordHostOutcomes(ctx, in.DeployID, changed); err != nil {
				return core.WaveCounts{}, fmt.Errorf("record outcomes of %d hosts of deploy %s: %w", len(changed), in.DeployID, err)
			}
			for _, o := range changed {
				outcomes[o.HostID] = o
			}
		}
		p.Counts = c
		activity.RecordHeartbeat(ctx, p)
		if core.WaveNeedsDecision(c, in.Window, in.SuccessThreshold, in.Drain) || !a.now().Before(deadline) {
			return c, nil
		}
		t := time.NewTimer(a.pollInterval())
		select {
		case <-ctx.Done():
			t.Stop()
			return c, fmt.Errorf("wait for hosts of deploy %s: %w", in.DeployID, ctx.Err())
		case <-t.C:
		}
	}
}

// waveSnapshot is the deploy's counts, the hosts waiting for an admission, by host name,
// and how each host taking part in the deploy stands.
type waveSnapshot struct {
	counts   core.WaveCounts
	waiting  []string // host ids
	outcomes []schema.HostOutcome
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

// snapshot reads the stage's hosts with their agent rows and deploy d's admissions.
func (a *Activities) snapshot(ctx context.Context, in WaveInput, d *schema.Deploy) (waveSnapshot, error) {
	// The lean read: this runs every poll of every running deploy, beside the pings.
	hosts, err := a.Store.RolloutHosts(ctx, in.StageID)
	if err != nil {
		return waveSnapshot{}, err
	}
	adm, err := a.Store.DeployAdmissions(ctx, in.StageID, in.DeployID)
	if err != nil {
		return waveSnapshot{}, permanent(err)
	}
	admittedAt := make(map[string]time.Time, len(adm))
	for _, h := range adm {
		admittedAt[h.HostID] = h.AdmittedAt
	}
	return tally(hosts, admittedAt, d, a.now(), time.Duration(in.StuckTimeoutSeconds)*time.Second), nil
}

// tally sorts a stage's hosts (sorted by name) into the deploy's counts. It follows the
// ping decision (api.DecideGoal): a host on this deploy at SERVING_BUILD succeeded; one
// PAUSED_BY_SYSTEM on it failed; one paused or stopped by a person is held and counts
// only in the total; a host idle at SERVING_BUILD of another deploy waits for an admission
// unless it has one; every other host (new to the stage, mid-deploy, reset) is in flight,
// since the deploy started, since its admission, or since its deploy stage last moved.
// An in-flight host that has not moved for stuck is stuck. Hosts that finished, failed or
// are in flight, and have pinged (so have an id), get an outcome for deploy_hosts.
func tally(hosts []schema.StageHost, admittedAt map[string]time.Time, d *schema.Deploy, now time.Time, stuck time.Duration) waveSnapshot {
	var out waveSnapshot
	for _, h := range hosts {
		if h.MemberBy == "removed" {
			continue
		}
		out.counts.Total++
		ag := h.Agent
		var since time.Time
		switch {
		case ag != nil && (ag.State == core.AgentPausedByUser || ag.State == core.AgentStop):
			continue
		case ag != nil && ag.DeployID == d.ID && ag.DeployStage == protocol.StageServingBuild:
			out.counts.Succeeded++
			out.outcome(h, admittedAt[h.HostID].IsZero(), core.OutcomeSucceeded, "")
			continue
		case ag != nil && ag.DeployID == d.ID && ag.State == core.AgentPausedBySystem:
			out.counts.Failed++
			out.outcome(h, admittedAt[h.HostID].IsZero(), core.OutcomeFailed, failureText(h))
			continue
		case ag != nil && ag.DeployID == d.ID:
			since = ag.StageStartedAt
		case h.HostID != "" && !admittedAt[h.HostID].IsZero():
			since = admittedAt[h.HostID]
		case ag != nil && !ag.FirstDeploy && ag.State != core.AgentReset && ag.DeployStage == protocol.StageServingBuild:
			out.counts.Remaining++
			out.waiting = append(out.waiting, h.HostID)
			continue
		default:
			since = d.CreatedAt
		}
		out.counts.InFlight++
		if stuck > 0 && now.Sub(since) >= stuck {
			out.counts.Stuck++
			out.outcome(h, admittedAt[h.HostID].IsZero(), core.OutcomeStuck, stuckText(h, d, !admittedAt[h.HostID].IsZero(), since, stuck))
		} else {
			out.outcome(h, admittedAt[h.HostID].IsZero(), core.OutcomeInFlight, "")
		}
	}
	return out
}

// outcome notes how host h stands in the deploy; a host that never pinged has no id to
// record it under and gets a row once it pings.
func (s *waveSnapshot) outcome(h schema.StageHost, joined bool, outcome, message string) {
	if h.HostID == "" {
		return
	}
	s.outcomes = append(s.outcomes, schema.HostOutcome{HostID: h.HostID, HostName: h.HostName, Outcome: outcome, ErrorMessage: message, Joined: joined})
}

// failureText is what an on-call engineer reads first about a failed host: the failing
// script's output when the agent sent it, else the step and status it failed with.
func failureText(h schema.StageHost) string {
	if h.LastError != nil && h.LastError.ErrorMessage != "" {
		return h.LastError.ErrorMessage
	}
	return fmt.Sprintf("paused by the system at %s with status %s; the agent sent no error text", h.Agent.DeployStage, h.Agent.Status)
}

// stuckText says where a stuck host stopped. It names the moment progress stopped, not
// how long ago, so that it stays the same from poll to poll and is written once.
func stuckText(h schema.StageHost, d *schema.Deploy, admitted bool, since time.Time, stuck time.Duration) string {
	at := since.UTC().Format("2006-01-02 15:04:05 UTC")
	switch {
	case h.Agent != nil && h.Agent.DeployID == d.ID:
		return fmt.Sprintf("no progress in %s since %s (stuck timeout %s)", h.Agent.DeployStage, at, stuck)
	case admitted:
		return fmt.Sprintf("admitted at %s and not started within the stuck timeout (%s)", at, stuck)
	default:
		return fmt.Sprintf("not started since the deploy began at %s (stuck timeout %s)", at, stuck)
	}
}
