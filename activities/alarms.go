package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// CheckAlarms GETs every alarm at once and reports each one's status in input order. An
// alarm is firing when it answers non-2xx, or 2xx with a JSON body {"firing": true}; one
// that cannot be reached counts as firing, since a deploy must not widen blind. Deploys
// recorded before the alarm watches use it; newer ones use WatchAlarms.
func (a *Activities) CheckAlarms(ctx context.Context, in CheckAlarmsInput) (CheckAlarmsResult, error) {
	alarms := make([]alarmcheck.Alarm, len(in.Alarms))
	for i, al := range in.Alarms {
		alarms[i] = alarmcheck.Alarm{Name: al.Name, Kind: core.AlarmKindHTTP, URL: al.URL}
	}
	statuses := alarmcheck.CheckAll(ctx, a.HTTPClient, alarmcheck.Prometheus{}, alarmcheck.Vars{}, alarms)
	if err := ctx.Err(); err != nil {
		// Cancelled or timed out as a whole: the statuses say "unreachable" for the wrong
		// reason, so let Temporal decide (retry or cancel) instead.
		for range in.Alarms {
			a.metrics().AlarmChecked(ctx, telemetry.AlarmError)
		}
		return CheckAlarmsResult{}, fmt.Errorf("check alarms of deploy %s: %w", in.DeployID, err)
	}
	out := make([]AlarmStatus, len(statuses))
	for i, st := range statuses {
		out[i] = AlarmStatus{Name: st.Name, Firing: st.Outcome != core.AlarmOK, Detail: st.Detail}
	}
	a.recordAlarmChecks(ctx, statuses)
	return CheckAlarmsResult{Alarms: out}, nil
}

// watchState is what a watch keeps in its heartbeats, so that a retry on another worker
// keeps the streaks.
type watchState struct {
	Streaks []int
	Checks  int
}

// WatchAlarms checks the stage's alarms every interval of its alarm policy, reading the
// alarms and the policy from the store each round (so no credential travels in the
// workflow's history, and an edit applies at the next round), and counts consecutive
// firing checks per alarm (core.AlarmStreaks; an inconclusive check counts as the policy
// says). It returns when an alarm reaches the policy's failureLimit (core.ActingAlarm),
// having recorded that check on the deploy, or, with UntilClear, as soon as every alarm is
// clear. It heartbeats every second, so the workflow's cancel (an abort, a pause, the wave
// ending) stops it at once.
func (a *Activities) WatchAlarms(ctx context.Context, in WatchAlarmsInput) (WatchAlarmsResult, error) {
	var state watchState
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &state)
	}
	vars := alarmcheck.Vars{Env: in.EnvName, Stage: in.StageName, Build: in.BuildID, Deploy: in.DeployID}
	for {
		st, err := a.Store.GetStageByID(ctx, in.StageID)
		if err != nil {
			return WatchAlarmsResult{}, permanent(err)
		}
		if len(st.Alarms) == 0 {
			return WatchAlarmsResult{Checks: state.Checks}, nil
		}
		policy := st.AlarmPolicy
		statuses := alarmcheck.CheckAll(ctx, a.HTTPClient, policy.Prometheus.Or(a.Prometheus), vars, st.AlarmChecks())
		if err := ctx.Err(); err != nil {
			return WatchAlarmsResult{}, err
		}
		a.recordAlarmChecks(ctx, statuses)
		outcomes := make([]string, len(statuses))
		for i, s := range statuses {
			outcomes[i] = s.Outcome
		}
		state.Streaks = core.AlarmStreaks(state.Streaks, outcomes, policy.OnInconclusive)
		state.Checks++
		activity.RecordHeartbeat(ctx, state)
		if i := core.ActingAlarm(state.Streaks, policy.FailureLimit); i >= 0 {
			return a.recordActing(ctx, in, st, statuses[i], state.Checks)
		}
		if in.UntilClear && allZero(state.Streaks) {
			return WatchAlarmsResult{Checks: state.Checks}, nil
		}
		if err := a.sleepHeartbeating(ctx, time.Duration(policy.Interval())*time.Second, state); err != nil {
			return WatchAlarmsResult{}, err
		}
	}
}

// recordActing is the acting check as the watch returns it, its reason without the
// stage's secrets. The workflow records it on the deploy when it applies it
// (RecordAlarmCheck), so that only checks that acted are on record.
func (a *Activities) recordActing(_ context.Context, _ WatchAlarmsInput, st *schema.Stage, s alarmcheck.Status, checks int) (WatchAlarmsResult, error) {
	return WatchAlarmsResult{Acted: true, Action: st.AlarmPolicy.OnFiring, Alarm: s.Name, Kind: s.Kind, Outcome: s.Outcome,
		Value: s.Value, Threshold: s.Threshold, Detail: core.RedactText(s.Detail, st.GuardSecrets()), Checks: checks}, nil
}

// RecordAlarmCheck records on the deploy an alarm check that acted, once by its id.
func (a *Activities) RecordAlarmCheck(ctx context.Context, in RecordAlarmCheckInput) error {
	r := in.Result
	return permanent(a.Store.RecordAlarmCheck(ctx, &schema.AlarmCheck{DeployID: in.DeployID, CheckID: in.CheckID, Alarm: r.Alarm,
		Kind: r.Kind, Source: in.Source, Outcome: r.Outcome, Value: r.Value, Threshold: r.Threshold, Reason: r.Detail,
		Action: r.Action, CheckedAt: a.now().UTC()}))
}

// sleepHeartbeating waits d, heartbeating every second so that a cancel arrives at once.
func (a *Activities) sleepHeartbeating(ctx context.Context, d time.Duration, state watchState) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.NewTimer(d)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-end.C:
			return nil
		case <-tick.C:
			activity.RecordHeartbeat(ctx, state)
		}
	}
}

func allZero(xs []int) bool {
	for _, x := range xs {
		if x != 0 {
			return false
		}
	}
	return true
}

// FindRollbackTarget finds the deploy an automatic rollback of the FAILING deploy returns
// to, by the same rule as the API's rollback (schema.RollbackTarget). Empty, with the
// reason, when there is none.
func (a *Activities) FindRollbackTarget(ctx context.Context, in FindRollbackTargetInput) (FindRollbackTargetResult, error) {
	failing, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return FindRollbackTargetResult{}, permanent(err)
	}
	t, err := a.Store.RollbackTarget(ctx, in.EnvName, in.StageName, failing)
	if err != nil {
		return FindRollbackTargetResult{}, permanent(err)
	}
	if t == nil {
		return FindRollbackTargetResult{}, nil
	}
	return FindRollbackTargetResult{DeployID: t.ID, BuildID: t.BuildID}, nil
}

// recordAlarmChecks counts each check by its outcome (telemetry.AlarmOK, AlarmFiring,
// AlarmInconclusive).
func (a *Activities) recordAlarmChecks(ctx context.Context, statuses []alarmcheck.Status) {
	for _, st := range statuses {
		result := telemetry.AlarmInconclusive
		switch st.Outcome {
		case core.AlarmOK:
			result = telemetry.AlarmOK
		case core.AlarmFiring:
			result = telemetry.AlarmFiring
		}
		a.metrics().AlarmChecked(ctx, result)
	}
}
