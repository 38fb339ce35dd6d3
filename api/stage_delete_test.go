package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestDeleteStage(t *testing.T) {
	a := newTestAPI(t)
	st := a.createStage("hello", "prod", `"buildName":"hello"`)
	b := a.publishBuild("hello", "abcdef1")
	header := func(name, role, scope string) http.Header {
		t.Helper()
		secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: name, Role: role, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Authorization": {"Bearer " + secret}}
	}

	// Operators change stages but do not delete them; an admin of another env may not either.
	wantError(t, a.callWith(http.MethodDelete, "/v1/envs/hello/prod", "", header("hello-ops", schema.RoleOperator, "hello")),
		http.StatusForbidden, core.EFORBIDDEN, "", `DELETE /v1/envs/:env/:stage needs ADMIN`)
	wantError(t, a.callWith(http.MethodDelete, "/v1/envs/hello/prod", "", header("shop-admin", schema.RoleAdmin, "shop")),
		http.StatusForbidden, core.EFORBIDDEN, "", "may act only on environment shop")

	// A running deploy keeps the stage.
	wantStatus(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`), http.StatusCreated)
	wantError(t, a.call(http.MethodDelete, "/v1/envs/hello/prod", ""), http.StatusConflict, core.ECONFLICT, "", "RUNNING deploy", "abort it")
	stage, err := a.store.GetStage(context.Background(), "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.SetDeployState(context.Background(), stage.CurrentDeployID, core.StateAborted, "aborted"); err != nil {
		t.Fatal(err)
	}
	// So does a queued one.
	a.deployer.mu.Lock()
	a.deployer.queued = &api.QueuedDeploy{Queued: true, DeployID: "q1", BuildID: b.ID, Type: core.TypeRegular}
	a.deployer.mu.Unlock()
	wantError(t, a.call(http.MethodDelete, "/v1/envs/hello/prod", ""), http.StatusConflict, core.ECONFLICT, "", "queued deploy")
	a.deployer.mu.Lock()
	a.deployer.queued = nil
	a.deployer.mu.Unlock()

	// A body is not expected, and a malformed one is refused before anything is removed.
	wantError(t, a.call(http.MethodDelete, "/v1/envs/hello/prod", `{"force":`), http.StatusBadRequest, core.EINVALID, "")

	rec := a.call(http.MethodDelete, "/v1/envs/hello/prod", "")
	wantStatus(t, rec, http.StatusOK)
	if gone := decode[schema.Stage](t, rec); gone.ID != st.ID || gone.EnvName != "hello" || gone.StageName != "prod" {
		t.Fatalf("deleted stage answer %+v", gone)
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod", ""), http.StatusNotFound, core.ENOTFOUND, "")
	wantError(t, a.call(http.MethodDelete, "/v1/envs/hello/prod", ""), http.StatusNotFound, core.ENOTFOUND, "", "does not exist")
	// The deploy is still readable, and the audit trail says who deleted the stage.
	wantStatus(t, a.call(http.MethodGet, "/v1/deploys/"+stage.CurrentDeployID, ""), http.StatusOK)
	var who []string
	if err := a.store.DB().NewSelect().Model((*schema.ConfigChange)(nil)).Column("operator").
		Where("stage_id = ? AND change_type = ?", st.ID, schema.HistoryStageDeleted).Scan(context.Background(), &who); err != nil {
		t.Fatal(err)
	}
	if len(who) != 1 || who[0] != "alice" {
		t.Fatalf("deletion recorded for %v, want alice", who)
	}
}
