package api

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// People configures how people sign in. With none of OIDC, Proxy and DevLoginKey set,
// people sign in on the board with an API token, and the CLI uses tokens.
type People struct {
	// OIDC signs people in at an OpenID provider: the board by the authorization code
	// flow with PKCE, `teletraan login` by a loopback redirect whose ID token the API
	// then accepts as a bearer credential.
	OIDC *OIDCConfig
	// Proxy trusts a reverse proxy's header naming the person (oauth2-proxy style).
	Proxy *ProxyConfig
	// Roles gives people their role per environment.
	Roles RoleMapping
	// SessionTTL is how long a board session lasts; 0 means 12 hours.
	SessionTTL time.Duration
	// SecureCookies marks the session cookie Secure even when the request arrived over
	// plain HTTP (a TLS-terminating proxy in front); requests over TLS always get it.
	SecureCookies bool
	// DevLoginKey, when set, lets GET /auth/dev?key=<DevLoginKey> sign in DevUser (the
	// local login link `teletraan dev` prints). Never set it on a shared server.
	DevLoginKey string
	// DevUser is the email the dev login signs in.
	DevUser string
}

// ProxyConfig trusts a reverse proxy that authenticates people and names them in a header.
type ProxyConfig struct {
	// UserHeader names the person's email (X-Forwarded-Email for oauth2-proxy).
	UserHeader string
	// GroupsHeader lists their groups, comma-separated (X-Forwarded-Groups); optional.
	GroupsHeader string
	// Trusted are the proxies' addresses: the header from any other address is refused.
	Trusted []netip.Prefix
}

// sessionStore is what sessions ask of the store.
type sessionStore interface {
	CreateSession(ctx context.Context, spec schema.SessionSpec) (string, *schema.Session, error)
	SessionBySecret(ctx context.Context, secret string) (*schema.Session, error)
	DeleteSession(ctx context.Context, secret string) error
	TokenByID(ctx context.Context, id string) (*schema.Token, error)
}

const (
	// sessionCookie holds the board session's secret.
	sessionCookie = "teletraan_session"
	// csrfHeader carries the session's CSRF token on every change the board sends.
	csrfHeader = "X-CSRF-Token"
)

// callerOf finds who sent the request: an Authorization header (an API token, or an ID
// token from `teletraan login`), else the board's session cookie, else a trusted proxy's
// header. It returns nil and no error when the request carries no credential at all, and
// an EUNAUTHORIZED error when it carries one that does not hold.
func (s *server) callerOf(c *gin.Context) (*Caller, error) {
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); strings.TrimSpace(h) != "" {
		secret, err := bearerSecret(h)
		if err != nil {
			return nil, err
		}
		if s.oidc != nil && looksLikeJWT(secret) {
			p, err := s.oidc.verifyBearer(ctx, secret)
			if err != nil {
				return nil, err
			}
			return &Caller{Person: p, Via: viaIDToken, roles: &s.people.Roles}, nil
		}
		t, err := s.tokenOfSecret(c, secret)
		if err != nil {
			return nil, err
		}
		return &Caller{Token: t, Via: viaToken}, nil
	}
	proxied, err := s.proxyPerson(c)
	if err != nil {
		return nil, err
	}
	if secret, err := c.Cookie(sessionCookie); err == nil && secret != "" {
		caller, err := s.sessionCaller(ctx, secret, proxied)
		if err != nil {
			return nil, err
		}
		return caller, nil
	}
	if proxied != nil {
		return &Caller{Person: proxied, Via: viaProxy, roles: &s.people.Roles}, nil
	}
	return nil, nil
}

// sessionCaller is the caller of a session cookie. A session opened from the proxy's
// header holds only while the proxy still names the same person, so a stolen cookie is
// worthless without the proxy.
func (s *server) sessionCaller(ctx context.Context, secret string, proxied *Person) (*Caller, error) {
	sess, err := s.sessions.SessionBySecret(ctx, secret)
	if err != nil {
		return nil, err
	}
	caller := &Caller{Via: viaSessionPart + sess.Via, csrf: sess.CSRF, roles: &s.people.Roles}
	if sess.TokenID != "" {
		if caller.Token, err = s.sessions.TokenByID(ctx, sess.TokenID); err != nil {
			return nil, err
		}
		return caller, nil
	}
	if sess.Via == schema.SessionViaProxy && (proxied == nil || !strings.EqualFold(proxied.Email, sess.Email)) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "this session was opened through the sign-in proxy, and this request did not come through it as %s: sign in again", sess.Email)
	}
	caller.Person = &Person{Subject: sess.Subject, Email: sess.Email, Name: sess.DisplayName, Groups: sess.Groups()}
	return caller, nil
}

// proxyPerson reads the trusted proxy's header. The header from an address that is not a
// configured proxy is refused outright: whoever sent it is forging an identity.
func (s *server) proxyPerson(c *gin.Context) (*Person, error) {
	px := s.people.Proxy
	if px == nil {
		return nil, nil
	}
	email := strings.TrimSpace(c.GetHeader(px.UserHeader))
	if email == "" {
		return nil, nil
	}
	if !fromTrustedProxy(c.Request.RemoteAddr, px.Trusted) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the %s header came from %s, which is not a trusted sign-in proxy: refused (the server trusts it only from its --auth-proxy-cidr addresses)", px.UserHeader, remoteHost(c.Request.RemoteAddr))
	}
	if err := core.CheckText(px.UserHeader, email); err != nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the proxy's %s header: %v", px.UserHeader, err)
	}
	p := &Person{Subject: email, Email: email}
	if px.GroupsHeader != "" {
		for _, g := range strings.Split(c.GetHeader(px.GroupsHeader), ",") {
			if g = strings.TrimSpace(g); g != "" {
				p.Groups = append(p.Groups, g)
			}
		}
	}
	return p, nil
}

