package activities_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

func TestCheckAlarms(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"firing": false}`)) })
	mux.HandleFunc("/plain", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK")) })
	mux.HandleFunc("/status", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.HandleFunc("/json", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"firing": true, "message": "5xx rate 7%"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{})
	in := activities.CheckAlarmsInput{DeployID: "d1", Alarms: []activities.Alarm{
		{Name: "ok", URL: srv.URL + "/ok"},
		{Name: "plain", URL: srv.URL + "/plain"},
		{Name: "status", URL: srv.URL + "/status"},
		{Name: "json", URL: srv.URL + "/json"},
		{Name: "unreachable", URL: goneURL + "/x"},
	}}
	v, err := env.ExecuteActivity(acts.CheckAlarms, in)
	if err != nil {
		t.Fatal(err)
	}
	var res activities.CheckAlarmsResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		firing bool
		detail string
	}{
		{false, ""},
		{false, ""},
		{true, "answered HTTP 503"},
		{true, `reports {"firing": true}`},
		{true, "unreachable: "},
	}
	if len(res.Alarms) != len(want) {
		t.Fatalf("statuses = %+v, want %d", res.Alarms, len(want))
	}
	for i, w := range want {
		got := res.Alarms[i]
		if got.Name != in.Alarms[i].Name || got.Firing != w.firing || (w.detail == "" && got.Detail != "") || !strings.Contains(got.Detail, w.detail) {
			t.Errorf("alarm %s: %+v, want firing %v with detail containing %q", in.Alarms[i].Name, got, w.firing, w.detail)
		}
	}
	if why := workflows.FiringAlarmReason(res.Alarms); !strings.HasPrefix(why, "alarm status is firing: ") {
		t.Errorf("reason = %q, want the first firing alarm named", why)
	}
}

func TestFindRollbackTarget(t *testing.T) {
	st, stage, env := setup(t)
	ctx := context.Background()
	deploy := func(id, build, state string) {
		t.Helper()
		d := &schema.Deploy{ID: id, StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: build, Type: core.TypeRegular, Operator: "alice", WorkflowID: "deploy/" + id}
		if err := st.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetDeployState(ctx, id, state, "test"); err != nil {
			t.Fatal(err)
		}
	}
	find := func(failing string) activities.FindRollbackTargetResult {
		t.Helper()
		v, err := env.ExecuteActivity(acts.FindRollbackTarget, activities.FindRollbackTargetInput{StageID: stage.ID, EnvName: "hello", StageName: "prod", DeployID: failing})
		if err != nil {
			t.Fatal(err)
		}
		var res activities.FindRollbackTargetResult
		if err := v.Get(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}

	deploy("d1", "b1", core.StateFailing)
	if got := find("d1"); got != (activities.FindRollbackTargetResult{}) {
		t.Errorf("first deploy failing: target %+v, want none", got)
	}
	deploy("d2", "b2", core.StateSucceeded)
	deploy("d3", "b2", core.StateAborted)
	deploy("d4", "b3", core.StateFailing)
	if got := find("d4"); got.DeployID != "d2" || got.BuildID != "b2" {
		t.Errorf("target = %+v, want d2 (b2)", got)
	}
	deploy("d5", "b2", core.StateFailing)
	if got := find("d5"); got != (activities.FindRollbackTargetResult{}) {
		t.Errorf("failing build b2 has no other good build: target %+v, want none", got)
	}
}
