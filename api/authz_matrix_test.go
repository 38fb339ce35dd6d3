package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// access is what the matrix expects a route to ask of its caller, written out here rather
// than read from the router's rules, so that a changed rule must change this table too.
type access struct {
	// open routes answer anyone, even a request with a bad token.
	open bool
	// anyCaller routes answer every valid caller and refuse the rest with 401.
	anyCaller bool
	// page routes are the board's: without a caller a browser is sent to /login (303);
	// every caller with a role that reads is admitted.
	page bool
	// roles are the roles admitted; every other role is refused with 403.
	roles []string
	// scoped routes act on one environment: a caller whose role is in another is refused.
	scoped bool
	// global routes name no environment and need a person's role in every environment
	// (tokens keep their role whatever their scope).
	global bool
	// tokensOnly routes refuse every person, whatever their role: hosts' pings.
	tokensOnly bool
	// body is sent instead of "{}", and query is appended to the path.
	body, query string
	// build routes name a build by :id, not a deploy: the matrix's published build.
	build bool
}

var (
	pingers    = []string{schema.RolePinger, schema.RoleOperator, schema.RoleAdmin}
	publishers = []string{schema.RolePublisher, schema.RoleOperator, schema.RoleAdmin}
	readers    = []string{schema.RoleReader, schema.RolePublisher, schema.RoleOperator, schema.RoleAdmin}
	operators  = []string{schema.RoleOperator, schema.RoleAdmin}
	admins     = []string{schema.RoleAdmin}
	alerters   = []string{schema.RoleAlerter, schema.RoleOperator, schema.RoleAdmin}
	open       = access{open: true}
	envRead    = access{roles: readers, scoped: true}
	read       = access{roles: readers}
	page       = access{page: true}
	// signIn routes answer anyone and say in their answer whether the sign-in held.
	signIn = access{open: true}
)

// expectedAccess has a row for every route of the API and the board. A route added
// without a row fails TestAuthorizationMatrix: whoever adds it must say who may call it.
var expectedAccess = map[string]access{
	"GET /healthz":                                          open,
	"GET /metrics":                                          open,
	"GET /v1/auth/config":                                   open,
	"POST /auth/token":                                      signIn,
	"POST /auth/logout":                                     signIn,
	"GET /auth/oidc/login":                                  signIn,
	"GET /auth/oidc/callback":                               signIn,
	"GET /auth/dev":                                         signIn,
	"GET /v1/openapi.json":                                  {anyCaller: true},
	"GET /v1/auth/token":                                    {anyCaller: true},
	"GET /v1/envs":                                          read,
	"GET /v1/envs/:env":                                     envRead,
	"GET /v1/envs/:env/:stage":                              envRead,
	"GET /v1/envs/:env/:stage/history":                      envRead,
	"GET /v1/envs/:env/:stage/capacity":                     envRead,
	"GET /v1/envs/:env/:stage/hosts":                        envRead,
	"GET /v1/envs/:env/:stage/alarms":                       envRead,
	"GET /v1/envs/:env/:stage/rollback-target":              envRead,
	"GET /v1/envs/:env/:stage/alerts":                       envRead,
	"GET /v1/envs/:env/:stage/deploys":                      envRead,
	"GET /v1/envs/:env/:stage/deploys/current":              envRead,
	"GET /v1/envs/:env/:stage/queue":                        envRead,
	"GET /v1/deploys/:id":                                   envRead, // the deploy's environment
	"GET /v1/deploys/:id/hosts":                             envRead, // the deploy's environment
	"GET /v1/builds":                                        read,
	"GET /v1/builds/:id":                                    read,
	"PUT /v1/deploys/:id/acceptance":                        {roles: operators, scoped: true, body: `{"status":"ACCEPTED"}`}, // the deploy's environment
	"GET /v1/builds/:id/tags":                               {roles: readers, build: true},
	"POST /v1/builds/:id/tags":                              {roles: operators, scoped: true, build: true, body: `{"value":"GOOD"}`},          // builds a stage of the caller's environments deploys
	"GET /v1/audit":                                         {roles: operators, scoped: true, query: "?env=hello"},                            // the environment named by env=
	"POST /v1/envs":                                         {roles: operators, scoped: true, body: `{"envName":"hello","stageName":"prod"}`}, // the body's environment
	"PUT /v1/envs/:env/:stage":                              {roles: operators, scoped: true},
	"DELETE /v1/envs/:env/:stage":                           {roles: admins, scoped: true},
	"PUT /v1/envs/:env/:stage/capacity":                     {roles: operators, scoped: true, body: `{"hosts":"not a list"}`},
	"POST /v1/envs/:env/:stage/deploys":                     {roles: operators, scoped: true},
	"POST /v1/envs/:env/:stage/actions/:action":             {roles: operators, scoped: true},
	"POST /v1/envs/:env/:stage/hosts/:host/actions/:action": {roles: operators, scoped: true},
	"POST /v1/envs/:env/:stage/stop":                        {roles: operators, scoped: true},
	"POST /v1/envs/:env/:stage/alerts":                      {roles: alerters, scoped: true, body: `{"name":"x","status":"resolved"}`},
	"POST /v1/builds":                                       {roles: publishers},
	"POST /v1/system/ping":                                  {roles: pingers, tokensOnly: true},
	"POST /v1/hosts/:host/actions/reset-identity":           {roles: admins, global: true},

	// The board's pages.
	"GET /":                                page,
	"GET /envs/:env/:stage":                {page: true, scoped: true},
	"GET /envs/:env/:stage/config":         {page: true, scoped: true},
	"GET /envs/:env/:stage/config/history": {page: true, scoped: true},
	"GET /envs/:env/:stage/deploys":        {page: true, scoped: true},
	"GET /envs/:env/:stage/hosts":          {page: true, scoped: true},
	"GET /envs/:env/:stage/builds":         {page: true, scoped: true},
	"GET /envs/:env/:stage/builds/compare": {page: true, scoped: true},
	"GET /hosts/:host":                     page,
	"GET /deploys/:id":                     {page: true, scoped: true}, // the deploy's environment
	"GET /audit":                           page,
	"GET /login":                           open,
	"GET /static/*filepath":                open,
	"HEAD /static/*filepath":               open,
	"GET /favicon.ico":                     open,
}

