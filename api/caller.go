package api

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// How a caller authenticated, as the audit trail and GET /v1/auth/token say it.
const (
	viaToken       = "token"         // Authorization: Bearer/token <API token>
	viaIDToken     = "oidc-id-token" // Authorization: Bearer <ID token> (teletraan login)
	viaProxy       = "proxy"         // a trusted reverse proxy's header
	viaSessionPart = "session:"      // the board's session cookie, followed by how it was opened
)

// Caller is who made a request: a machine with an API token (CI, agents, automation) or a
// person signed in through the OpenID provider, a trusted proxy or `teletraan dev`.
// Exactly one of Token and Person is set.
type Caller struct {
	// Token is the API token that authenticated the call, or that the session signed in with.
	Token *schema.Token
	// Person is the signed-in person.
	Person *Person
	// Via says how the caller authenticated (token, oidc-id-token, proxy, session:oidc, ...).
	Via string
	// csrf is the session's anti-forgery token: a cookie-authenticated change must send it
	// back in X-CSRF-Token. Empty for callers that did not come with a cookie.
	csrf string
	// roles maps a person's groups to roles; nil for tokens.
	roles *RoleMapping
}

// Person is someone the identity provider (or the trusted proxy) vouched for.
type Person struct {
	Subject string
	Email   string
	Name    string
	Groups  []string
}

// Name is what the caller's actions record as their operator, publisher or actor: the
// person's email (their subject when the provider gives none), or the token's name.
func (c *Caller) Name() string {
	if c.Person != nil {
		if c.Person.Email != "" {
			return c.Person.Email
		}
		return c.Person.Subject
	}
	return c.Token.Name
}

// describe names the caller in refusals.
func (c *Caller) describe() string {
	if c.Person != nil {
		return c.Name()
	}
	return fmt.Sprintf("token %q", c.Token.Name)
}

// roleIn returns the caller's role in env, or a refusal saying why it has none there. env
// "" asks for the role that holds in every environment: a token's role (its scope limits
// it only where a route names an environment, as before), or a person's global role.
func (c *Caller) roleIn(env string) (string, error) {
	if c.Person != nil {
		role := c.roles.RoleIn(c.Person.Email, c.Person.Groups, env)
		if role == "" {
			where := "in environment " + env
			if env == "" {
				where = "in every environment"
			}
			return "", core.Errorf(core.EFORBIDDEN, "%s has no role %s: ask an admin to map one of your groups (%s) in the server's role mapping", c.Name(), where, groupList(c.Person.Groups))
		}
		return role, nil
	}
	if env != "" {
		if err := checkScope(c.Token, env); err != nil {
			return "", err
		}
	}
	return c.Token.Role, nil
}

// bestRole is the caller's highest role in any environment ("" for none).
func (c *Caller) bestRole() string {
	if c.Person != nil {
		return c.roles.BestRole(c.Person.Email, c.Person.Groups)
	}
	return c.Token.Role
}

// groupList writes groups for a refusal.
func groupList(groups []string) string {
	if len(groups) == 0 {
		return "the provider sent none"
	}
	out := ""
	for i, g := range groups {
		if i == 8 {
			return out + ", …"
		}
		if i > 0 {
			out += ", "
		}
		out += g
	}
	return out
}

type callerKey struct{}

// CallerFrom returns who authenticated the request, or nil when nobody did (an open
// route, or a read with anonymous reads allowed).
func CallerFrom(c *gin.Context) *Caller {
	v, _ := c.Get(callerKey{})
	caller, _ := v.(*Caller)
	return caller
}

// TokenFrom returns the API token that authenticated the request, or nil when a person
// (or nobody) did.
func TokenFrom(c *gin.Context) *schema.Token {
	if caller := CallerFrom(c); caller != nil {
		return caller.Token
	}
	return nil
}
