package api

import (
	"net/netip"
	"testing"
)

func TestSafeNextStaysOnThisSite(t *testing.T) {
	for next, want := range map[string]string{
		"":                          "/",
		"/envs/hello/prod?x=1":      "/envs/hello/prod?x=1",
		"//evil.example.com/":       "/",
		"/\\evil.example.com":       "/",
		"https://evil.example.com/": "/",
		"envs/hello":                "/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestFromTrustedProxyReadsTheTCPPeer(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.4.0/24"), netip.MustParsePrefix("fd00::/8")}
	for addr, want := range map[string]bool{
		"10.0.4.7:51234":          true,
		"[::ffff:10.0.4.7]:51234": true,
		"10.0.5.7:51234":          false,
		"[fd00::1]:443":           true,
		"192.0.2.1:1":             false,
		"not an address":          false,
	} {
		if got := fromTrustedProxy(addr, trusted); got != want {
			t.Errorf("fromTrustedProxy(%q) = %t, want %t", addr, got, want)
		}
	}
}

func TestLooksLikeJWTTellsIDTokensFromAPITokens(t *testing.T) {
	if !looksLikeJWT("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln") || looksLikeJWT("tt_abcDEF-123_xyz") {
		t.Fatal("looksLikeJWT confuses an ID token with an API token")
	}
}