// fromTrustedProxy reports whether the connection's peer is one of the trusted proxies.
// It reads the TCP peer, never X-Forwarded-For, which the client writes.
func fromTrustedProxy(remoteAddr string, trusted []netip.Prefix) bool {
	addr, err := netip.ParseAddr(remoteHost(remoteAddr))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func remoteHost(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}

// checkCSRF refuses a change that rides on the board's session cookie without the
// session's CSRF token, so that another site cannot make a signed-in browser act. A
// change through the proxy needs a session too (the board opens one on its first page).
func checkCSRF(c *gin.Context, caller *Caller) error {
	if isRead(c.Request.Method) {
		return nil
	}
	switch {
	case caller.Via == viaProxy:
		return core.Errorf(core.EFORBIDDEN, "a change through the sign-in proxy needs the board's session and its CSRF token: load a board page first, or use an API token")
	case strings.HasPrefix(caller.Via, viaSessionPart):
		sent := c.GetHeader(csrfHeader)
		if sent == "" {
			sent = c.PostForm("csrf")
		}
		if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(caller.csrf)) != 1 {
			return core.Errorf(core.EFORBIDDEN, "a change made with the board's session must send the session's %s header (the board's pages do): reload the page and try again", csrfHeader)
		}
	}
	return nil
}

// openPaths answer without a caller: health, metrics, the board's static files and the
// sign-in pages.
func openPath(p string) bool {
	switch p {
	case "/healthz", "/metrics", "/login", "/favicon.ico":
		return true
	}
	return strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/auth/")
}

// guardPages asks every board page (every path outside /v1 that is not open) for a
// caller; a browser without one is sent to the sign-in page, which brings it back. A
// person the proxy names gets a session on their first page, so that the board's changes
// carry a CSRF token.
func (s *server) guardPages() gin.HandlerFunc {
	return func(c *gin.Context) {
		p := c.Request.URL.Path
		if p == "/v1" || strings.HasPrefix(p, "/v1/") || openPath(p) {
			c.Next()
			return
		}
		caller, err := s.callerOf(c)
		if err == nil && caller != nil && caller.Via == viaProxy {
			caller, err = s.openSession(c, schema.SessionSpec{Subject: caller.Person.Subject, Email: caller.Person.Email,
				Groups: caller.Person.Groups, Via: schema.SessionViaProxy})
		}
		switch {
		case err == nil && caller != nil:
			if err := mayReadPage(caller, c.Param("env")); err != nil {
				s.refusePage(c, err)
				return
			}
			c.Set(callerKey{}, caller)
			c.Next()
			return
		case err == nil && s.openReads && isRead(c.Request.Method):
			c.Next()
			return
		case !isRead(c.Request.Method):
			if err == nil {
				err = core.Errorf(core.EUNAUTHORIZED, "%s", howToAuthenticate)
			}
			s.fail(c, err)
			return
		}
		q := url.Values{"next": {c.Request.URL.RequestURI()}}
		if err != nil {
			q.Set("why", core.ErrorMessage(err))
			clearSessionCookie(c, s.secureCookies(c))
		}
		c.Redirect(http.StatusSeeOther, "/login?"+q.Encode())
		c.Abort()
	}
}

// mayReadPage decides whether caller may see a board page: a page of one environment's
// stage needs a role that reads there, any other page a role that reads somewhere.
func mayReadPage(caller *Caller, env string) error {
	role := caller.bestRole()
	if env != "" {
		r, err := caller.roleIn(env)
		if err != nil {
			return err
		}
		role = r
	}
	if !allows(role, schema.RoleReader) {
		return core.Errorf(core.EFORBIDDEN, "%s may not read the board here: it needs READER or above", caller.describe())
	}
	return nil
}

// openSession opens a board session for spec, sets its cookie and returns its caller.
func (s *server) openSession(c *gin.Context, spec schema.SessionSpec) (*Caller, error) {
	spec.TTL = s.sessionTTL()
	secret, sess, err := s.sessions.CreateSession(c.Request.Context(), spec)
	if err != nil {
		return nil, err
	}
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(sessionCookie, secret, int(spec.TTL/time.Second), "/", "", s.secureCookies(c), true)
	caller := &Caller{Via: viaSessionPart + sess.Via, csrf: sess.CSRF, roles: &s.people.Roles}
	if spec.TokenID != "" {
		caller.Token, err = s.sessions.TokenByID(c.Request.Context(), spec.TokenID)
		return caller, err
	}
	caller.Person = &Person{Subject: sess.Subject, Email: sess.Email, Name: sess.DisplayName, Groups: sess.Groups()}
	return caller, nil
}

// clearSessionCookie tells the browser to forget its session cookie.
func clearSessionCookie(c *gin.Context, secure bool) {
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(sessionCookie, "", -1, "/", "", secure, true)
}

func (s *server) sessionTTL() time.Duration {
	if s.people.SessionTTL > 0 {
		return s.people.SessionTTL
	}
	return 12 * time.Hour
}

// secureCookies reports whether cookies must be Secure: over TLS, or when configured so
// (TLS ends at a proxy), or when the provider sends people back to an https address.
func (s *server) secureCookies(c *gin.Context) bool {
	if c.Request.TLS != nil || s.people.SecureCookies {
		return true
	}
	return s.people.OIDC != nil && strings.HasPrefix(s.people.OIDC.RedirectURL, "https://")
}
