package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
)

// cliLogin is a person's credential from `teletraan login`, kept in their context: the ID
// token the API accepts as a bearer credential, and the refresh token that renews it.
type cliLogin struct {
	Issuer       string    `yaml:"issuer"`
	ClientID     string    `yaml:"clientId"`
	Email        string    `yaml:"email"`
	IDToken      string    `yaml:"idToken"`
	RefreshToken string    `yaml:"refreshToken,omitempty"`
	Expiry       time.Time `yaml:"expiry"`
}

// refreshMargin renews an ID token this long before it expires, so that a request sent
// just before expiry is not refused on arrival.
const refreshMargin = time.Minute

// idToken returns the context's ID token, refreshing it at the provider (and saving the
// new one) when it is about to expire.
func (c *cliContext) idToken(ctx context.Context) (string, error) {
	l := c.Login
	if time.Until(l.Expiry) > refreshMargin {
		return l.IDToken, nil
	}
	if l.RefreshToken == "" {
		return "", fmt.Errorf("your sign-in to %s expired at %s: run teletraan login again", c.URL, l.Expiry.Format(time.RFC3339))
	}
	provider, err := oidc.NewProvider(ctx, l.Issuer)
	if err != nil {
		return "", fmt.Errorf("renew your sign-in: the OpenID provider %s does not answer: %w", l.Issuer, err)
	}
	cfg := oauth2.Config{ClientID: l.ClientID, Endpoint: provider.Endpoint()}
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: l.RefreshToken, Expiry: time.Now().Add(-time.Second)}).Token()
	if err != nil {
		return "", fmt.Errorf("renew your sign-in to %s (run teletraan login again): %w", c.URL, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", fmt.Errorf("renew your sign-in to %s: the provider sent no new ID token: run teletraan login again", c.URL)
	}
	idTok, err := provider.Verifier(&oidc.Config{ClientID: l.ClientID}).Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("renew your sign-in to %s: %w", c.URL, err)
	}
	l.IDToken, l.Expiry = raw, idTok.Expiry
	if tok.RefreshToken != "" {
		l.RefreshToken = tok.RefreshToken
	}
	if err := updateContext(c.name, func(saved *cliContext) { saved.Login = l }); err != nil {
		return "", err
	}
	return raw, nil
}

// updateContext changes one context of the config file and saves it.
func updateContext(name string, change func(*cliContext)) error {
	cfg, path, err := loadConfig()
	if err != nil {
		return err
	}
	saved := cfg.Contexts[name]
	change(&saved)
	cfg.Contexts[name] = saved
	if cfg.Current == "" {
		cfg.Current = name
	}
	return cfg.save(path)
}

// signInConfig is the server's GET /v1/auth/config.
type signInConfig struct {
	Issuer      string   `json:"issuer"`
	CLIClientID string   `json:"cliClientId"`
	Scopes      []string `json:"scopes"`
}

func randomState() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newLoginCommand builds `teletraan login`: the person signs in at the server's OpenID
// provider in a browser (a loopback redirect with PKCE, RFC 8252), and the CLI keeps the
// ID token and its refresh token in the context.
func newLoginCommand() *cobra.Command {
	var (
		cf      clientFlags
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in as yourself at the server's OpenID provider; later verbs act as you",
		Long: `Sign in at the OpenID provider the server names (GET /v1/auth/config): the CLI prints a
link, you sign in in a browser on this machine, and the provider sends the browser back to a
one-time address on 127.0.0.1 that the CLI listens on. The CLI keeps the ID token and its
refresh token in the context (the config file, mode 0600) and renews the ID token by itself;
deploys and actions then record your email. teletraan logout forgets it.`,
		Example: `  teletraan login --url https://teletraan.example.com --context prod
  teletraan login            # the current context's server`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return login(ctx, cmd, &cf)
		},
	}
	cf.add(cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the browser")
	return cmd
}

// loginTarget is the server a login is for (--url, $TELETRAAN_URL, the context's, the dev
// stack's) and the context that keeps it (--context, the current one, else "default"; a
// context that does not exist yet is made).
func loginTarget(cf *clientFlags) (base, name string, err error) {
	cfg, _, err := loadConfig()
	if err != nil {
		return "", "", err
	}
	name = cf.context
	if name == "" {
		name = cfg.Current
	}
	if name == "" {
		name = "default"
	}
	base = cf.url
	if base == "" {
		base = os.Getenv("TELETRAAN_URL")
	}
	if saved, ok := cfg.Contexts[name]; ok && base == "" {
		base = saved.URL
	} else if ok && cf.context == "" && saved.URL != strings.TrimRight(base, "/") {
		return "", "", fmt.Errorf("the current context %s is for %s, not %s: name a context with --context", name, saved.URL, base)
	}
	if base == "" {
		base = defaultServerURL
	}
	c, err := (&clientFlags{url: base, anonymous: true}).client()
	if err != nil {
		return "", "", err
	}
	return c.base, name, nil
}

