package api_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

type deployView struct {
	Deploy      *schema.Deploy `json:"deploy"`
	Build       *schema.Build  `json:"build"`
	WorkflowURL *string        `json:"workflowUrl"`
}

func TestStartDeployAndReadItBack(t *testing.T) {
	a := newTestAPI(t)
	st := a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "abcdef1")

	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/deploys/current", ""),
		http.StatusNotFound, core.ENOTFOUND, "", "stage hello/prod has no deploy yet")

	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`","description":"first"}`)
	wantStatus(t, rec, http.StatusCreated)
	started := decode[deployView](t, rec)
	d := started.Deploy
	if d == nil || d.ID == "" {
		t.Fatalf("no deploy in %s", rec.Body)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/deploys/"+d.ID {
		t.Errorf("Location = %q, want /v1/deploys/%s", loc, d.ID)
	}
	if d.Operator != "alice" || d.Type != core.TypeRegular || d.BuildID != b.ID || d.StageID != st.ID || d.Description != "first" {
		t.Errorf("deploy = %+v, want a REGULAR deploy of %s by alice on the stage", d, b.ID)
	}
	wantURL := temporalUI + "/namespaces/default/workflows/deploy%2F" + d.ID
	if started.WorkflowURL == nil || *started.WorkflowURL != wantURL {
		t.Errorf("workflowUrl = %v, want %s", started.WorkflowURL, wantURL)
	}
	calls := a.deployer.recorded()
	if len(calls) != 1 {
		t.Fatalf("Deployer called %d times, want once", len(calls))
	}
	if c := calls[0]; c.Stage.ID != st.ID || c.Build.ID != b.ID || c.Type != core.TypeRegular || c.Operator != "alice" || c.Description != "first" {
		t.Errorf("Deployer got %+v, want stage %s, build %s, REGULAR, alice, first", c, st.ID, b.ID)
	}

	for _, path := range []string{"/v1/envs/hello/prod/deploys/current", "/v1/deploys/" + d.ID} {
		rec = a.call(http.MethodGet, path, "")
		wantStatus(t, rec, http.StatusOK)
		got := decode[deployView](t, rec)
		if got.Deploy == nil || got.Deploy.ID != d.ID || got.Build == nil || got.Build.ID != b.ID {
			t.Errorf("GET %s = %s, want deploy %s with build %s", path, rec.Body, d.ID, b.ID)
		}
		if got.WorkflowURL == nil || *got.WorkflowURL != wantURL {
			t.Errorf("GET %s workflowUrl = %v, want %s", path, got.WorkflowURL, wantURL)
		}
	}
	wantError(t, a.call(http.MethodGet, "/v1/deploys/nope", ""), http.StatusNotFound, core.ENOTFOUND, "", "deploy nope does not exist")

	rec = a.call(http.MethodGet, "/v1/envs/hello/prod/deploys", "")
	wantStatus(t, rec, http.StatusOK)
	list := decode[struct {
		Deploys []schema.Deploy `json:"deploys"`
	}](t, rec)
	if len(list.Deploys) != 1 || list.Deploys[0].ID != d.ID {
		t.Errorf("deploy list = %+v, want the one deploy", list.Deploys)
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/deploys?offset=x", ""), http.StatusBadRequest, core.EINVALID, "offset")
	for query, want := range map[string]int{"?type=regular": 1, "?type=ROLLBACK": 0, "?state=running": 1, "?state=SUCCEEDED": 0, "?type=REGULAR&state=RUNNING": 1} {
		rec = a.call(http.MethodGet, "/v1/envs/hello/prod/deploys"+query, "")
		wantStatus(t, rec, http.StatusOK)
		if got := decode[struct {
			Deploys []schema.Deploy `json:"deploys"`
		}](t, rec).Deploys; len(got) != want {
			t.Errorf("deploys%s = %d deploys, want %d", query, len(got), want)
		}
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/deploys?type=sideways", ""), http.StatusBadRequest, core.EINVALID, "type")
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/deploys?state=DONE", ""), http.StatusBadRequest, core.EINVALID, "state")
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/nope/deploys", ""), http.StatusNotFound, core.ENOTFOUND, "", "hello/nope")
}

func TestStartDeployRefusesBadRequests(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	other := a.publishBuild("other", "abcdef1")

	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+other.ID+`"}`),
		http.StatusBadRequest, core.EINVALID, "buildId", "stage hello/prod deploys builds named hello; build "+other.ID+" is named other")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"nope"}`),
		http.StatusBadRequest, core.EINVALID, "buildId", "build nope does not exist")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"description":"no build"}`),
		http.StatusBadRequest, core.EINVALID, "buildId", "is required")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"nope","dryRun":true}`),
		http.StatusBadRequest, core.EINVALID, "dryRun", "unknown field")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/nope/deploys", `{"buildId":"`+other.ID+`"}`),
		http.StatusNotFound, core.ENOTFOUND, "", "stage hello/nope does not exist")
	b := a.publishBuild("hello", "abcdef2")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`","description":"`+strings.Repeat("x", 1025)+`"}`),
		http.StatusBadRequest, core.EINVALID, "description", "limit is 1024")
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`, nil),
		http.StatusUnauthorized, core.EUNAUTHORIZED, "")

	if n := len(a.deployer.recorded()); n != 0 {
		t.Errorf("Deployer called %d times for refused requests, want 0", n)
	}
}

func TestStartDeployReportsDeployerErrors(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "abcdef1")
	body := `{"buildId":"` + b.ID + `"}`

	a.deployer.failWith(core.Errorf(core.ECONFLICT, "stage hello/prod is busy with deploy d-1; wait for it or abort it"))
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", body),
		http.StatusConflict, core.ECONFLICT, "", "stage hello/prod is busy with deploy d-1; wait for it or abort it")

	a.deployer.failWith(core.Errorf(core.EUNAVAILABLE, "Temporal is unreachable at 127.0.0.1:7233"))
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", body),
		http.StatusServiceUnavailable, core.EUNAVAILABLE, "", "Temporal is unreachable")

	a.deployer.failWith(errors.New("grpc: secret internal detail"))
	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", body)
	wantError(t, rec, http.StatusInternalServerError, core.EINTERNAL, "", "internal error", rec.Header().Get("X-Request-ID"))
	if strings.Contains(rec.Body.String(), "secret internal detail") {
		t.Errorf("internal error text leaked: %s", rec.Body)
	}
	if !strings.Contains(a.logs.String(), "secret internal detail") {
		t.Errorf("internal error was not logged; log:\n%s", a.logs)
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/deploys/current", ""), http.StatusNotFound, core.ENOTFOUND, "", "no deploy yet")
}

func TestDeployWithoutTemporalUIHasNoWorkflowURL(t *testing.T) {
	a := newTestAPI(t, func(d *api.Deps) { d.TemporalUIURL = "" })
	a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "abcdef1")
	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	if strings.Contains(rec.Body.String(), "workflowUrl") {
		t.Errorf("workflowUrl present without a Temporal UI address: %s", rec.Body)
	}
}

func TestStartDeployWithoutDeployerIsUnavailable(t *testing.T) {
	a := newTestAPI(t, func(d *api.Deps) { d.Deployer = nil })
	a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "abcdef1")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`),
		http.StatusServiceUnavailable, core.EUNAVAILABLE, "", "without a workflow layer")
}

// A build from another branch than the stage's deploys, but the answer says so.
func TestDeployOfABuildFromAnotherBranchWarns(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	rec := a.call(http.MethodPost, "/v1/builds", `{"name":"hello","artifactUrl":"https://builds.example.com/h.tar.gz","branch":"feature/x","commit":"abcdef9"}`)
	wantStatus(t, rec, http.StatusCreated)
	b := decode[schema.Build](t, rec)
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	var v struct{ Warnings []string }
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "branch feature/x, but the stage deploys main") {
		t.Fatalf("warnings = %q", v.Warnings)
	}
	main := a.publishBuild("hello", "abcdef8")
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+main.ID+`","force":true}`)
	wantStatus(t, rec, http.StatusCreated)
	if strings.Contains(rec.Body.String(), `"warnings"`) {
		t.Fatalf("a build of the stage's branch was warned about: %s", rec.Body)
	}
}
