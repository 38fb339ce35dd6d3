package api

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// RoleMapping says which role each signed-in person has in each environment, from the
// identity provider's groups or the person's email. A person's role in an environment is
// the highest role of the rules that match them there, or Default.
type RoleMapping struct {
	// Rules are the mapping's entries, in no particular order: the highest role wins.
	Rules []RoleRule `yaml:"rules"`
	// Default is the role every signed-in person has in every environment (READER lets
	// anyone the provider accepts look); empty gives people without a rule no role at all.
	Default string `yaml:"default"`
}

// RoleRule gives the people in Group (or the one person User) Role in Envs.
type RoleRule struct {
	// Group is a value of the provider's group claim; exactly one of Group and User is set.
	Group string `yaml:"group"`
	// User is a person's email, as the provider states it.
	User string `yaml:"user"`
	// Role is READER, OPERATOR or ADMIN.
	Role string `yaml:"role"`
	// Envs are the environments the role holds in; empty or "*" means every environment.
	Envs []string `yaml:"envs"`
}

// personRoles are the roles a person may be mapped to; PINGER and PUBLISHER are duties of
// machines and stay with tokens.
var personRoles = []string{schema.RoleReader, schema.RoleOperator, schema.RoleAdmin}

// ParseRoleRule reads a rule in the flag form "group:NAME=ROLE[@ENV,ENV...]" or
// "user:EMAIL=ROLE[@ENV,...]" (no @ means every environment), as --oidc-role takes it.
func ParseRoleRule(s string) (RoleRule, error) {
	who, grant, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		return RoleRule{}, fmt.Errorf("role rule %q: want group:NAME=ROLE[@ENV,...] or user:EMAIL=ROLE[@ENV,...]", s)
	}
	var r RoleRule
	kind, name, _ := strings.Cut(who, ":")
	switch kind {
	case "group":
		r.Group = name
	case "user":
		r.User = name
	default:
		return RoleRule{}, fmt.Errorf("role rule %q: say whom it maps with group:NAME or user:EMAIL before the =", s)
	}
	role, envs, scoped := strings.Cut(grant, "@")
	r.Role = strings.ToUpper(strings.TrimSpace(role))
	if scoped {
		for _, e := range strings.Split(envs, ",") {
			if e = strings.TrimSpace(e); e != "" {
				r.Envs = append(r.Envs, e)
			}
		}
	}
	return r, r.check()
}

// check says what is wrong with a rule.
func (r RoleRule) check() error {
	if (r.Group == "") == (r.User == "") {
		return fmt.Errorf("role rule for %q%q: set exactly one of group and user", r.Group, r.User)
	}
	if !slices.Contains(personRoles, r.Role) {
		return fmt.Errorf("role rule for %s: role %q is not READER, OPERATOR or ADMIN", r.subject(), r.Role)
	}
	if slices.Contains(r.Envs, "") {
		return fmt.Errorf("role rule for %s: an empty environment name", r.subject())
	}
	return nil
}

func (r RoleRule) subject() string {
	if r.Group != "" {
		return "group " + r.Group
	}
	return "user " + r.User
}

// LoadRoleMapping reads a mapping file (YAML: rules and default) and checks every rule.
func LoadRoleMapping(path string) (RoleMapping, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return RoleMapping{}, fmt.Errorf("read the role mapping: %w", err)
	}
	var m RoleMapping
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return RoleMapping{}, fmt.Errorf("role mapping %s: %w", path, err)
	}
	if err := m.Check(); err != nil {
		return RoleMapping{}, fmt.Errorf("role mapping %s: %w", path, err)
	}
	return m, nil
}

// Check says what is wrong with the mapping, if anything.
func (m RoleMapping) Check() error {
	if m.Default != "" && !slices.Contains(personRoles, m.Default) {
		return fmt.Errorf("default role %q is not READER, OPERATOR or ADMIN (or empty for none)", m.Default)
	}
	for _, r := range m.Rules {
		if err := r.check(); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether the rule names the person.
func (r RoleRule) matches(email string, groups []string) bool {
	if r.User != "" {
		return email != "" && strings.EqualFold(r.User, email)
	}
	return slices.Contains(groups, r.Group)
}

// coversEveryEnv reports whether the rule holds in every environment.
func (r RoleRule) coversEveryEnv() bool {
	return len(r.Envs) == 0 || slices.Contains(r.Envs, "*")
}

// RoleIn returns the person's role in env: the highest of Default and the roles of the
// rules that match them there. env "" asks for the role that holds in every environment
// (what routes that name no environment, such as resetting a host, need). "" means none.
func (m RoleMapping) RoleIn(email string, groups []string, env string) string {
	best := m.Default
	for _, r := range m.Rules {
		if !r.matches(email, groups) {
			continue
		}
		if r.coversEveryEnv() || (env != "" && slices.Contains(r.Envs, env)) {
			best = higherRole(best, r.Role)
		}
	}
	return best
}

// BestRole returns the person's highest role in any environment ("" for none): what
// reads that span environments need.
func (m RoleMapping) BestRole(email string, groups []string) string {
	best := m.Default
	for _, r := range m.Rules {
		if r.matches(email, groups) {
			best = higherRole(best, r.Role)
		}
	}
	return best
}

// higherRole returns the higher of two person roles; "" is below every role.
func higherRole(a, b string) string {
	if a == "" || (b != "" && roleLevels[b] > roleLevels[a]) {
		return b
	}
	return a
}
