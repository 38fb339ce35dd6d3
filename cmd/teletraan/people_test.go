package main

import (
	"strings"
	"testing"
)

func TestAccessFlagsRefuseAnIncompleteSetup(t *testing.T) {
	tests := []struct {
		name    string
		flags   accessFlags
		refusal string
	}{
		{"issuer without a client", accessFlags{oidcIssuer: "https://login.example.com"}, "needs --oidc-client-id and --oidc-redirect-url"},
		{"redirect elsewhere", accessFlags{oidcIssuer: "https://login.example.com", oidcClientID: "b", oidcRedirectURL: "https://t.example.com/callback"}, "must end in /auth/oidc/callback"},
		{"proxy without addresses", accessFlags{proxyUserHeader: "X-Forwarded-Email"}, "needs --auth-proxy-cidr"},
		{"a bad proxy address", accessFlags{proxyUserHeader: "X-Forwarded-Email", proxyCIDRs: []string{"10.0.0.0/33"}}, `"10.0.0.0/33" is neither an address nor a CIDR`},
		{"a bad role rule", accessFlags{roleRules: []string{"group:ops=ROOT"}}, `--role: role rule for group ops: role "ROOT"`},
		{"a bad default role", accessFlags{defaultRole: "pinger"}, `default role "PINGER"`},
		{"a short session", accessFlags{sessionTTL: 1}, "--session-ttl"},
	}
	for _, tt := range tests {
		if _, err := tt.flags.people(); err == nil || !strings.Contains(err.Error(), tt.refusal) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.refusal)
		}
	}
	f := accessFlags{oidcIssuer: "https://login.example.com", oidcClientID: "board", oidcRedirectURL: "https://t.example.com/auth/oidc/callback",
		proxyUserHeader: "X-Forwarded-Email", proxyCIDRs: []string{"10.0.4.7", "10.1.0.0/16"}, roleRules: []string{"group:ops=OPERATOR@web"}, defaultRole: "reader"}
	t.Setenv("TELETRAAN_OIDC_CLIENT_SECRET", "from-the-environment")
	p, err := f.people()
	if err != nil {
		t.Fatal(err)
	}
	if p.OIDC.ClientSecret != "from-the-environment" || p.Proxy.Trusted[0].String() != "10.0.4.7/32" || p.Roles.Default != "READER" || len(p.Roles.Rules) != 1 {
		t.Fatalf("people = %+v (oidc %+v, proxy %+v)", p, p.OIDC, p.Proxy)
	}
}
