package api

import (
	"context"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// cacheUnderTest is a token cache on a fresh store whose staleness clock the test moves.
type cacheUnderTest struct {
	t     *testing.T
	store *schema.Store
	cache *tokenCache
	clock time.Time
}

func newCacheUnderTest(t *testing.T, ttl time.Duration) *cacheUnderTest {
	c := &cacheUnderTest{t: t, store: schematest.SQLite(t), clock: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	c.cache = newTokenCache(c.store, ttl)
	c.cache.now = func() time.Time { return c.clock }
	return c
}

func (c *cacheUnderTest) create(spec schema.TokenSpec) string {
	c.t.Helper()
	secret, _, err := c.store.CreateToken(context.Background(), spec)
	if err != nil {
		c.t.Fatalf("create token %s: %v", spec.Name, err)
	}
	return secret
}

// accepts fails the test unless secret authenticates as name.
func (c *cacheUnderTest) accepts(secret, name string) {
	c.t.Helper()
	tok, err := c.cache.authenticate(context.Background(), secret)
	if err != nil || tok.Name != name {
		c.t.Fatalf("authenticate = %+v, %v; want token %s", tok, err, name)
	}
}

// refuses fails the test unless secret is refused as unauthorized.
func (c *cacheUnderTest) refuses(secret, why string) {
	c.t.Helper()
	if tok, err := c.cache.authenticate(context.Background(), secret); core.ErrorCode(err) != core.EUNAUTHORIZED {
		c.t.Fatalf("authenticate (%s) = %+v, %v; want EUNAUTHORIZED", why, tok, err)
	}
}

func (c *cacheUnderTest) revoke(name string) {
	c.t.Helper()
	if err := c.store.RevokeToken(context.Background(), name); err != nil {
		c.t.Fatalf("revoke %s: %v", name, err)
	}
}

func TestTokenCacheServesHitsUntilTheTTLPasses(t *testing.T) {
	c := newCacheUnderTest(t, 10*time.Second)
	secret := c.create(schema.TokenSpec{Name: "pinger", Role: schema.RolePinger})
	c.accepts(secret, "pinger")

	// Revoked in the database, the token is still a hit: no query was made.
	c.revoke("pinger")
	c.clock = c.clock.Add(9 * time.Second)
	c.accepts(secret, "pinger")

	// Once the entry is ttl old the database is asked again and refuses.
	c.clock = c.clock.Add(time.Second)
	c.refuses(secret, "revoked, cache entry stale")
	if len(c.cache.entries) != 0 {
		t.Fatalf("a refused token stays cached: %d entries", len(c.cache.entries))
	}
}

func TestTokenCacheRefusesAnExpiredTokenAtOnce(t *testing.T) {
	c := newCacheUnderTest(t, time.Hour)
	storeNow := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c.store.SetClock(func() time.Time { return storeNow })
	expires := storeNow.Add(time.Minute)
	secret := c.create(schema.TokenSpec{Name: "ci", Role: schema.RolePublisher, ExpiresAt: &expires})
	c.accepts(secret, "ci")

	// The entry is fresh for another hour, but the token's own expiry wins.
	storeNow = expires
	c.refuses(secret, "expired while cached")
}

func TestTokenCacheDoesNotRememberFailures(t *testing.T) {
	c := newCacheUnderTest(t, time.Hour)
	secret := "tt_created-after-a-failed-try"
	c.refuses(secret, "not created yet")
	c.create(schema.TokenSpec{Name: "late", Role: schema.RolePinger, Secret: secret})
	c.accepts(secret, "late")
}

func TestTokenCacheHandsOutCopies(t *testing.T) {
	c := newCacheUnderTest(t, time.Hour)
	secret := c.create(schema.TokenSpec{Name: "pinger", Role: schema.RolePinger})
	tok, err := c.cache.authenticate(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	tok.Name = "changed by a handler"
	c.accepts(secret, "pinger")
}

func TestTokenCacheOfZeroTTLAsksEveryTime(t *testing.T) {
	c := newCacheUnderTest(t, 0)
	secret := c.create(schema.TokenSpec{Name: "pinger", Role: schema.RolePinger})
	c.accepts(secret, "pinger")
	c.revoke("pinger")
	c.refuses(secret, "revoked, no cache")
}