// caller is one column of the matrix: a token, a signed-in person, or nobody.
type caller struct {
	name string
	// role is the caller's role ("" for none); scope the one environment it holds in, or "*".
	role, scope string
	person      bool
	header      http.Header
}

// want is the status class the matrix expects: 401, 403, 303 (to the sign-in page), or
// 0 for "admitted" (the handler ran: any answer that is neither 401, 403, 303 nor a 5xx).
func (a access) want(c caller) int {
	switch {
	case a.open:
		return 0
	case c.role == "" && a.page:
		return http.StatusSeeOther
	case c.role == "":
		return http.StatusUnauthorized
	case a.anyCaller:
		return 0
	case a.page:
		if c.role == schema.RolePinger || (a.scoped && c.scope != "*") {
			return http.StatusForbidden
		}
		return 0
	}
	admitted := false
	for _, r := range a.roles {
		admitted = admitted || r == c.role
	}
	if !admitted || (a.scoped && c.scope != "*") || (a.global && c.person && c.scope != "*") || (a.tokensOnly && c.person) {
		return http.StatusForbidden
	}
	return 0
}

// matrixParams fill the routes' path parameters with names that exist in the matrix's store.
var matrixParams = map[string]string{":env": "hello", ":stage": "prod", ":id": "d1", ":host": "h1", ":action": "pause", "*filepath": "board.css"}

// matrixRoles maps the people's groups the way a server's role mapping would.
var matrixRoles = api.RoleMapping{Rules: []api.RoleRule{
	{Group: "viewers", Role: schema.RoleReader},
	{Group: "deployers", Role: schema.RoleOperator},
	{Group: "platform", Role: schema.RoleAdmin},
	{Group: "shop-team", Role: schema.RoleOperator, Envs: []string{"shop"}},
}}

