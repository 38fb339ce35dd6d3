package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestPromoteDeploysTheCurrentBuildToAnotherStage(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	a.createStage("hello", "staging", `"buildName":"hello"`)
	a.createStage("hello", "prod", `"buildName":"hello"`)
	a.createStage("hello", "other", `"buildName":"other"`)
	promote := func(body string) *http.Response {
		return a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", body).Result()
	}
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"prod"}`), http.StatusConflict, core.ECONFLICT, "", "never been deployed")

	rec := a.call(http.MethodPost, "/v1/envs/hello/staging/deploys", `{"buildId":"`+a.publishBuild("hello", "abcdef1").ID+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	staged := decode[deployView](t, rec).Deploy

	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{}`), http.StatusBadRequest, core.EINVALID, "toStage", "is required")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"staging"}`), http.StatusBadRequest, core.EINVALID, "toStage", "itself")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"nope"}`), http.StatusBadRequest, core.EINVALID, "toStage", "hello/nope does not exist")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"../x"}`), http.StatusBadRequest, core.EINVALID, "toStage", "not a valid name")
	// Still RUNNING on staging: refused unless asked for explicitly.
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"prod"}`), http.StatusConflict, core.ECONFLICT, "",
		"deploy "+staged.ID+" is RUNNING, not SUCCEEDED", "allowUnsucceeded")

	if _, err := a.store.SetDeployState(ctx, staged.ID, core.StateSucceeded, "all hosts serve the build"); err != nil {
		t.Fatal(err)
	}
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"other"}`), http.StatusBadRequest, core.EINVALID, "toStage", "deploys builds named other")

	rec = a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"prod"}`)
	wantStatus(t, rec, http.StatusCreated)
	got := decode[deployView](t, rec).Deploy
	if got.StageName != "prod" || got.BuildID != staged.BuildID || got.Type != core.TypeRegular || got.Operator != "alice" ||
		got.Description != "promoted from hello/staging (deploy "+staged.ID+")" {
		t.Errorf("promoted deploy = %+v", got)
	}

	// A rejected acceptance blocks the promote like an unfinished deploy does.
	if _, err := a.store.DB().NewUpdate().Model((*schema.Deploy)(nil)).Set("acceptance_status = ?", core.AcceptanceRejected).
		Where("id = ?", staged.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/staging/actions/promote", `{"toStage":"prod"}`), http.StatusConflict, core.ECONFLICT, "", "rejected by its acceptance test")
	if r := promote(`{"toStage":"prod","allowUnsucceeded":true,"description":"ship it"}`); r.StatusCode != http.StatusCreated {
		t.Fatalf("promote with allowUnsucceeded: HTTP %d", r.StatusCode)
	}
	calls := a.deployer.recorded()
	if last := calls[len(calls)-1]; last.Stage.StageName != "prod" || last.Description != "ship it" {
		t.Errorf("last start = %+v", last)
	}
}
