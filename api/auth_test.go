package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestMutationsNeedAValidToken(t *testing.T) {
	a := newTestAPI(t)
	body := `{"envName":"hello","stageName":"prod"}`

	rec := a.callWith(http.MethodPost, "/v1/envs", body, nil)
	wantError(t, rec, http.StatusUnauthorized, core.EUNAUTHORIZED, "", "Authorization: Bearer <token>")
	if rec.Header().Get("WWW-Authenticate") == "" {
		t.Error("401 without a WWW-Authenticate challenge")
	}
	wantError(t, a.callWith(http.MethodPost, "/v1/envs", body, http.Header{"Authorization": {"Bearer tt_not-a-real-token"}}),
		http.StatusUnauthorized, core.EUNAUTHORIZED, "", "not valid")
	rec = a.callWith(http.MethodPost, "/v1/envs", body, http.Header{"Authorization": {a.secret}})
	e := wantError(t, rec, http.StatusUnauthorized, core.EUNAUTHORIZED, "", `"Bearer <token>"`)
	if e.Error.Message == "" || strings.Contains(rec.Body.String(), a.secret) {
		t.Errorf("a bare secret was echoed back: %s", rec.Body)
	}
	wantError(t, a.callWith(http.MethodPost, "/v1/envs", body, http.Header{"Authorization": {"Basic YWxpY2U6cHc="}}),
		http.StatusUnauthorized, core.EUNAUTHORIZED, "", "Bearer")
	if _, err := a.store.GetStage(t.Context(), "hello", "prod"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("an unauthenticated request created a stage (GetStage error %v)", err)
	}

	// Teletraan's clients send "token <secret>"; scheme names are case-insensitive.
	rec = a.callWith(http.MethodPost, "/v1/envs", body, http.Header{"Authorization": {"token " + a.secret}})
	wantStatus(t, rec, http.StatusCreated)
	if st := decode[schema.Stage](t, rec); st.LastOperator != "alice" {
		t.Errorf("lastOperator = %q, want the token's name alice", st.LastOperator)
	}
	wantStatus(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":2}`,
		http.Header{"Authorization": {"BEARER " + a.secret}}), http.StatusOK)
	wantStatus(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":3}`,
		http.Header{"Authorization": {"Token " + a.secret}}), http.StatusOK)

	// Reads need a caller too, and the refusal says how to be one in both forms.
	wantError(t, a.anonymous(http.MethodGet, "/v1/envs/hello/prod", ""), http.StatusUnauthorized, core.EUNAUTHORIZED, "",
		"needs a caller", `"Authorization: Bearer <token>"`, `"Authorization: token <token>"`, "teletraan login")
	wantStatus(t, a.get("/v1/envs/hello/prod"), http.StatusOK)
	wantStatus(t, a.callWith(http.MethodGet, "/v1/envs/hello/prod", "", http.Header{"Authorization": {"token " + a.secret}}), http.StatusOK)
}

// TestOpenReadsLetAnonymousViewersRead checks the trusted-network switch: reads answer
// without a caller, a bad credential is still refused, and changes still need a token.
func TestOpenReadsLetAnonymousViewersRead(t *testing.T) {
	a := newTestAPI(t, func(d *api.Deps) { d.OpenReads = true })
	(&board.Board{Store: a.store}).Register(a.engine)
	a.createStage("hello", "prod", "")
	wantStatus(t, a.anonymous(http.MethodGet, "/v1/envs/hello/prod", ""), http.StatusOK)
	wantStatus(t, a.anonymous(http.MethodGet, "/envs/hello/prod", ""), http.StatusOK)
	wantStatus(t, a.callWith(http.MethodGet, "/v1/envs/hello/prod", "", http.Header{"Authorization": {"Bearer nope"}}), http.StatusUnauthorized)
	wantError(t, a.anonymous(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":2}`), http.StatusUnauthorized, core.EUNAUTHORIZED, "", "Bearer")
}

func TestRouterTokenCacheKeepsARevokedTokenForItsTTL(t *testing.T) {
	a := newTestAPI(t, func(d *api.Deps) { d.TokenCacheTTL = time.Hour })
	body := `{"envName":"hello","stageName":"prod"}`
	wantStatus(t, a.call(http.MethodPost, "/v1/envs", body), http.StatusCreated)

	// A token created now works at once, though the cache has seen other tokens.
	secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: "bob", Role: schema.RoleOperator})
	if err != nil {
		t.Fatal(err)
	}
	bob := http.Header{"Authorization": {"Bearer " + secret}}
	wantStatus(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":2}`, bob), http.StatusOK)

	// Revocation reaches this router only when its cache entry goes stale (an hour here).
	if err := a.store.RevokeToken(t.Context(), "bob"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":3}`, bob), http.StatusOK)
	// Another router (replica) has not cached the token and refuses it.
	other := api.NewRouter(api.Deps{Store: a.store, TokenCacheTTL: time.Hour})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPut, "/v1/envs/hello/prod", strings.NewReader(`{"maxParallel":4}`))
	req.Header = bob.Clone()
	req.Header.Set("Content-Type", "application/json")
	other.ServeHTTP(rec, req)
	wantError(t, rec, http.StatusUnauthorized, core.EUNAUTHORIZED, "", "not valid")
}

// TestListsShowOnlyReadableEnvironments keeps a token of one environment from listing
// another's stages, and from reading its deploys by id.
func TestListsShowOnlyReadableEnvironments(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	shop := a.createStage("shop", "prod", "")
	b := a.publishBuild("shop", "abcdef1")
	if err := a.store.CreateDeploy(t.Context(), &schema.Deploy{ID: "ds", StageID: shop.ID, EnvName: "shop", StageName: "prod", BuildID: b.ID, Type: "REGULAR"}); err != nil {
		t.Fatal(err)
	}
	secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: "hello-reader", Role: schema.RoleReader, Scope: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer " + secret}}
	list := decode[struct {
		Stages []struct {
			EnvName string `json:"envName"`
		} `json:"stages"`
	}](t, a.callWith(http.MethodGet, "/v1/envs", "", h))
	if len(list.Stages) != 1 || list.Stages[0].EnvName != "hello" {
		t.Fatalf("a hello reader lists %+v, want hello's stage only", list.Stages)
	}
	wantError(t, a.callWith(http.MethodGet, "/v1/deploys/ds", "", h), http.StatusForbidden, "forbidden", "", "may act only on environment hello, not shop")
	wantStatus(t, a.get("/v1/deploys/ds"), http.StatusOK)
}
