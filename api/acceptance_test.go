package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

type deployAnswer struct {
	Deploy *api.Deploy `json:"deploy"`
}

func TestAcceptanceConfigIsValidatedByField(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	for _, tc := range []struct{ body, field, msg string }{
		{`{"acceptance":{"http":[{"url":"ftp://x"}]}}`, "acceptance.http[0].url", "not an absolute http or https URL"},
		{`{"acceptance":{"http":[{"url":"http://{host}/health"}]}}`, "acceptance.http[0].url", "only a check with eachHost"},
		{`{"acceptance":{"http":[{"url":"http://x/{nope}"}]}}`, "acceptance.http[0].url", "unknown placeholder"},
		{`{"acceptance":{"http":[{"url":"http://x/","bodyRegexp":"("}]}}`, "acceptance.http[0].bodyRegexp", "not a regular expression"},
		{`{"acceptance":{"http":[{"url":"http://x/","everySeconds":10}]}}`, "acceptance.http[0].everySeconds", "give both everySeconds and forSeconds"},
		{`{"acceptance":{"http":[{"url":"http://x/","method":"DELETE"}]}}`, "acceptance.http[0].method", "not GET, HEAD, POST or PUT"},
		{`{"acceptance":{"external":{"deadlineSeconds":0}}}`, "acceptance.external.deadlineSeconds", "between 1 second and 7 days"},
		{`{"acceptance":{"bakeSeconds":-1}}`, "acceptance.bakeSeconds", "between 0 and 7 days"},
		{`{"acceptance":{"command":{"run":"make test"}}}`, "acceptance.command", "teletraan worker --allow-acceptance-commands"},
	} {
		wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", tc.body), http.StatusBadRequest, core.EINVALID, tc.field, tc.msg)
	}
	// With a worker that runs commands, the same command acceptance is saved; the config
	// history records it.
	a.deployer.mu.Lock()
	a.deployer.commandWorkers = 1
	a.deployer.mu.Unlock()
	rec := a.call(http.MethodPut, "/v1/envs/hello/prod", `{"acceptance":{"bakeSeconds":30,"command":{"run":"make test","timeoutSeconds":60},
		"http":[{"url":"http://{host}:8080/health?deploy={deploy}","eachHost":true,"everySeconds":10,"forSeconds":60,"bodyContains":"ok"}],"external":{"deadlineSeconds":3600}}}`)
	wantStatus(t, rec, http.StatusOK)
	st := decode[api.Stage](t, rec)
	if st.Acceptance == nil || st.Acceptance.BakeSeconds != 30 || len(st.Acceptance.HTTP) != 1 || st.Acceptance.Command == nil || st.Acceptance.External == nil {
		t.Fatalf("saved acceptance = %+v", st.Acceptance)
	}
	changes, err := a.store.ListConfigHistory(t.Context(), "hello", "prod", 10)
	if err != nil || len(changes) < 2 || !contains(string(changes[0].After), `"acceptance"`) {
		t.Errorf("config history does not record the acceptance: %v", err)
	}
	// An empty acceptance removes it.
	rec = a.call(http.MethodPut, "/v1/envs/hello/prod", `{"acceptance":{}}`)
	wantStatus(t, rec, http.StatusOK)
	if st := decode[api.Stage](t, rec); st.Acceptance != nil {
		t.Errorf("acceptance after {} = %+v, want none", st.Acceptance)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestExternalVerdict(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", `"acceptance":{"external":{"deadlineSeconds":600}}`)
	b := a.publishBuild("hello", "1111111")
	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	id := decode[deployAnswer](t, rec).Deploy.ID

	rec = a.call(http.MethodGet, "/v1/deploys/"+id, "")
	if got := decode[deployAnswer](t, rec).Deploy.Acceptance; got.Status != core.AcceptancePendingDeploy || got.Summary != "acceptance runs once the deploy reaches SUCCEEDING" {
		t.Errorf("acceptance before SUCCEEDING = %+v", got)
	}
	wantError(t, a.call(http.MethodPut, "/v1/deploys/"+id+"/acceptance", `{"status":"ACCEPTED"}`), http.StatusConflict, core.ECONFLICT, "", "is not waiting for a verdict")

	if _, err := a.store.SetAcceptance(t.Context(), id, core.AcceptancePendingAccept, "acceptance running: an external verdict within 10m0s", nil, "teletraan"); err != nil {
		t.Fatal(err)
	}
	wantError(t, a.call(http.MethodPut, "/v1/deploys/"+id+"/acceptance", `{"status":"MAYBE"}`), http.StatusBadRequest, core.EINVALID, "status", "use ACCEPTED or REJECTED")
	secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: "shop-op", Role: schema.RoleOperator, Scope: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, a.callWith(http.MethodPut, "/v1/deploys/"+id+"/acceptance", `{"status":"ACCEPTED"}`, http.Header{"Authorization": {"Bearer " + secret}}),
		http.StatusForbidden, core.EFORBIDDEN, "", "may act only on environment shop")
	wantStatus(t, a.call(http.MethodPut, "/v1/deploys/"+id+"/acceptance", `{"status":"accepted","reason":"smoke tests green"}`), http.StatusOK)
	rec = a.call(http.MethodGet, "/v1/deploys/"+id, "")
	got := decode[deployAnswer](t, rec).Deploy.Acceptance
	if got.Status != core.AcceptanceAccepted || got.DecidedBy != "alice" || got.DecidedAt == nil || !contains(got.Summary, "smoke tests green") {
		t.Errorf("acceptance after the verdict = %+v", got)
	}
	entries, err := a.store.ListAudit(t.Context(), schema.AuditFilter{EnvName: "hello"})
	if err != nil || len(entries) == 0 || entries[0].Route != "/v1/deploys/:id/acceptance" || entries[0].StageName != "prod" {
		t.Errorf("the verdict is not in the audit trail under hello/prod: %+v %v", entries, err)
	}
}

func TestNoAcceptanceConfigured(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "1111111")
	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	id := decode[deployAnswer](t, rec).Deploy.ID
	rec = a.call(http.MethodGet, "/v1/deploys/"+id, "")
	if got := decode[deployAnswer](t, rec).Deploy.Acceptance; got.Summary != "no acceptance configured" || got.Evidence == nil {
		t.Errorf("acceptance = %+v, want no acceptance configured", got)
	}
}
