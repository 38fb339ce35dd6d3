package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// access is what the matrix expects a route to ask of its caller, written out here rather
// than read from the router's rules, so that a changed rule must change this table too.
type access struct {
	// open reads answer anyone, even a request with a bad token (reads are open today).
	open bool
	// anyToken routes answer every valid token and refuse the rest with 401.
	anyToken bool
	// roles are the roles admitted; every other role is refused with 403.
	roles []string
	// scoped routes refuse a token of another environment with 403.
	scoped bool
	// body is sent instead of "{}", and query is appended to the path.
	body, query string
	// build routes name a build by :id, not a deploy: the matrix's published build.
	build bool
}

var (
	pingers    = []string{schema.RolePinger, schema.RoleOperator, schema.RoleAdmin}
	publishers = []string{schema.RolePublisher, schema.RoleOperator, schema.RoleAdmin}
	operators  = []string{schema.RoleOperator, schema.RoleAdmin}
	admins     = []string{schema.RoleAdmin}
	open       = access{open: true}
)

// expectedAccess has a row for every route of the API. A route added without a row fails
// TestAuthorizationMatrix: whoever adds it must say who may call it.
var expectedAccess = map[string]access{
	"GET /healthz":                                          open,
	"GET /metrics":                                          open,
	"GET /v1/openapi.json":                                  open,
	"GET /v1/auth/token":                                    {anyToken: true},
	"GET /v1/envs":                                          open,
	"GET /v1/envs/:env":                                     open,
	"GET /v1/envs/:env/:stage":                              open,
	"GET /v1/envs/:env/:stage/history":                      open,
	"GET /v1/envs/:env/:stage/capacity":                     open,
	"GET /v1/envs/:env/:stage/hosts":                        open,
	"GET /v1/envs/:env/:stage/alarms":                       open,
	"GET /v1/envs/:env/:stage/deploys":                      open,
	"GET /v1/envs/:env/:stage/deploys/current":              open,
	"GET /v1/envs/:env/:stage/queue":                        open,
	"GET /v1/deploys/:id":                                   open,
	"GET /v1/deploys/:id/hosts":                             open,
	"PUT /v1/deploys/:id/acceptance":                        {roles: operators, scoped: true, body: `{"status":"ACCEPTED"}`}, // the deploy's environment
	"GET /v1/builds":                                        open,
	"GET /v1/builds/:id":                                    open,
	"GET /v1/audit":                                         {roles: operators, scoped: true, query: "?env=hello"},                            // the environment named by env=
	"POST /v1/envs":                                         {roles: operators, scoped: true, body: `{"envName":"hello","stageName":"prod"}`}, // the body's environment
	"PUT /v1/envs/:env/:stage":                              {roles: operators, scoped: true},
	"DELETE /v1/envs/:env/:stage":                           {roles: admins, scoped: true},
	"PUT /v1/envs/:env/:stage/capacity":                     {roles: operators, scoped: true, body: `{"hosts":"not a list"}`},
	"POST /v1/envs/:env/:stage/deploys":                     {roles: operators, scoped: true},
	"POST /v1/envs/:env/:stage/actions/:action":             {roles: operators, scoped: true},
	"POST /v1/envs/:env/:stage/hosts/:host/actions/:action": {roles: operators, scoped: true},
	"POST /v1/envs/:env/:stage/stop":                        {roles: operators, scoped: true},
	"POST /v1/builds":                                       {roles: publishers},
	"GET /v1/builds/:id/tags":                               {open: true, build: true},
	"POST /v1/builds/:id/tags":                              {roles: operators, scoped: true, build: true, body: `{"value":"GOOD"}`}, // builds a stage of the token's environment deploys
	"POST /v1/system/ping":                                  {roles: pingers},
	"POST /v1/hosts/:host/actions/reset-identity":           {roles: admins},
}

// caller is one column of the matrix.
type caller struct {
	name, role, scope string
	header            http.Header
}

// want is the status class the matrix expects: 401, 403, or 0 for "admitted" (the
// handler ran: any answer that is neither 401, 403 nor a 5xx).
func (a access) want(c caller) int {
	switch {
	case a.open:
		return 0
	case c.role == "":
		return http.StatusUnauthorized
	case a.anyToken:
		return 0
	}
	admitted := false
	for _, r := range a.roles {
		admitted = admitted || r == c.role
	}
	if !admitted || (a.scoped && c.scope != "*") {
		return http.StatusForbidden
	}
	return 0
}

// matrixParams fill the routes' path parameters with names that exist in the matrix's store.
var matrixParams = map[string]string{":env": "hello", ":stage": "prod", ":id": "d1", ":host": "h1", ":action": "pause"}

// TestAuthorizationMatrix asks every route the router lists as every kind of caller and
// checks each answer against expectedAccess: reads open, every other route refused with
// 401 without a valid token and 403 for a role or environment the route does not admit.
func TestAuthorizationMatrix(t *testing.T) {
	a := newTestAPI(t)
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
		return caller{name, role, scope, http.Header{"Authorization": {"Bearer " + secret}}}
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
	}

	seen := map[string]bool{}
	routes := a.engine.Routes()
	// The stage's deletion goes last, so that every other route finds the stage.
	for i, r := range routes {
		if r.Method == http.MethodDelete {
			routes = append(append(routes[:i:i], routes[i+1:]...), r)
			break
		}
	}
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
		if body == "" && r.Method != http.MethodGet {
			body = "{}"
		}
		for _, c := range callers {
			rec := a.callWith(r.Method, path, body, c.header)
			want, got := rule.want(c), rec.Code
			verdict := fmt.Sprint(want)
			if want == 0 {
				verdict = "admitted"
			}
			switch {
			case want == 0 && (got == http.StatusUnauthorized || got == http.StatusForbidden || got >= 500):
			case want != 0 && got != want:
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
