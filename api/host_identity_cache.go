package api

import (
	"sync"
	"time"
)

// maxCachedIdentities bounds the identity cache: one entry per host pinging this replica
// within the TTL, which covers a fleet of this size per replica.
const maxCachedIdentities = 200_000

// identityCache remembers, per router, the hosts whose pings were plainly accepted by the
// identity rule (no claim, issue or confirmation to record), so that a host's steady
// heartbeat does not cost an identity query: the common ping is then one read of the
// host's state. An entry matches only the same token, the same presented credential and
// the same binding ability, and only for the token cache's TTL: like a revoked token, a
// host whose identity an operator resets may be accepted on its old credential by each
// replica for up to that long. Refusals and anything that changes the binding are never
// cached. A TTL of 0 disables the cache.
type identityCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]acceptedIdentity
}

// acceptedIdentity is what a plainly accepted ping of a host presented, and until when
// it is trusted again without asking the store.
type acceptedIdentity struct {
	tokenName, presentedHash string
	canBind                  bool
	staleAt                  time.Time
}

func newIdentityCache(ttl time.Duration) *identityCache {
	return &identityCache{ttl: max(ttl, 0), now: time.Now, entries: map[string]acceptedIdentity{}}
}

// accepted reports whether a ping of hostID with these credentials was plainly accepted
// less than the TTL ago.
func (ic *identityCache) accepted(hostID, tokenName, presentedHash string, canBind bool) bool {
	if ic.ttl == 0 {
		return false
	}
	ic.mu.Lock()
	e, ok := ic.entries[hostID]
	ic.mu.Unlock()
	return ok && ic.now().Before(e.staleAt) && e.tokenName == tokenName && e.presentedHash == presentedHash && e.canBind == canBind
}

// remember records a plain acceptance, first dropping stale entries when the cache is
// full (and starting over if all are fresh, rather than grow without bound).
func (ic *identityCache) remember(hostID, tokenName, presentedHash string, canBind bool) {
	if ic.ttl == 0 {
		return
	}
	now := ic.now()
	ic.mu.Lock()
	defer ic.mu.Unlock()
	if len(ic.entries) >= maxCachedIdentities {
		for k, e := range ic.entries {
			if !now.Before(e.staleAt) {
				delete(ic.entries, k)
			}
		}
		if len(ic.entries) >= maxCachedIdentities {
			clear(ic.entries)
		}
	}
	ic.entries[hostID] = acceptedIdentity{tokenName: tokenName, presentedHash: presentedHash, canBind: canBind, staleAt: now.Add(ic.ttl)}
}

// forget drops hostID's entry: its binding changed, or it was refused.
func (ic *identityCache) forget(hostID string) {
	ic.mu.Lock()
	delete(ic.entries, hostID)
	ic.mu.Unlock()
}

// forgetAll drops every entry.
func (ic *identityCache) forgetAll() {
	ic.mu.Lock()
	clear(ic.entries)
	ic.mu.Unlock()
}
