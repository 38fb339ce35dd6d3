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

type tokenKey struct{}

// TokenFrom returns the token that authenticated the request, or nil when the request
// carried none (reads are open). Handlers read the caller's name and scope from it.
func TokenFrom(c *gin.Context) *schema.Token {
	v, _ := c.Get(tokenKey{})
	t, _ := v.(*schema.Token)
	return t
}

// authenticate requires a valid token on every method that changes state and on the reads
// that have an access rule, and one whose role and scope allow the route (authorize).
// Other reads stay open.
func (s *server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			if _, closed := accessRules[c.Request.Method+" "+c.FullPath()]; !closed {
				c.Next()
				return
			}
		}
		if rule := accessRules[c.Request.Method+" "+c.FullPath()]; rule.stageSecret && c.GetHeader("Authorization") == "" && alertSecretOf(c) != "" {
			// The handler checks the secret against the stage's.
			c.Next()
			return
		}
		token, err := s.tokenOf(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		// Set before the decision, so that the audit trail names whoever was refused.
		c.Set(tokenKey{}, token)
		if err := authorize(token, c.Request.Method, c.FullPath(), c.Param("env")); err != nil {
			s.fail(c, err)
			return
		}
		c.Next()
	}
}

// tokenOf authenticates the request's Authorization header.
func (s *server) tokenOf(c *gin.Context) (*schema.Token, error) {
	secret, err := bearerSecret(c.GetHeader("Authorization"))
	if err != nil {
		return nil, err
	}
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
		return "", core.Errorf(core.EUNAUTHORIZED, "this request changes state and needs a token: send Authorization: Bearer <token>")
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
