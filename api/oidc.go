package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// OIDCConfig is the server's relying-party registration at an OpenID provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read on first use.
	Issuer string
	// ClientID and ClientSecret are the board's (confidential) client. The secret is
	// never logged or returned.
	ClientID, ClientSecret string
	// RedirectURL is where the provider sends the board back: https://<board>/auth/oidc/callback.
	RedirectURL string
	// CLIClientID is the public client `teletraan login` uses (PKCE, loopback redirect);
	// the API accepts ID tokens issued to it or to ClientID. Empty means ClientID.
	CLIClientID string
	// GroupsClaim names the claim holding the person's groups; empty means "groups".
	GroupsClaim string
	// Scopes are asked for beyond "openid"; nil means email, profile and groups.
	Scopes []string
	// HTTPClient reaches the provider; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// relyingParty talks to the OpenID provider. It discovers the provider on first use (and
// again after a failure), so a server starts while its provider is briefly down.
type relyingParty struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

func newRelyingParty(cfg OIDCConfig) *relyingParty {
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.CLIClientID == "" {
		cfg.CLIClientID = cfg.ClientID
	}
	if cfg.Scopes == nil {
		cfg.Scopes = []string{oidc.ScopeOpenID, "email", "profile", "groups"}
	} else if !slices.Contains(cfg.Scopes, oidc.ScopeOpenID) {
		cfg.Scopes = append([]string{oidc.ScopeOpenID}, cfg.Scopes...)
	}
	return &relyingParty{cfg: cfg}
}

// clientContext carries the HTTP client to the oidc and oauth2 libraries.
func (rp *relyingParty) clientContext(ctx context.Context) context.Context {
	if rp.cfg.HTTPClient == nil {
		return ctx
	}
	return oidc.ClientContext(ctx, rp.cfg.HTTPClient)
}

// discover returns the provider, reading its discovery document the first time.
func (rp *relyingParty) discover(ctx context.Context) (*oidc.Provider, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider != nil {
		return rp.provider, nil
	}
	p, err := oidc.NewProvider(rp.clientContext(ctx), rp.cfg.Issuer)
	if err != nil {
		return nil, core.Errorf(core.EUNAVAILABLE, "the OpenID provider %s does not answer its discovery document: %v", rp.cfg.Issuer, err)
	}
	rp.provider = p
	return p, nil
}

// oauth2Config is the board's client at the provider.
func (rp *relyingParty) oauth2Config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret,
		RedirectURL: rp.cfg.RedirectURL, Endpoint: p.Endpoint(), Scopes: rp.cfg.Scopes}
}

// looksLikeJWT tells an ID token (three base64url parts) from an API token, which never
// holds a dot.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2
}

// verifyBearer accepts an ID token issued to the board's or the CLI's client as a
// person's credential (`teletraan login` sends it and refreshes it before it expires).
func (rp *relyingParty) verifyBearer(ctx context.Context, raw string) (*Person, error) {
	p, err := rp.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := p.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(rp.clientContext(ctx), raw)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, core.Errorf(core.EUNAUTHORIZED, "the ID token expired at %s: run teletraan login again (it refreshes by itself while its refresh token lasts)", expired.Expiry.UTC().Format("2006-01-02T15:04:05Z"))
		}
		return nil, core.Errorf(core.EUNAUTHORIZED, "the ID token is not valid for %s: %v", rp.cfg.Issuer, err)
	}
	if !slices.Contains(tok.Audience, rp.cfg.ClientID) && !slices.Contains(tok.Audience, rp.cfg.CLIClientID) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the ID token was issued to %v, not to this server's clients", tok.Audience)
	}
	return rp.personOf(tok, nil)
}

// exchange redeems an authorization code with its PKCE verifier, checks the ID token and
// its nonce, and returns the person, asking the userinfo endpoint for what the ID token
// does not hold.
func (rp *relyingParty) exchange(ctx context.Context, code, verifier, nonce string) (*Person, error) {
	p, err := rp.discover(ctx)
	if err != nil {
		return nil, err
	}
	cctx := rp.clientContext(ctx)
	tok, err := rp.oauth2Config(p).Exchange(cctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the OpenID provider refused the sign-in code: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the OpenID provider answered without an ID token")
	}
	idTok, err := p.Verifier(&oidc.Config{ClientID: rp.cfg.ClientID}).Verify(cctx, raw)
	if err != nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the provider's ID token is not valid: %v", err)
	}
	if idTok.Nonce != nonce {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the ID token's nonce does not match this sign-in: start again")
	}
	return rp.personOf(idTok, func() (*oidc.UserInfo, error) { return p.UserInfo(cctx, oauth2.StaticTokenSource(tok)) })
}

// personOf reads the person from the ID token's claims, and from userinfo (when given)
// for an email or groups the ID token lacks. An email the provider says is unverified is
// refused: it would let anyone claim anyone's roles.
func (rp *relyingParty) personOf(tok *oidc.IDToken, userinfo func() (*oidc.UserInfo, error)) (*Person, error) {
	claims := map[string]json.RawMessage{}
	if err := tok.Claims(&claims); err != nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "read the ID token's claims: %v", err)
	}
	if _, ok := claims["email"]; (!ok || claims[rp.cfg.GroupsClaim] == nil) && userinfo != nil {
		info, err := userinfo()
		if err != nil {
			return nil, core.Errorf(core.EUNAVAILABLE, "ask the OpenID provider's userinfo endpoint: %v", err)
		}
		extra := map[string]json.RawMessage{}
		if err := info.Claims(&extra); err != nil {
			return nil, core.Errorf(core.EUNAUTHORIZED, "read the userinfo claims: %v", err)
		}
		for k, v := range extra {
			if _, has := claims[k]; !has {
				claims[k] = v
			}
		}
	}
	person := &Person{Subject: tok.Subject}
	_ = json.Unmarshal(claims["email"], &person.Email)
	_ = json.Unmarshal(claims["name"], &person.Name)
	var verified *bool
	_ = json.Unmarshal(claims["email_verified"], &verified)
	if verified != nil && !*verified {
		return nil, core.Errorf(core.EFORBIDDEN, "the provider says the email %s is not verified: verify it there and sign in again", person.Email)
	}
	groups, err := claimStrings(claims[rp.cfg.GroupsClaim])
	if err != nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the %q claim: %v", rp.cfg.GroupsClaim, err)
	}
	person.Groups = groups
	for _, v := range append([]string{person.Email, person.Name, person.Subject}, groups...) {
		if err := core.CheckText("claim", v); err != nil {
			return nil, core.Errorf(core.EUNAUTHORIZED, "the provider's claims: %v", err)
		}
	}
	return person, nil
}

// claimStrings reads a claim that is a list of strings or one string.
func claimStrings(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, fmt.Errorf("is neither a string nor a list of strings")
	}
	return []string{one}, nil
}