func login(ctx context.Context, cmd *cobra.Command, cf *clientFlags) error {
	base, name, err := loginTarget(cf)
	if err != nil {
		return err
	}
	anon := &apiClient{base: base, http: &http.Client{Timeout: time.Minute}}
	var sc signInConfig
	if err := anon.do(ctx, http.MethodGet, "/v1/auth/config", nil, &sc); err != nil {
		return fmt.Errorf("ask %s how to sign in: %w", base, err)
	}
	if sc.Issuer == "" || sc.CLIClientID == "" {
		return fmt.Errorf("%s signs nobody in with OpenID Connect (no --oidc-issuer): use an API token, teletraan context set %s --url %s --token TOKEN", base, name, base)
	}
	provider, err := oidc.NewProvider(ctx, sc.Issuer)
	if err != nil {
		return fmt.Errorf("the OpenID provider %s does not answer: %w", sc.Issuer, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.1 for the provider's answer: %w", err)
	}
	defer ln.Close()
	scopes := append([]string{}, sc.Scopes...)
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	cfg := oauth2.Config{ClientID: sc.CLIClientID, Endpoint: provider.Endpoint(), Scopes: append(scopes, oidc.ScopeOfflineAccess),
		RedirectURL: "http://" + ln.Addr().String() + "/callback"}
	state, nonce, verifier := randomState(), randomState(), oauth2.GenerateVerifier()
	link := cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))

	type answer struct {
		code string
		err  error
	}
	answers := make(chan answer, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		var a answer
		switch {
		case q.Get("error") != "":
			a.err = fmt.Errorf("the provider did not sign you in: %s %s", q.Get("error"), q.Get("error_description"))
		case q.Get("state") != state:
			a.err = errors.New("the provider's answer is not for this sign-in (state differs): run teletraan login again")
		default:
			a.code = q.Get("code")
		}
		if a.err != nil {
			http.Error(w, a.err.Error(), http.StatusBadRequest)
		} else {
			fmt.Fprintln(w, "Signed in to Teletraan: you may close this tab and return to the terminal.")
		}
		select {
		case answers <- a:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	fmt.Fprintf(cmd.ErrOrStderr(), "Open this link in a browser on this machine to sign in to %s:\n\n  %s\n\nWaiting for the provider…\n", base, link)
	var a answer
	select {
	case a = <-answers:
	case <-ctx.Done():
		return fmt.Errorf("no answer from the browser in time: run teletraan login again (or --timeout longer)")
	}
	if a.err != nil {
		return a.err
	}
	tok, err := cfg.Exchange(ctx, a.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return fmt.Errorf("redeem the sign-in code at %s: %w", sc.Issuer, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idTok, err := provider.Verifier(&oidc.Config{ClientID: sc.CLIClientID}).Verify(ctx, raw)
	if err != nil {
		return fmt.Errorf("the provider's ID token: %w", err)
	}
	if idTok.Nonce != nonce {
		return errors.New("the provider's ID token is not for this sign-in (nonce differs): run teletraan login again")
	}
	var claims struct {
		Email string `json:"email"`
	}
	_ = idTok.Claims(&claims)
	l := &cliLogin{Issuer: sc.Issuer, ClientID: sc.CLIClientID, Email: claims.Email, IDToken: raw, RefreshToken: tok.RefreshToken, Expiry: idTok.Expiry}
	if err := updateContext(name, func(c *cliContext) { c.URL, c.Login = base, l }); err != nil {
		return err
	}
	who := claims.Email
	if who == "" {
		who = idTok.Subject
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Signed in to %s as %s (context %s).\n", base, who, name)
	return nil
}

// newLogoutCommand builds `teletraan logout`: forget the context's sign-in.
func newLogoutCommand() *cobra.Command {
	var contextName string
	cmd := &cobra.Command{
		Use:     "logout",
		Short:   "Forget the sign-in teletraan login kept for a context",
		Example: `  teletraan logout --context prod`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, path, err := loadConfig()
			if err != nil {
				return err
			}
			name := contextName
			if name == "" {
				name = cfg.Current
			}
			c, ok := cfg.Contexts[name]
			if !ok || c.Login == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Not signed in (context %q).\n", name)
				return nil
			}
			email := c.Login.Email
			c.Login = nil
			cfg.Contexts[name] = c
			if err := cfg.save(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signed out %s from %s (context %s).\n", email, c.URL, name)
			return nil
		},
	}
	cmd.Flags().StringVar(&contextName, "context", "", "the context to sign out of (default the current one)")
	return cmd
}
