package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

type tokenKey struct{}

// TokenFrom returns the token that authenticated the request, or nil when the request
// carried none (reads are open). Handlers and the coming access-control checks read the
// caller's name and role from it.
func TokenFrom(c *gin.Context) *schema.Token {
	v, _ := c.Get(tokenKey{})
	t, _ := v.(*schema.Token)
	return t
}

// authenticate requires a valid token on every method that changes state. Reads stay open
// until roles are enforced; that check belongs right after the token is stored below, where
// both the token and the route (c.FullPath()) are known.
func (s *server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			c.Next()
			return
		}
		secret, err := bearerSecret(c.GetHeader("Authorization"))
		if err != nil {
			s.fail(c, err)
			return
		}
		token, err := s.store.Authenticate(c.Request.Context(), secret)
		if err != nil {
			s.fail(c, fmt.Errorf("authenticate %s %s: %w", c.Request.Method, c.Request.URL.Path, err))
			return
		}
		c.Set(tokenKey{}, token)
		c.Next()
	}
}

// bearerSecret extracts the secret from "Bearer <secret>" or Teletraan's "token <secret>";
// scheme names are case-insensitive (RFC 9110), so existing Teletraan clients keep working.
func bearerSecret(header string) (string, error) {
	if strings.TrimSpace(header) == "" {
		return "", schema.Errorf(schema.EUNAUTHORIZED, "this request changes state and needs a token: send Authorization: Bearer <token>")
	}
	// The scheme is not echoed in errors: a client that sends a bare secret would see it
	// quoted back, and responses end up in logs and bug reports.
	scheme, secret, _ := strings.Cut(strings.TrimSpace(header), " ")
	secret = strings.TrimSpace(secret)
	if (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "token")) || secret == "" {
		return "", schema.Errorf(schema.EUNAUTHORIZED, `the Authorization header must be "Bearer <token>" (or Teletraan's "token <token>")`)
	}
	return secret, nil
}

// callerName returns the authenticated token's name, recorded as the operator or publisher
// of a change. A missing token means a mutating route escaped authenticate: a wiring bug
// that must fail loudly rather than record changes by nobody.
func callerName(c *gin.Context) (string, error) {
	t := TokenFrom(c)
	if t == nil {
		return "", errors.New("no authenticated token on a mutating route: authenticate is not installed on it")
	}
	return t.Name, nil
}

// authoredBody decodes a mutating request's JSON body into v and returns the caller's name,
// which the handler records as the operator.
func authoredBody(c *gin.Context, v any) (string, error) {
	operator, err := callerName(c)
	if err != nil {
		return "", err
	}
	return operator, decodeJSON(c, v)
}
