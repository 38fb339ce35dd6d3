package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// authenticate finds the caller of every /v1 route but the open ones and checks that its
// role and scope allow the route (authorize). A read without any credential passes only
// when the server opens reads to anonymous viewers (Deps.OpenReads); a change made with
// the board's session cookie must send the session's CSRF token back.
func (s *server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		route := c.FullPath()
		if rule, ok := accessRules[c.Request.Method+" "+route]; ok && rule.open {
			c.Next()
			return
		}
		if rule := accessRules[c.Request.Method+" "+route]; rule.stageSecret && c.GetHeader("Authorization") == "" && alertSecretOf(c) != "" {
			// The handler checks the secret against the stage's.
			c.Next()
			return
		}
		caller, err := s.callerOf(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		if caller == nil {
			if s.openReads && isRead(c.Request.Method) {
				c.Next()
				return
			}
			s.fail(c, core.Errorf(core.EUNAUTHORIZED, "%s %s needs a caller: %s", c.Request.Method, route, howToAuthenticate))
			return
		}
		// Set before the decision, so that the audit trail names whoever was refused.
		c.Set(callerKey{}, caller)
		if err := checkCSRF(c, caller); err != nil {
			s.fail(c, err)
			return
		}
		if err := authorize(caller, c.Request.Method, route, c.Param("env")); err != nil {
			s.fail(c, err)
			return
		}
		c.Next()
	}
}

// howToAuthenticate is what a 401 tells a caller that sent no credential.
const howToAuthenticate = `send "Authorization: Bearer <token>" (Teletraan's agents send "Authorization: token <token>"), ` +
	`sign in on the board (/login), or run "teletraan login"`

// isRead reports whether method only reads.
func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// tokenOf authenticates the request's Authorization header as an API token.
func (s *server) tokenOf(c *gin.Context) (*schema.Token, error) {
	secret, err := bearerSecret(c.GetHeader("Authorization"))
	if err != nil {
		return nil, err
	}
	return s.tokenOfSecret(c, secret)
}

func (s *server) tokenOfSecret(c *gin.Context, secret string) (*schema.Token, error) {
	token, err := s.tokens.authenticate(c.Request.Context(), secret)
	if err != nil {
		return nil, fmt.Errorf("authenticate %s %s: %w", c.Request.Method, c.Request.URL.Path, err)
	}
	return token, nil
}

// bearerSecret extracts the secret from "Bearer <secret>" or Teletraan's "token <secret>";
// scheme names are case-insensitive (RFC 9110), so existing Teletraan clients keep working.
func bearerSecret(header string) (string, error) {
	if strings.TrimSpace(header) == "" {
		return "", core.Errorf(core.EUNAUTHORIZED, "this request needs a caller: %s", howToAuthenticate)
	}
	// The scheme is not echoed in errors: a client that sends a bare secret would see it
	// quoted back, and responses end up in logs and bug reports.
	scheme, secret, _ := strings.Cut(strings.TrimSpace(header), " ")
	secret = strings.TrimSpace(secret)
	if (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "token")) || secret == "" {
		return "", core.Errorf(core.EUNAUTHORIZED, `the Authorization header must be "Bearer <token>" (or Teletraan's "token <token>")`)
	}
	return secret, nil
}

// callerName returns the authenticated caller's name (a person's email or a token's
// name), recorded as the operator or publisher of a change. A missing caller means a
// mutating route escaped authenticate: a wiring bug that must fail loudly rather than
// record changes by nobody.
func callerName(c *gin.Context) (string, error) {
	caller := CallerFrom(c)
	if caller == nil {
		return "", errors.New("no authenticated caller on a mutating route: authenticate is not installed on it")
	}
	return caller.Name(), nil
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

// tokenStore is what the token cache asks of the store.
type tokenStore interface {
	Authenticate(ctx context.Context, secret string) (*schema.Token, error)
	CheckTokenExpiry(t *schema.Token) error
}

// maxCachedTokens bounds the token cache. Only tokens that authenticated are cached, so
// the bound guards against a deployment with very many tokens, not against attackers.
const maxCachedTokens = 4096

// tokenCache remembers, per router, which token secrets authenticated recently, so that a
// ping (the most frequent request by far) does not cost a token query.
//
// A cached token stays accepted for up to ttl after it was revoked in the database, on
// every replica independently: revocation is not instant. Expiry is: every hit checks the
// token's expires_at against the store's clock. Failures are never cached, so a token
// created a moment ago works at once. A ttl of 0 disables the cache.
type tokenCache struct {
	store tokenStore
	ttl   time.Duration
	now   func() time.Time // when entries go stale; tests replace it

	mu      sync.Mutex
	entries map[[sha256.Size]byte]cachedToken
}

// cachedToken is a verified token and when it must be verified again.
type cachedToken struct {
	token   schema.Token
	staleAt time.Time
}

func newTokenCache(store tokenStore, ttl time.Duration) *tokenCache {
	return &tokenCache{store: store, ttl: max(ttl, 0), now: time.Now, entries: map[[sha256.Size]byte]cachedToken{}}
}

// authenticate returns the token of secret, from the cache when it was verified less than
// ttl ago. Each caller gets its own copy, so no handler can change another's token.
func (tc *tokenCache) authenticate(ctx context.Context, secret string) (*schema.Token, error) {
	if tc.ttl == 0 {
		return tc.store.Authenticate(ctx, secret)
	}
	// The key is a digest, so the cache holds no usable secrets.
	key := sha256.Sum256([]byte(secret))
	now := tc.now()
	tc.mu.Lock()
	e, ok := tc.entries[key]
	tc.mu.Unlock()
	if ok && now.Before(e.staleAt) {
		t := e.token
		if err := tc.store.CheckTokenExpiry(&t); err != nil {
			return nil, err
		}
		return &t, nil
	}
	t, err := tc.store.Authenticate(ctx, secret)
	if err != nil {
		if ok {
			tc.forget(key)
		}
		return nil, err
	}
	tc.remember(key, cachedToken{token: *t, staleAt: now.Add(tc.ttl)})
	return t, nil
}

// remember stores an entry, first dropping stale entries when the cache is full; if all
// are fresh it starts over rather than grow without bound.
func (tc *tokenCache) remember(key [sha256.Size]byte, e cachedToken) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.entries) >= maxCachedTokens {
		now := tc.now()
		for k, old := range tc.entries {
			if !now.Before(old.staleAt) {
				delete(tc.entries, k)
			}
		}
		if len(tc.entries) >= maxCachedTokens {
			clear(tc.entries)
		}
	}
	tc.entries[key] = e
}

func (tc *tokenCache) forget(key [sha256.Size]byte) {
	tc.mu.Lock()
	delete(tc.entries, key)
	tc.mu.Unlock()
}
