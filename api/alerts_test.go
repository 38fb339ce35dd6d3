package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Alert intake with the stage's own secret instead of a token: a wrong or missing secret is
// 401; the right one acts on the current deploy (FAIL by default) and records the alert and
// the acting check; markbadbuild tags the deploy's build BAD.
func TestAlertsWithTheStageSecretActAndMarkTheBuildBad(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", `"alarmPolicy":{"alertSecret":"s3cret-0123456789abcdef"}`)
	b := a.publishBuild("hello", "abcdef1")
	wantStatus(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`), http.StatusCreated)
	body := `{"name":"errors","status":"firing","summary":"5xx rate 7%","startsAt":"` + time.Now().UTC().Format(time.RFC3339) + `"}`

	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/alerts?secret=wrong", body, nil), http.StatusUnauthorized, core.EUNAUTHORIZED, "")
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/alerts", body, nil), http.StatusUnauthorized, core.EUNAUTHORIZED, "")
	rec := a.callWith(http.MethodPost, "/v1/envs/hello/prod/alerts?actions=markbadbuild", body,
		http.Header{"X-Teletraan-Alert-Secret": {"s3cret-0123456789abcdef"}})
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"action":"FAIL"`) || !strings.Contains(rec.Body.String(), "tagged BAD") {
		t.Fatalf("answer = %s, want FAIL and the build tagged BAD", rec.Body)
	}
	if len(a.deployer.alerts) != 1 || a.deployer.alerts[0].Action != core.FiringFail || !strings.Contains(a.deployer.alerts[0].Detail, "alert-secret:hello/prod") {
		t.Errorf("alerts sent to the deploy = %+v", a.deployer.alerts)
	}
	st, _ := a.store.GetStage(context.Background(), "hello", "prod")
	checks, _ := a.store.ListAlarmChecks(context.Background(), st.CurrentDeployID)
	if len(checks) != 1 || checks[0].Kind != "ALERT" || checks[0].Alarm != "errors" {
		t.Errorf("checks on the deploy = %+v, want the alert", checks)
	}
	tags, err := a.store.ListBuildTags(context.Background(), b.ID)
	if err != nil || len(tags) != 1 || tags[0].Value != core.TagBad {
		t.Errorf("build tags = %+v, %v; want BAD", tags, err)
	}
	// Bad input says what is wrong.
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/alerts", `{"alerts":[{"status":"firing","labels":{}}]}`), http.StatusBadRequest, core.EINVALID, "alerts[0].labels.alertname")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/alerts?actions=reboot", body), http.StatusBadRequest, core.EINVALID, "actions")
	// A token of another role may not post alerts.
	pub, _, _ := a.store.CreateToken(context.Background(), schema.TokenSpec{Name: "ci", Role: schema.RolePublisher})
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/alerts", body, http.Header{"Authorization": {"Bearer " + pub}}), http.StatusForbidden, core.EFORBIDDEN, "")
}