// TestAuthorizationMatrix asks every route the router and the board list as every kind
// of caller (tokens of each role, people signed in with each mapped role, nobody) and
// checks each answer against expectedAccess: every read needs a caller, every change the
// right role in the right environment, every board page a session.
func TestAuthorizationMatrix(t *testing.T) {
	a := newTestAPI(t, func(d *api.Deps) {
		d.People.Roles = matrixRoles
		// Every sign-in route is registered; the provider is not there, which they must
		// answer without admitting anyone.
		d.People.OIDC = &api.OIDCConfig{Issuer: "http://127.0.0.1:1", ClientID: "board", RedirectURL: "http://127.0.0.1:1/auth/oidc/callback"}
		d.People.DevLoginKey, d.People.DevUser = "matrix-dev-key", "dev@localhost"
	})
	(&board.Board{Store: a.store, MayRead: api.MayReadEnv}).Register(a.engine)
	stage := a.createStage("hello", "prod", "")
	published := a.publishBuild("hello", "abcdef1")
	if err := a.store.CreateDeploy(t.Context(), &schema.Deploy{ID: "d1", StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: published.ID, Type: "REGULAR"}); err != nil {
		t.Fatal(err)
	}
	token := func(name, role, scope string) caller {
		t.Helper()
		secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: name, Role: role, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		return caller{name: name, role: role, scope: scope, header: http.Header{"Authorization": {"Bearer " + secret}}}
	}
	person := func(name, role, scope, group string) caller {
		return caller{name: name, role: role, scope: scope, person: true, header: a.signIn(name+"@example.com", group)}
	}
	callers := []caller{
		{name: "no token", header: http.Header{}},
		{name: "bad token", header: http.Header{"Authorization": {"Bearer not-a-token"}}},
		token("reader", schema.RoleReader, "*"),
		token("publisher", schema.RolePublisher, "*"),
		token("pinger", schema.RolePinger, "*"),
		token("operator-of-shop", schema.RoleOperator, "shop"),
		token("operator", schema.RoleOperator, "*"),
		token("admin", schema.RoleAdmin, "*"),
		person("viewer", schema.RoleReader, "*", "viewers"),
		person("deployer", schema.RoleOperator, "*", "deployers"),
		person("shopper", schema.RoleOperator, "shop", "shop-team"),
		person("platform", schema.RoleAdmin, "*", "platform"),
	}
	// A bad token on a board page is sent to sign in, like no token at all.
	callers[1].role = ""

	seen := map[string]bool{}
	routes := a.engine.Routes()
	// The stage's deletion goes after every other route, so that they find the stage, and
	// signing out goes last, since it ends the session it is sent with.
	slices.SortStableFunc(routes, func(x, y gin.RouteInfo) int {
		rank := func(r gin.RouteInfo) int {
			switch {
			case r.Method == http.MethodDelete:
				return 1
			case r.Path == "/auth/logout":
				return 2
			}
			return 0
		}
		return rank(x) - rank(y)
	})
	for _, r := range routes {
		key := r.Method + " " + r.Path
		seen[key] = true
		rule, ok := expectedAccess[key]
		if !ok {
			t.Errorf("%s has no row in expectedAccess: say who may call it (and give it an access rule)", key)
			continue
		}
		path := r.Path
		if rule.build {
			path = strings.ReplaceAll(path, ":id", published.ID)
		}
		for name, value := range matrixParams {
			path = strings.ReplaceAll(path, name, value)
		}
		path += rule.query
		body := rule.body
		if body == "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			body = "{}"
		}
		for _, c := range callers {
			rec := a.callWith(r.Method, path, body, c.header)
			want, got := rule.want(c), rec.Code
			verdict := fmt.Sprint(want)
			if want == 0 {
				verdict = "admitted"
			}
			refused := got == http.StatusUnauthorized || got == http.StatusForbidden || got >= 500 || (got == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/login"))
			switch {
			case want == 0 && refused && !rule.open:
			case want != 0 && got != want:
			case want == http.StatusSeeOther && !strings.HasPrefix(rec.Header().Get("Location"), "/login?next="):
			default:
				continue
			}
			t.Errorf("%s %s as %s: status %d, want %s; body: %.300s", r.Method, path, c.name, got, verdict, rec.Body)
		}
	}
	for key := range expectedAccess {
		if !seen[key] {
			t.Errorf("expectedAccess names %s, which is not a route", key)
		}
	}
}
