package api

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// loginCookie carries one sign-in attempt's state, nonce and PKCE verifier from the
// redirect to the provider to its callback; it lives ten minutes.
const loginCookie = "teletraan_oidc"

// loginAttempt is the content of loginCookie.
type loginAttempt struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

// registerSignIn adds the sign-in routes: OIDC login and callback, token sign-in, the dev
// login link, sign-out, and what the CLI needs to know to sign in.
func (s *server) registerSignIn(engine *gin.Engine, v1 *gin.RouterGroup) {
	if s.oidc != nil {
		engine.GET("/auth/oidc/login", s.oidcLogin)
		engine.GET("/auth/oidc/callback", s.audit(), s.oidcCallback)
	}
	engine.POST("/auth/token", s.audit(), s.tokenSignIn)
	engine.POST("/auth/logout", s.audit(), s.signOut)
	if s.people.DevLoginKey != "" {
		engine.GET("/auth/dev", s.audit(), s.devSignIn)
	}
	v1.GET("/auth/config", s.signInConfig)
}

// safeNext keeps a post-sign-in destination on this site: a path, never another origin.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func randomString() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// oidcLogin starts the authorization code flow with PKCE: it remembers the attempt in a
// short-lived cookie and sends the browser to the provider.
func (s *server) oidcLogin(c *gin.Context) {
	p, err := s.oidc.discover(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	a := loginAttempt{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Next: safeNext(c.Query("next"))}
	raw, _ := json.Marshal(a)
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(loginCookie, base64.RawURLEncoding.EncodeToString(raw), 600, "/auth/oidc", "", s.secureCookies(c), true)
	u := s.oidc.oauth2Config(p).AuthCodeURL(a.State, oauth2.S256ChallengeOption(a.Verifier), oauth2.SetAuthURLParam("nonce", a.Nonce))
	c.Redirect(http.StatusFound, u)
}

// oidcCallback finishes the flow: the state must be this browser's, the code is redeemed
// with the verifier, and the person gets a session.
func (s *server) oidcCallback(c *gin.Context) {
	if e := c.Query("error"); e != "" {
		s.signInFailed(c, core.Errorf(core.EUNAUTHORIZED, "the OpenID provider did not sign you in: %s %s", e, c.Query("error_description")))
		return
	}
	var a loginAttempt
	cookie, err := c.Cookie(loginCookie)
	raw, decodeErr := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil || decodeErr != nil || json.Unmarshal(raw, &a) != nil {
		s.signInFailed(c, core.Errorf(core.EUNAUTHORIZED, "this sign-in did not start in this browser (or took over ten minutes): start again"))
		return
	}
	c.SetCookie(loginCookie, "", -1, "/auth/oidc", "", s.secureCookies(c), true)
	if subtle.ConstantTimeCompare([]byte(c.Query("state")), []byte(a.State)) != 1 {
		s.signInFailed(c, core.Errorf(core.EUNAUTHORIZED, "the sign-in's state does not match this browser's: start again"))
		return
	}
	person, err := s.oidc.exchange(c.Request.Context(), c.Query("code"), a.Verifier, a.Nonce)
	if err != nil {
		s.signInFailed(c, err)
		return
	}
	if _, err := s.openSession(c, schema.SessionSpec{Subject: person.Subject, Email: person.Email, DisplayName: person.Name,
		Groups: person.Groups, Via: schema.SessionViaOIDC}); err != nil {
		s.signInFailed(c, err)
		return
	}
	c.Set(callerKey{}, &Caller{Person: person, Via: viaSessionPart + schema.SessionViaOIDC, roles: &s.people.Roles})
	c.Redirect(http.StatusSeeOther, safeNext(a.Next))
}

// signInFailed sends the browser back to the sign-in page saying why.
func (s *server) signInFailed(c *gin.Context, err error) {
	if code := core.ErrorCode(err); code == core.EINTERNAL {
		s.fail(c, err)
		return
	}
	c.Set(errorCodeKey{}, core.ErrorCode(err))
	c.Redirect(http.StatusSeeOther, "/login?"+url.Values{"why": {core.ErrorMessage(err)}}.Encode())
}

// tokenSignIn opens a board session for an API token pasted on the sign-in page, for
// servers without an OpenID provider and for automation's tokens. Only a form posted
// from this site's own page is accepted, so another site cannot sign a browser in as
// its own token.
func (s *server) tokenSignIn(c *gin.Context) {
	if !sameOrigin(c) {
		s.fail(c, core.Errorf(core.EFORBIDDEN, "sign in from this server's own /login page"))
		return
	}
	secret := strings.TrimSpace(c.PostForm("token"))
	if secret == "" {
		s.signInFailed(c, core.Errorf(core.EUNAUTHORIZED, "paste an API token to sign in with one"))
		return
	}
	t, err := s.tokenOfSecret(c, secret)
	if err != nil {
		s.signInFailed(c, err)
		return
	}
	if !allows(t.Role, schema.RoleReader) {
		s.signInFailed(c, core.Errorf(core.EFORBIDDEN, "token %q has role %s, which cannot read the board", t.Name, t.Role))
		return
	}
	caller, err := s.openSession(c, schema.SessionSpec{TokenID: t.ID, Via: schema.SessionViaToken})
	if err != nil {
		s.signInFailed(c, err)
		return
	}
	c.Set(callerKey{}, caller)
	c.Redirect(http.StatusSeeOther, safeNext(c.PostForm("next")))
}

// sameOrigin reports whether a browser's form came from this server's pages: its Origin
// (or, failing that, Referer) names this host. Browsers send Origin on every POST.
func sameOrigin(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	if origin == "" {
		origin = c.GetHeader("Referer")
	}
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == c.Request.Host
}

// devSignIn is `teletraan dev`'s local login link: the key it printed signs in the local
// user, whom the dev stack maps to ADMIN.
func (s *server) devSignIn(c *gin.Context) {
	if subtle.ConstantTimeCompare([]byte(c.Query("key")), []byte(s.people.DevLoginKey)) != 1 {
		s.signInFailed(c, core.Errorf(core.EUNAUTHORIZED, "this dev login link is not the one teletraan dev printed"))
		return
	}
	caller, err := s.openSession(c, schema.SessionSpec{Subject: s.people.DevUser, Email: s.people.DevUser, Via: schema.SessionViaDev})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(callerKey{}, caller)
	c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
}

// signOut ends the board session (it needs the session's CSRF token, so no other site can
// sign a browser out) and sends the browser to the sign-in page.
func (s *server) signOut(c *gin.Context) {
	secret, err := c.Cookie(sessionCookie)
	if err != nil || secret == "" {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	caller, err := s.sessionCaller(c.Request.Context(), secret, nil)
	if err == nil {
		c.Set(callerKey{}, caller)
		if err := checkCSRF(c, caller); err != nil {
			s.fail(c, err)
			return
		}
	}
	// A session that no longer holds (expired, or a proxy's) is deleted all the same.
	if err := s.sessions.DeleteSession(c.Request.Context(), secret); err != nil {
		s.fail(c, err)
		return
	}
	clearSessionCookie(c, s.secureCookies(c))
	c.Redirect(http.StatusSeeOther, "/login?"+url.Values{"why": {"You are signed out."}}.Encode())
}

// signInConfig is the answer of GET /v1/auth/config: how people sign in here.
type signInConfig struct {
	// Issuer and CLIClientID are what `teletraan login` needs; empty without a provider.
	Issuer      string   `json:"issuer,omitempty"`
	CLIClientID string   `json:"cliClientId,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	// Methods lists the ways to sign in on the board: oidc, proxy, token, dev.
	Methods []string `json:"methods"`
}

// signInConfig answers GET /v1/auth/config; it is open, and holds no secret.
func (s *server) signInConfig(c *gin.Context) {
	c.JSON(http.StatusOK, s.signInOptions())
}

func (s *server) signInOptions() signInConfig {
	out := signInConfig{Methods: []string{}}
	if s.oidc != nil {
		out.Issuer, out.CLIClientID, out.Scopes = s.oidc.cfg.Issuer, s.oidc.cfg.CLIClientID, slices.Clone(s.oidc.cfg.Scopes)
		out.Methods = append(out.Methods, "oidc")
	}
	if s.people.Proxy != nil {
		out.Methods = append(out.Methods, "proxy")
	}
	out.Methods = append(out.Methods, "token")
	return out
}

// callerView is the answer of GET /v1/auth/token: who the caller is and what it may do.
type callerView struct {
	// Kind is "token" or "person".
	Kind string `json:"kind"`
	// Name is what the caller's actions record: a token's name or a person's email.
	Name string `json:"name"`
	// Via says how the caller authenticated (token, session:oidc, oidc-id-token, proxy, ...).
	Via string `json:"via"`
	// Role is the token's role, or the person's role in every environment ("" for none).
	Role  string `json:"role"`
	Scope string `json:"scope"`
	// EnvRoles are a person's roles in the environments that exist, where they differ from Role.
	EnvRoles  map[string]string `json:"envRoles,omitempty"`
	Email     string            `json:"email,omitempty"`
	Groups    []string          `json:"groups,omitempty"`
	ExpiresAt *string           `json:"expiresAt,omitempty"`
	// CanOperate says whether the caller may deploy and act on stages: every stage when
	// Scope is "*", else the stages of the environment Scope names (or of EnvRoles).
	CanOperate bool `json:"canOperate"`
	// CanPublish says whether the caller may publish builds.
	CanPublish bool `json:"canPublish"`
	// CSRFToken is what the board sends back in X-CSRF-Token on every change it makes with
	// its session; only a session's own pages can read it.
	CSRFToken string `json:"csrfToken,omitempty"`
}

// whoAmI describes the caller; the board asks it to offer only the buttons the caller
// can use, and `teletraan whoami` prints it.
func (s *server) whoAmI(c *gin.Context) {
	caller := CallerFrom(c)
	if caller == nil {
		s.fail(c, core.Errorf(core.EUNAUTHORIZED, "nobody is signed in: %s", howToAuthenticate))
		return
	}
	v := callerView{Kind: "token", Name: caller.Name(), Via: caller.Via, CSRFToken: caller.csrf, Scope: "*"}
	if t := caller.Token; t != nil {
		tv := tokenJSON(t)
		v.Role, v.Scope, v.ExpiresAt, v.CanOperate, v.CanPublish = tv.Role, tv.Scope, tv.ExpiresAt, tv.CanOperate, tv.CanPublish
		c.JSON(http.StatusOK, v)
		return
	}
	p := caller.Person
	v.Kind, v.Email, v.Groups = "person", p.Email, p.Groups
	v.Role, _ = caller.roleIn("")
	if stages, err := s.stages.ListStages(c.Request.Context(), schema.StageFilter{}); err == nil {
		for _, st := range stages {
			env := st.EnvName
			if r, _ := caller.roleIn(env); r != v.Role {
				if v.EnvRoles == nil {
					v.EnvRoles = map[string]string{}
				}
				v.EnvRoles[env] = r
			}
		}
	}
	v.CanOperate = allows(caller.bestRole(), schema.RoleOperator)
	v.CanPublish = allows(caller.bestRole(), schema.RolePublisher)
	c.JSON(http.StatusOK, v)
}
