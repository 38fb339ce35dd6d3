package api_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestParseRoleRule(t *testing.T) {
	tests := []struct {
		in, want, refusal string
	}{
		{in: "group:deployers=OPERATOR@hello,shop", want: "deployers||OPERATOR|hello,shop"},
		{in: "group:platform=admin", want: "platform||ADMIN|"},
		{in: "user:ana@example.com=READER@*", want: "|ana@example.com|READER|*"},
		{in: "deployers=OPERATOR", refusal: "group:NAME or user:EMAIL"},
		{in: "group:x", refusal: "want group:NAME=ROLE"},
		{in: "group:x=PINGER", refusal: `role "PINGER" is not READER, OPERATOR or ADMIN`},
		{in: "group:=READER", refusal: "set exactly one of group and user"},
	}
	for _, tt := range tests {
		r, err := api.ParseRoleRule(tt.in)
		if tt.refusal != "" {
			if err == nil || !strings.Contains(err.Error(), tt.refusal) {
				t.Errorf("ParseRoleRule(%q) = %+v, %v; want an error saying %q", tt.in, r, err, tt.refusal)
			}
			continue
		}
		if got := r.Group + "|" + r.User + "|" + r.Role + "|" + strings.Join(r.Envs, ","); err != nil || got != tt.want {
			t.Errorf("ParseRoleRule(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestRoleInIsTheHighestMatchingRule(t *testing.T) {
	m := api.RoleMapping{Default: schema.RoleReader, Rules: []api.RoleRule{
		{Group: "web", Role: schema.RoleOperator, Envs: []string{"web"}},
		{Group: "platform", Role: schema.RoleAdmin},
		{User: "ana@example.com", Role: schema.RoleAdmin, Envs: []string{"web"}},
	}}
	tests := []struct {
		email  string
		groups []string
		env    string
		want   string
	}{
		{"bo@example.com", []string{"web"}, "web", schema.RoleOperator},
		{"bo@example.com", []string{"web"}, "shop", schema.RoleReader},
		{"bo@example.com", []string{"web"}, "", schema.RoleReader},
		{"bo@example.com", []string{"web", "platform"}, "shop", schema.RoleAdmin},
		{"ANA@example.com", nil, "web", schema.RoleAdmin},
		{"ana@example.com", nil, "", schema.RoleReader},
		{"cy@example.com", []string{"Web"}, "web", schema.RoleReader}, // groups match exactly
	}
	for _, tt := range tests {
		if got := m.RoleIn(tt.email, tt.groups, tt.env); got != tt.want {
			t.Errorf("RoleIn(%s, %v, %q) = %s, want %s", tt.email, tt.groups, tt.env, got, tt.want)
		}
	}
	if got := m.BestRole("bo@example.com", []string{"web"}); got != schema.RoleOperator {
		t.Errorf("BestRole = %s, want OPERATOR", got)
	}
	if got := (api.RoleMapping{}).RoleIn("bo@example.com", nil, "web"); got != "" {
		t.Errorf("an empty mapping gives %q, want no role", got)
	}
}

func TestLoadRoleMappingRefusesUnknownFieldsAndRoles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m, err := api.LoadRoleMapping(write("ok.yaml", "default: READER\nrules:\n  - {group: platform, role: ADMIN}\n  - {user: a@example.com, role: OPERATOR, envs: [web]}\n"))
	if err != nil || len(m.Rules) != 2 || m.RoleIn("a@example.com", nil, "web") != schema.RoleOperator {
		t.Fatalf("LoadRoleMapping: %+v, %v", m, err)
	}
	if _, err := api.LoadRoleMapping(write("typo.yaml", "rules:\n  - {gruop: platform, role: ADMIN}\n")); err == nil || !strings.Contains(err.Error(), "gruop") {
		t.Errorf("a misspelt field: %v", err)
	}
	if _, err := api.LoadRoleMapping(write("role.yaml", "default: ROOT\n")); err == nil || !strings.Contains(err.Error(), `default role "ROOT"`) {
		t.Errorf("an unknown default role: %v", err)
	}
}
