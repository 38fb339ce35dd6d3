package api

import (
	"net/http"
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := authorize(tt.token, tt.method, tt.route, tt.env)
			if tt.refusal == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if core.ErrorCode(err) != core.EFORBIDDEN || !strings.Contains(err.Error(), tt.refusal) {
				t.Fatalf("error %v, want EFORBIDDEN saying %q", err, tt.refusal)
			}
		})
	}
}

// TestEveryMutatingRouteHasAnAccessRule keeps authorize from refusing a new route by
// surprise, and keeps the rules from naming routes that no longer exist.
func TestEveryMutatingRouteHasAnAccessRule(t *testing.T) {
	engine := NewRouter(Deps{Store: &schema.Store{}})
	seen := map[string]bool{}
	for _, r := range engine.Routes() {
		key := r.Method + " " + r.Path
		seen[key] = true
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			continue // reads are open unless they have a rule
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
