package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// auditEntries is the body of GET /v1/audit, as far as these tests read it.
type auditEntries struct {
	Entries []struct {
		Actor, Role, Method, Route, Path, EnvName, StageName, ErrorCode, RequestID string
		Status                                                                     int
	}
}

func TestAuditTrailRecordsEveryCallThatAskedToChangeSomething(t *testing.T) {
	a := newPingAPI(t)
	token := func(name, role, scope string) http.Header {
		secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: name, Role: role, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Authorization": {"Bearer " + secret}}
	}
	reader, other := token("viewer", schema.RoleReader, "*"), token("other-ops", schema.RoleOperator, "other")

	a.pingStage("")      // POST /v1/envs and PUT capacity, as alice
	a.pingAs(pingJSON()) // a ping: not audited
	wantStatus(t, a.callWith(http.MethodPost, "/v1/envs/web/prod/actions/pause", "", nil), http.StatusUnauthorized)
	wantStatus(t, a.callWith(http.MethodPut, "/v1/envs/web/prod", `{"description":"x"}`, reader), http.StatusForbidden)

	// Reading the trail needs an operator.
	wantError(t, a.callWith(http.MethodGet, "/v1/audit", "", nil), http.StatusUnauthorized, core.EUNAUTHORIZED, "")
	wantError(t, a.callWith(http.MethodGet, "/v1/audit", "", reader), http.StatusForbidden, core.EFORBIDDEN, "", "needs OPERATOR")

	rec := a.call(http.MethodGet, "/v1/audit", "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[auditEntries](t, rec).Entries
	if len(got) != 4 {
		t.Fatalf("audit trail has %d entries, want 4 (create, capacity, refused pause, refused update): %+v", len(got), got)
	}
	// Newest first; a refused call is recorded, with whoever its token was.
	if e := got[0]; e.Actor != "viewer" || e.Role != schema.RoleReader || e.Method != http.MethodPut || e.Status != http.StatusForbidden || e.ErrorCode != core.EFORBIDDEN {
		t.Errorf("refused update entry = %+v, want viewer's 403", e)
	}
	if e := got[1]; e.Actor != "" || e.Route != "/v1/envs/:env/:stage/actions/:action" || e.Status != http.StatusUnauthorized ||
		e.ErrorCode != core.EUNAUTHORIZED || e.EnvName != "web" || e.StageName != "prod" || e.RequestID == "" {
		t.Errorf("unauthenticated pause entry = %+v", e)
	}
	if e := got[3]; e.Actor != "alice" || e.Role != schema.RoleAdmin || e.Method != http.MethodPost || e.Path != "/v1/envs" || e.Status != http.StatusCreated || e.ErrorCode != "" {
		t.Errorf("stage creation entry = %+v", e)
	}
	for _, e := range got {
		if e.Route == "/v1/system/ping" {
			t.Errorf("a ping was audited: %+v", e)
		}
	}

	// Filters.
	if n := len(decode[auditEntries](t, a.call(http.MethodGet, "/v1/audit?actor=alice", "")).Entries); n != 2 {
		t.Errorf("actor=alice: %d entries, want 2", n)
	}
	if n := len(decode[auditEntries](t, a.call(http.MethodGet, "/v1/audit?env=web&stage=prod", "")).Entries); n != 4 {
		t.Errorf("env=web&stage=prod: %d entries, want 4 (creation, capacity, pause, update)", n)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if n := len(decode[auditEntries](t, a.call(http.MethodGet, "/v1/audit?since="+future, "")).Entries); n != 0 {
		t.Errorf("since the future: %d entries", n)
	}
	wantError(t, a.call(http.MethodGet, "/v1/audit?since=yesterday", ""), http.StatusBadRequest, core.EINVALID, "since", "RFC 3339")
	wantError(t, a.call(http.MethodGet, "/v1/audit?stage=prod", ""), http.StatusBadRequest, core.EINVALID, "stage", "needs env")

	// A token scoped to one environment reads only that one.
	wantError(t, a.callWith(http.MethodGet, "/v1/audit", "", other), http.StatusForbidden, core.EFORBIDDEN, "", "add env=other")
	rec = a.callWith(http.MethodGet, "/v1/audit?env=other", "", other)
	wantStatus(t, rec, http.StatusOK)
	if n := len(decode[auditEntries](t, rec).Entries); n != 0 {
		t.Errorf("env=other: %d entries, want none", n)
	}
}
