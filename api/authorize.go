package api

import (
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
	schema.RoleAlerter:   1,
	schema.RoleOperator:  10,
	schema.RoleAdmin:     20,
}

// accessRule is what a route asks of its caller.
type accessRule struct {
	// open routes answer anyone, without credentials (how to sign in, for the CLI).
	open bool
	// anyCaller routes answer every authenticated caller, whatever its role.
	anyCaller bool
	// role is the least role allowed.
	role string
	// envScoped routes act on the :env of their path: the caller's role there counts (a
	// token scoped to one environment may only act there).
	envScoped bool
	// anyEnv routes span environments (lists, builds): the caller's highest role in any
	// environment counts. Routes with neither flag need the role in every environment.
	anyEnv bool
	// stageSecret routes also take, instead of a token, the stage's own secret, which the
	// handler checks (alert intake: Alertmanager may not hold a token per stage).
	stageSecret bool
}

// reader is the rule of reads that name no environment.
var reader = accessRule{role: schema.RoleReader, anyEnv: true}

// envReader is the rule of reads of one environment's stages.
var envReader = accessRule{role: schema.RoleReader, envScoped: true}

// accessRules holds a rule for every route of the API, reads included, keyed "METHOD
// /route/pattern". A route without one is refused, so a route added without a rule fails
// closed (and a test lists every route that lacks one).
var accessRules = map[string]accessRule{
	"GET /v1/openapi.json": {anyCaller: true},
	"GET /v1/auth/token":   {anyCaller: true},
	// The CLI asks where to sign in before it has any credential.
	"GET /v1/auth/config": {open: true},

	"GET /v1/envs":                             reader,
	"GET /v1/envs/:env":                        envReader,
	"GET /v1/envs/:env/:stage":                 envReader,
	"GET /v1/envs/:env/:stage/history":         envReader,
	"GET /v1/envs/:env/:stage/capacity":        envReader,
	"GET /v1/envs/:env/:stage/hosts":           envReader,
	"GET /v1/envs/:env/:stage/alarms":          envReader,
	"GET /v1/envs/:env/:stage/rollback-target": envReader,
	"GET /v1/envs/:env/:stage/alerts":          envReader,
	"GET /v1/envs/:env/:stage/deploys":         envReader,
	"GET /v1/envs/:env/:stage/deploys/current": envReader,
	"GET /v1/envs/:env/:stage/queue":           envReader,
	"GET /v1/deploys/:id":                      reader,
	"GET /v1/deploys/:id/hosts":                reader,
	"GET /v1/builds":                           reader,
	"GET /v1/builds/:id":                       reader,
	"GET /v1/builds/:id/tags":                  reader,

	"POST /v1/envs":            {role: schema.RoleOperator, anyEnv: true}, // createStage asks PUT's rule of the body's env
	"PUT /v1/envs/:env/:stage": {role: schema.RoleOperator, envScoped: true},
	// Deleting a stage drops its capacity, which no API call restores: admins only.
	"DELETE /v1/envs/:env/:stage":                           {role: schema.RoleAdmin, envScoped: true},
	"PUT /v1/envs/:env/:stage/capacity":                     {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/deploys":                     {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/actions/:action":             {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/hosts/:host/actions/:action": {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/stop":                        {role: schema.RoleOperator, envScoped: true},
	"POST /v1/envs/:env/:stage/alerts":                      {role: schema.RoleAlerter, envScoped: true, stageSecret: true},
	"POST /v1/builds":                                       {role: schema.RolePublisher, anyEnv: true},
	// A BAD tag stops a build everywhere: operators only; tagBuild narrows the caller to
	// the builds its environments deploy.
	"POST /v1/builds/:id/tags": {role: schema.RoleOperator, anyEnv: true},
	"POST /v1/system/ping":     {role: schema.RolePinger},
	// A verdict acts on the deploy's stage: giveAcceptance asks for OPERATOR in the
	// deploy's environment, which the path does not name.
	"PUT /v1/deploys/:id/acceptance": {role: schema.RoleOperator, anyEnv: true},
	// Unbinding a host lets the next ping claim it: only an admin of every environment may.
	"POST /v1/hosts/:host/actions/reset-identity": {role: schema.RoleAdmin},
	// The audit trail names who did what; listAudit checks the env= it is filtered by.
	"GET /v1/audit": {role: schema.RoleOperator, anyEnv: true},
}

// authorize decides whether caller may call method on route (gin's full path) in
// environment env (empty when the route names none). It is the one place that says who
// may do what; a refusal says what the caller lacks.
func authorize(caller *Caller, method, route, env string) error {
	rule, ok := accessRules[method+" "+route]
	if !ok {
		return core.Errorf(core.EFORBIDDEN, "%s %s has no access rule, so nobody may call it", method, route)
	}
	if rule.open || rule.anyCaller {
		return nil
	}
	var role string
	switch {
	case rule.envScoped:
		r, err := caller.roleIn(env)
		if err != nil {
			return err
		}
		role = r
	case rule.anyEnv:
		role = caller.bestRole()
	default:
		r, err := caller.roleIn("")
		if err != nil {
			return err
		}
		role = r
	}
	if !allows(role, rule.role) {
		if role == "" {
			return core.Errorf(core.EFORBIDDEN, "%s has no role; %s %s needs %s or above", caller.describe(), method, route, rule.role)
		}
		return core.Errorf(core.EFORBIDDEN, "%s has role %s; %s %s needs %s or above", caller.describe(), role, method, route, rule.role)
	}
	return nil
}

// authorizeIn checks that caller holds role (or above) in env, for the routes whose
// environment is in their body or their object rather than their path: creating a stage,
// a deploy's verdict.
func authorizeIn(caller *Caller, env, role string) error {
	r, err := caller.roleIn(env)
	if err != nil {
		return err
	}
	if !allows(r, role) {
		return core.Errorf(core.EFORBIDDEN, "%s has role %s in environment %s; this needs %s or above", caller.describe(), r, env, role)
	}
	return nil
}

// MayReadEnv refuses the request's caller reading an object (a deploy) of an environment
// it has no read role in; no caller is an anonymous viewer of a server with open reads.
// The board asks it of its deploy page.
func MayReadEnv(c *gin.Context, env string) error {
	caller := CallerFrom(c)
	if caller == nil {
		return nil
	}
	return authorizeIn(caller, env, schema.RoleReader)
}

// allows reports whether role may do what need allows: OPERATOR and ADMIN may do
// everything below them; PINGER, PUBLISHER and ALERTER only their own duty. A PINGER reads
// nothing: the fleet's token sits on every host, so a host that leaks it must not expose
// the fleet's configuration.
func allows(role, need string) bool {
	switch need {
	case schema.RolePinger, schema.RolePublisher, schema.RoleAlerter:
		return role == need || roleLevels[role] >= roleLevels[schema.RoleOperator]
	case schema.RoleReader:
		_, known := roleLevels[role]
		return known && role != schema.RolePinger
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
