package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestTokensActOnlyWithinTheirRoleAndScope(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "abcdef1")
	header := func(name, role, scope string) http.Header {
		t.Helper()
		secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: name, Role: role, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Authorization": {"Bearer " + secret}}
	}
	pinger := header("hosts", schema.RolePinger, "*")
	reader := header("viewer", schema.RoleReader, "*")
	shopOps := header("shop-ops", schema.RoleOperator, "shop")
	helloOps := header("hello-ops", schema.RoleOperator, "hello")
	ci := header("ci", schema.RolePublisher, "*")
	deploy := `{"buildId":"` + b.ID + `"}`

	// The token every host holds cannot start a deploy, change a stage or publish a build.
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/deploys", deploy, pinger), http.StatusForbidden, core.EFORBIDDEN, "",
		`token "hosts" has role PINGER; POST /v1/envs/:env/:stage/deploys needs OPERATOR or above`)
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/actions/rollback", "", pinger), http.StatusForbidden, core.EFORBIDDEN, "")
	wantError(t, a.callWith(http.MethodPost, "/v1/builds", `{"name":"hello","artifactUrl":"https://x/y.tgz"}`, pinger), http.StatusForbidden, core.EFORBIDDEN, "", "needs PUBLISHER")
	wantError(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":3}`, reader), http.StatusForbidden, core.EFORBIDDEN, "", "has role READER")
	// CI publishes but does not deploy.
	wantStatus(t, a.callWith(http.MethodPost, "/v1/builds", `{"name":"hello","artifactUrl":"https://builds.example.com/h.tgz","commit":"abcdef2"}`, ci), http.StatusCreated)
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/deploys", deploy, ci), http.StatusForbidden, core.EFORBIDDEN, "", "needs OPERATOR")
	// An operator of another environment may neither act here nor create stages here.
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/deploys", deploy, shopOps), http.StatusForbidden, core.EFORBIDDEN, "",
		`token "shop-ops" may act only on environment shop, not hello`)
	wantError(t, a.callWith(http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"canary"}`, shopOps), http.StatusForbidden, core.EFORBIDDEN, "", "only on environment shop")
	wantStatus(t, a.callWith(http.MethodPost, "/v1/envs", `{"envName":"shop","stageName":"prod"}`, shopOps), http.StatusCreated)
	// The operator of this environment may.
	rec := a.callWith(http.MethodPost, "/v1/envs/hello/prod/deploys", deploy, helloOps)
	wantStatus(t, rec, http.StatusCreated)
	if d := decode[deployView](t, rec).Deploy; d.Operator != "hello-ops" {
		t.Errorf("operator = %q", d.Operator)
	}
	if n := len(a.deployer.recorded()); n != 1 {
		t.Errorf("%d deploys started, want only hello-ops' one", n)
	}
}

func TestWhoAmIDescribesTheToken(t *testing.T) {
	a := newTestAPI(t)
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: "hello-ops", Role: schema.RoleOperator, Scope: "hello", ExpiresAt: &expires})
	if err != nil {
		t.Fatal(err)
	}
	type view struct {
		Name, Role, Scope, ExpiresAt string
		CanOperate, CanPublish       bool
	}
	rec := a.callWith(http.MethodGet, "/v1/auth/token", "", http.Header{"Authorization": {"Bearer " + secret}})
	wantStatus(t, rec, http.StatusOK)
	if got := decode[view](t, rec); got != (view{Name: "hello-ops", Role: "OPERATOR", Scope: "hello", ExpiresAt: "2030-01-02T03:04:05Z", CanOperate: true, CanPublish: true}) {
		t.Errorf("whoami = %+v", got)
	}
	pinger, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: "hosts", Role: schema.RolePinger})
	if err != nil {
		t.Fatal(err)
	}
	rec = a.callWith(http.MethodGet, "/v1/auth/token", "", http.Header{"Authorization": {"token " + pinger}})
	if got := decode[view](t, rec); got.Role != "PINGER" || got.Scope != "*" || got.CanOperate || got.CanPublish {
		t.Errorf("whoami of a pinger = %+v", got)
	}
	wantError(t, a.callWith(http.MethodGet, "/v1/auth/token", "", nil), http.StatusUnauthorized, core.EUNAUTHORIZED, "")
	wantError(t, a.callWith(http.MethodGet, "/v1/auth/token", "", http.Header{"Authorization": {"Bearer tt_nope"}}), http.StatusUnauthorized, core.EUNAUTHORIZED, "")
}
