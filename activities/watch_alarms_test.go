package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// watchFixture is stage hello/prod with deploy d1 and one HTTP alarm whose answers the
// test scripts, one per check.
type watchFixture struct {
	st     *schema.Store
	stage  *schema.Stage
	env    *testsuite.TestActivityEnvironment
	checks atomic.Int32
}

func newWatchFixture(t *testing.T, answers []int, policy schema.AlarmPolicy) *watchFixture {
	t.Helper()
	st, stage, env := setup(t)
	f := &watchFixture{st: st, stage: stage, env: env}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := int(f.checks.Add(1)) - 1
		code := answers[min(n, len(answers)-1)]
		if code == 0 { // inconclusive: the connection is dropped
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			_ = c.Close()
			return
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"reason": "p99 latency 2.3s > 1s"}`))
	}))
	t.Cleanup(srv.Close)
	policy.IntervalSeconds = 1
	if _, err := st.UpdateStageConfig(context.Background(), "hello", "prod", func(c *schema.StageConfig) {
		c.Alarms = []schema.Alarm{{Name: "latency", URL: srv.URL + "/latency"}}
		c.AlarmPolicy = policy
	}, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDeploy(context.Background(), &schema.Deploy{ID: "d1", StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *watchFixture) watch(t *testing.T, untilClear bool) activities.WatchAlarmsResult {
	t.Helper()
	v, err := f.env.ExecuteActivity(acts.WatchAlarms, activities.WatchAlarmsInput{DeployID: "d1", StageID: f.stage.ID, EnvName: "hello",
		StageName: "prod", BuildID: "b1", Source: activities.GuardInFlight, UntilClear: untilClear})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.WatchAlarmsResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// failureLimit: two firing checks then a clear one do not act under a limit of 3; three
// in a row do, and the acting check is recorded on the deploy with the alarm's reason.
func TestWatchAlarmsActsAfterFailureLimitConsecutiveFirings(t *testing.T) {
	f := newWatchFixture(t, []int{503, 503, 200, 503, 503, 503}, schema.AlarmPolicy{FailureLimit: 3, OnFiring: core.FiringPause})
	res := f.watch(t, false)
	if !res.Acted || res.Checks != 6 || res.Action != core.FiringPause || res.Alarm != "latency" {
		t.Fatalf("watch = %+v, want it to act on the sixth check (the third firing in a row) with PAUSE", res)
	}
	if !strings.Contains(res.Detail, "answered HTTP 503: p99 latency 2.3s > 1s") {
		t.Errorf("detail = %q, want the alarm's own reason", res.Detail)
	}
	if _, err := f.env.ExecuteActivity(acts.RecordAlarmCheck, activities.RecordAlarmCheckInput{DeployID: "d1", CheckID: "run/1", Source: activities.GuardInFlight, Result: res}); err != nil {
		t.Fatal(err)
	}
	checks, err := f.st.ListAlarmChecks(context.Background(), "d1")
	if err != nil || len(checks) != 1 || checks[0].Alarm != "latency" || checks[0].Action != core.FiringPause || checks[0].Source != activities.GuardInFlight {
		t.Fatalf("recorded checks = %+v, %v; want the acting one", checks, err)
	}
}

// Before a wave the watch returns as soon as the alarm is clear.
func TestWatchAlarmsUntilClearReturnsOnAClearCheck(t *testing.T) {
	f := newWatchFixture(t, []int{503, 200}, schema.AlarmPolicy{FailureLimit: 2})
	if res := f.watch(t, true); res.Acted || res.Checks != 2 {
		t.Fatalf("watch = %+v, want clear after the second check", res)
	}
}

// An unreachable alarm is inconclusive: it counts as firing by default, and not at all
// under IGNORE.
func TestWatchAlarmsInconclusive(t *testing.T) {
	f := newWatchFixture(t, []int{0}, schema.AlarmPolicy{})
	if res := f.watch(t, false); !res.Acted || res.Outcome != core.AlarmInconclusive || res.Checks != 1 {
		t.Fatalf("watch = %+v, want the inconclusive check to act at once", res)
	}
	g := newWatchFixture(t, []int{0, 0, 200}, schema.AlarmPolicy{OnInconclusive: core.InconclusiveIgnore})
	if res := g.watch(t, true); res.Acted || res.Checks != 1 {
		// An ignored inconclusive check leaves every streak at zero: clear for a wave.
		t.Fatalf("watch = %+v, want an ignored inconclusive check not to hold the wave", res)
	}
}
