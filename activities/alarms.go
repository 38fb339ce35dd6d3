package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// AlarmTimeout bounds one alarm check: an alarm that does not answer in time counts as
// firing, so a slow endpoint holds a wave back by this much at most.
const AlarmTimeout = 5 * time.Second

// maxAlarmBody is how much of an alarm's answer is read; {"firing": true} is short.
const maxAlarmBody = 64 << 10

func (a *Activities) httpClient() *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return http.DefaultClient
}

// CheckAlarms GETs every alarm at once and reports each one's status in input order. An
// alarm is firing when it answers non-2xx, or 2xx with a JSON body {"firing": true}; one
// that cannot be reached counts as firing, since a deploy must not widen blind.
func (a *Activities) CheckAlarms(ctx context.Context, in workflows.CheckAlarmsInput) (workflows.CheckAlarmsResult, error) {
	out := make([]workflows.AlarmStatus, len(in.Alarms))
	var wg sync.WaitGroup
	for i, al := range in.Alarms {
		wg.Go(func() {
			firing, detail := a.checkAlarm(ctx, al.URL)
			out[i] = workflows.AlarmStatus{Name: al.Name, Firing: firing, Detail: detail}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		// Cancelled or timed out as a whole: the statuses say "unreachable" for the wrong
		// reason, so let Temporal decide (retry or cancel) instead.
		return workflows.CheckAlarmsResult{}, fmt.Errorf("check alarms of deploy %s: %w", in.DeployID, err)
	}
	return workflows.CheckAlarmsResult{Alarms: out}, nil
}

// checkAlarm reports whether the alarm at url fires and, if so, why.
func (a *Activities) checkAlarm(ctx context.Context, url string) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, AlarmTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return true, fmt.Sprintf("unreachable: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.httpClient().Do(req)
	if err != nil {
		return true, fmt.Sprintf("unreachable: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAlarmBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return true, fmt.Sprintf("%s answered HTTP %d", url, resp.StatusCode)
	}
	if err != nil {
		return true, fmt.Sprintf("unreachable: reading the answer: %v", err)
	}
	var v struct {
		Firing bool `json:"firing"`
	}
	// A 2xx body that is not JSON (a plain "OK") is a healthy answer.
	if json.Unmarshal(body, &v) == nil && v.Firing {
		return true, fmt.Sprintf("%s reports {\"firing\": true}", url)
	}
	return false, ""
}

// FindRollbackTarget finds the deploy an automatic rollback of the FAILING deploy returns
// to, by the same rule as the API's rollback: the newest SUCCEEDED deploy of another build
// among the stage's latest. Empty when there is none.
func (a *Activities) FindRollbackTarget(ctx context.Context, in workflows.FindRollbackTargetInput) (workflows.FindRollbackTargetResult, error) {
	failing, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return workflows.FindRollbackTargetResult{}, permanent(err)
	}
	history, err := a.Store.ListDeploys(ctx, in.EnvName, in.StageName, schema.DeployFilter{Limit: schema.RollbackSearchDepth})
	if err != nil {
		return workflows.FindRollbackTargetResult{}, permanent(err)
	}
	t := schema.RollbackTarget(history, failing)
	if t == nil {
		return workflows.FindRollbackTargetResult{}, nil
	}
	return workflows.FindRollbackTargetResult{DeployID: t.ID, BuildID: t.BuildID}, nil
}
