package api

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestAuthorizeByRoleAndScope(t *testing.T) {
	token := func(role, scope string) *schema.Token { return &schema.Token{Name: "t", Role: role, Scope: scope} }
	const deploys = "/v1/envs/:env/:stage/deploys"
	tests := []struct {
		name          string
		token         *schema.Token
		method, route string
		env           string
		refusal       string // "" when allowed
	}{
		{"admin deploys anywhere", token(schema.RoleAdmin, "*"), "POST", deploys, "hello", ""},
		{"operator deploys", token(schema.RoleOperator, "*"), "POST", deploys, "hello", ""},
		{"operator of its env", token(schema.RoleOperator, "hello"), "POST", deploys, "hello", ""},
		{"operator of another env", token(schema.RoleOperator, "shop"), "POST", deploys, "hello", "may act only on environment shop, not hello"},
		{"pinger cannot deploy", token(schema.RolePinger, "*"), "POST", deploys, "hello", "has role PINGER; POST " + deploys + " needs OPERATOR or above"},
		{"publisher cannot deploy", token(schema.RolePublisher, "*"), "POST", deploys, "hello", "needs OPERATOR"},
		{"reader cannot change config", token(schema.RoleReader, "*"), "PUT", "/v1/envs/:env/:stage", "hello", "has role READER"},
		{"publisher publishes", token(schema.RolePublisher, "*"), "POST", "/v1/builds", "", ""},
		{"scoped publisher publishes", token(schema.RolePublisher, "hello"), "POST", "/v1/builds", "", ""},
		{"pinger cannot publish", token(schema.RolePinger, "*"), "POST", "/v1/builds", "", "has role PINGER; POST /v1/builds needs PUBLISHER"},
		{"publisher cannot ping", token(schema.RolePublisher, "*"), "POST", "/v1/system/ping", "", "needs PINGER"},
		{"reader cannot publish", token(schema.RoleReader, "*"), "POST", "/v1/builds", "", "needs PUBLISHER"},
		{"pinger pings", token(schema.RolePinger, "*"), "POST", "/v1/system/ping", "", ""},
		{"reader cannot ping", token(schema.RoleReader, "*"), "POST", "/v1/system/ping", "", "needs PINGER"},
		{"operator pings", token(schema.RoleOperator, "*"), "POST", "/v1/system/ping", "", ""},
		{"unknown role is refused", token("ROOT", "*"), "POST", "/v1/system/ping", "", "has role ROOT"},
		{"route without a rule", token(schema.RoleAdmin, "*"), "PATCH", "/v1/envs/:env/:stage", "hello", "has no access rule"},
		{"reader reads", token(schema.RoleReader, "*"), "GET", "/v1/envs/:env/:stage", "hello", ""},
		{"scoped reader reads its env", token(schema.RoleReader, "hello"), "GET", "/v1/envs/:env/:stage", "hello", ""},
		{"scoped reader of another env", token(schema.RoleReader, "shop"), "GET", "/v1/envs/:env/:stage", "hello", "may act only on environment shop"},
		{"pinger reads nothing", token(schema.RolePinger, "*"), "GET", "/v1/envs/:env/:stage", "hello", "has role PINGER"},
		{"pinger lists nothing", token(schema.RolePinger, "*"), "GET", "/v1/builds", "", "has role PINGER"},
		{"publisher reads builds", token(schema.RolePublisher, "*"), "GET", "/v1/builds", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefusal(t, authorize(&Caller{Token: tt.token, Via: viaToken}, tt.method, tt.route, tt.env), tt.refusal)
		})
	}
}

// TestAuthorizePeopleByMappedRole checks that a person's role is the mapping's, per
// environment, and that reads across environments need a role in one of them.
func TestAuthorizePeopleByMappedRole(t *testing.T) {
	roles := RoleMapping{Rules: []RoleRule{
		{Group: "hello-ops", Role: schema.RoleOperator, Envs: []string{"hello"}},
		{Group: "admins", Role: schema.RoleAdmin},
		{User: "rita@example.com", Role: schema.RoleReader},
	}}
	person := func(email string, groups ...string) *Caller {
		return &Caller{Person: &Person{Email: email, Groups: groups}, Via: viaSessionPart + "oidc", roles: &roles}
	}
	const deploys = "/v1/envs/:env/:stage/deploys"
	tests := []struct {
		name          string
		caller        *Caller
		method, route string
		env           string
		refusal       string
	}{
		{"operator of hello deploys there", person("olga@example.com", "hello-ops"), "POST", deploys, "hello", ""},
		{"operator of hello not in shop", person("olga@example.com", "hello-ops"), "POST", deploys, "shop", "olga@example.com has no role in environment shop"},
		{"operator of hello lists stages", person("olga@example.com", "hello-ops"), "GET", "/v1/envs", "", ""},
		{"operator of hello cannot reset hosts", person("olga@example.com", "hello-ops"), "POST", "/v1/hosts/:host/actions/reset-identity", "", "no role in every environment"},
		{"admin group resets hosts", person("ada@example.com", "admins"), "POST", "/v1/hosts/:host/actions/reset-identity", "", ""},
		{"reader by email reads", person("Rita@example.com"), "GET", "/v1/envs/:env/:stage", "shop", ""},
		{"reader cannot deploy", person("rita@example.com"), "POST", deploys, "shop", "has role READER"},
		{"nobody mapped", person("nina@example.com", "interns"), "GET", "/v1/envs/:env/:stage", "hello", "ask an admin to map one of your groups (interns)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefusal(t, authorize(tt.caller, tt.method, tt.route, tt.env), tt.refusal)
		})
	}
}

// TestEveryMutatingRouteHasAnAccessRule keeps authorize from refusing a new route by
// surprise, and keeps the rules from naming routes that no longer exist.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	engine := NewRouter(Deps{Store: &schema.Store{}})
	seen := map[string]bool{}
	for _, r := range engine.Routes() {
		key := r.Method + " " + r.Path
		seen[key] = true
		if !strings.HasPrefix(r.Path, "/v1/") {
			continue // health, metrics and the sign-in routes are not the API's
		}
		if _, ok := accessRules[key]; !ok {
			t.Errorf("%s has no access rule in accessRules", key)
		}
	}
	for key := range accessRules {
		if !seen[key] {
			t.Errorf("accessRules names %s, which is not a route", key)
		}
	}
}

// wantRefusal checks that err is nil when refusal is empty, else EFORBIDDEN saying refusal.
func wantRefusal(t *testing.T, err error, refusal string) {
	t.Helper()
	if refusal == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if core.ErrorCode(err) != core.EFORBIDDEN || !strings.Contains(err.Error(), refusal) {
		t.Fatalf("error %v, want EFORBIDDEN saying %q", err, refusal)
	}
}
