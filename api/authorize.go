package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// roleLevels rank the roles as Teletraan does. PINGER and PUBLISHER share a level but are
// separate duties (see allows): the token on every host must not publish builds, and CI's
// publishing token must not speak for hosts.
var roleLevels = map[string]int{
	schema.RoleReader:    0,
	schema.RolePinger:    1,
	schema.RolePublisher: 1,
	schema.RoleOperator:  10,
	schema.RoleAdmin:     20,
}

// accessRule is what a mutating route, or a read that is not open, asks of the caller's token.
type accessRule struct {
	// role is the least role allowed.
	role string
	// envScoped routes act on the :env of their path: a token scoped to one environment
	// may only act there.
	envScoped bool
}

// accessRules holds a rule for every mutating route, keyed "METHOD /route/pattern". A
// mutating route without one is refused, so a route added without a rule fails closed
// (and a test lists every route that lacks one).
var accessRules = map[string]accessRule{
	"POST /v1/envs":            {role: schema.RoleOperator}, // createStage checks the body's env against the scope
	"PUT /v1/envs/:env/:stage": {role: schema.RoleOperator, envScoped: true},
	// Deleting a stage drops its capacity, which no API call restores: admins only.
	"DELETE /v1/envs/:env/:stage":                           {role: schema.RoleAdmin, envScoped: true},
	"PUT /v1/envs/:env/:stage/capacity":                     {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/deploys":                     {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/actions/:action":             {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/hosts/:host/actions/:action": {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/stop":                        {role: schema.RoleOperator, envScoped: true},
	"POST /v1/builds":                                       {role: schema.RolePublisher},
	// A BAD tag stops a build everywhere: operators only; tagBuild narrows a scoped token
	// to the builds its environment deploys.
	"POST /v1/builds/:id/tags": {role: schema.RoleOperator},
	"POST /v1/system/ping":     {role: schema.RolePinger},
	// A verdict acts on the deploy's stage: operators of its environment (giveAcceptance
	// checks the scope against the deploy's environment, which the path does not name).
	"PUT /v1/deploys/:id/acceptance": {role: schema.RoleOperator},
	// Unbinding a host lets the next ping claim it: only an admin may.
	"POST /v1/hosts/:host/actions/reset-identity": {role: schema.RoleAdmin},
	// Reads are open unless they have a rule: the audit trail names who did what.
	"GET /v1/audit": {role: schema.RoleOperator},
}

// authorize decides whether token t may call method on route (gin's full path) in
// environment env (empty when the route names none). It is the one place that says who
// may do what; a refusal says what the token lacks.
func authorize(t *schema.Token, method, route, env string) error {
	rule, ok := accessRules[method+" "+route]
	if !ok {
		return core.Errorf(core.EFORBIDDEN, "%s %s has no access rule, so no token may call it", method, route)
	}
	if !allows(t.Role, rule.role) {
		return core.Errorf(core.EFORBIDDEN, "token %q has role %s; %s %s needs %s or above", t.Name, t.Role, method, route, rule.role)
	}
	if rule.envScoped {
		return checkScope(t, env)
	}
	return nil
}

// allows reports whether role may do what need allows: OPERATOR and ADMIN may do
// everything below them; PINGER and PUBLISHER only their own duty.
func allows(role, need string) bool {
	switch need {
	case schema.RolePinger, schema.RolePublisher:
		return role == need || roleLevels[role] >= roleLevels[schema.RoleOperator]
	}
	level, known := roleLevels[role]
	return known && level >= roleLevels[need]
}

// checkScope refuses a token scoped to one environment acting on another.
func checkScope(t *schema.Token, env string) error {
	if t.Scope == "*" || t.Scope == "" || t.Scope == env {
		return nil
	}
	return core.Errorf(core.EFORBIDDEN, "token %q may act only on environment %s, not %s", t.Name, t.Scope, env)
}

// tokenView is the answer of GET /v1/auth/token: who the caller is and what it may do.
type tokenView struct {
	Name      string  `json:"name"`
	Role      string  `json:"role"`
	Scope     string  `json:"scope"`
	ExpiresAt *string `json:"expiresAt,omitempty"`
	// CanOperate says whether the token may deploy and act on stages: every stage when
	// Scope is "*", else the stages of the environment Scope names.
	CanOperate bool `json:"canOperate"`
	// CanPublish says whether the token may publish builds.
	CanPublish bool `json:"canPublish"`
}

// whoAmI authenticates the request's token, as mutating routes do, and describes it; the
// board asks it to offer only the buttons the token can use.
func (s *server) whoAmI(c *gin.Context) {
	t, err := s.tokenOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, tokenJSON(t))
}
