package api

import (
	"testing"
	"time"
)

func TestIdentityCacheMatchesOnlyTheSamePingWithinItsTTL(t *testing.T) {
	now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	ic := newIdentityCache(10 * time.Second)
	ic.now = func() time.Time { return now }
	ic.remember("h1", "fleet", "hash-a", true)
	for _, tc := range []struct {
		name              string
		host, token, hash string
		canBind           bool
		after             time.Duration
		want              bool
	}{
		{"the same ping", "h1", "fleet", "hash-a", true, 0, true},
		{"just before the TTL", "h1", "fleet", "hash-a", true, 9 * time.Second, true},
		{"at the TTL", "h1", "fleet", "hash-a", true, 10 * time.Second, false},
		{"another credential", "h1", "fleet", "hash-b", true, 0, false},
		{"no credential", "h1", "fleet", "", true, 0, false},
		{"another token", "h1", "other", "hash-a", true, 0, false},
		{"another binding ability", "h1", "fleet", "hash-a", false, 0, false},
		{"another host", "h2", "fleet", "hash-a", true, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ic.now = func() time.Time { return now.Add(tc.after) }
			if got := ic.accepted(tc.host, tc.token, tc.hash, tc.canBind); got != tc.want {
				t.Fatalf("accepted = %v, want %v", got, tc.want)
			}
		})
	}
	ic.now = func() time.Time { return now }
	ic.forget("h1")
	if ic.accepted("h1", "fleet", "hash-a", true) {
		t.Fatal("a forgotten host is still accepted")
	}
	ic.remember("h1", "fleet", "hash-a", true)
	ic.forgetAll()
	if ic.accepted("h1", "fleet", "hash-a", true) {
		t.Fatal("forgetAll kept an entry")
	}
	off := newIdentityCache(0)
	off.remember("h1", "fleet", "hash-a", true)
	if off.accepted("h1", "fleet", "hash-a", true) {
		t.Fatal("a TTL of 0 caches nothing")
	}
}
