package activities

import (
	"context"
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// CheckAlarms GETs every alarm at once and reports each one's status in input order. An
// alarm is firing when it answers non-2xx, or 2xx with a JSON body {"firing": true}; one
// that cannot be reached counts as firing, since a deploy must not widen blind.
func (a *Activities) CheckAlarms(ctx context.Context, in CheckAlarmsInput) (CheckAlarmsResult, error) {
	alarms := make([]alarmcheck.Alarm, len(in.Alarms))
	for i, al := range in.Alarms {
		alarms[i] = alarmcheck.Alarm{Name: al.Name, URL: al.URL}
	}
	statuses := alarmcheck.CheckAll(ctx, a.HTTPClient, alarms)
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
		out[i] = AlarmStatus{Name: st.Name, Firing: st.Firing, Detail: st.Detail}
		result := telemetry.AlarmOK
		if st.Firing {
			result = telemetry.AlarmFiring
		}
		a.metrics().AlarmChecked(ctx, result)
	}
	return CheckAlarmsResult{Alarms: out}, nil
}

// FindRollbackTarget finds the deploy an automatic rollback of the FAILING deploy returns
// to, by the same rule as the API's rollback: the newest SUCCEEDED deploy of another build
// among the stage's latest, skipping builds tagged BAD and REJECTED deploys. Empty when
// there is none.
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
