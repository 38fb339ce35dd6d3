package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/api/oidctest"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestLoginSignsInAtARealProviderAndRefreshes runs teletraan login against a real OpenID
// provider in-process: the person's part (the provider's login page, the loopback
// redirect) is played by an HTTP client. Later verbs act as the person, the ID token is
// renewed with the refresh token when it expires, and logout forgets it.
func TestLoginSignsInAtARealProviderAndRefreshes(t *testing.T) {
	t.Setenv("TELETRAAN_TOKEN", "")
	t.Setenv("TELETRAAN_URL", "")
	t.Setenv("TELETRAAN_CONTEXT", "")
	config := filepath.Join(t.TempDir(), "teletraan", "config.yaml")
	t.Setenv("TELETRAAN_CONFIG", config)

	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	olga := oidctest.User{Username: "olga", Password: "olga-pw", Email: "olga@example.com", Groups: []string{"deployers"}}
	provider := oidctest.Start(t, []oidctest.Client{
		{ID: "teletraan-board", Secret: "board-secret", RedirectURIs: []string{base + "/auth/oidc/callback"}},
		{ID: "teletraan-cli", RedirectURIs: []string{"http://127.0.0.1/callback"}},
	}, []oidctest.User{olga})
	st := schematest.SQLite(t)
	srv.Config.Handler = api.NewRouter(api.Deps{Store: st, Context: t.Context(), People: api.People{
		OIDC: &api.OIDCConfig{Issuer: provider.Issuer, ClientID: "teletraan-board", ClientSecret: "board-secret",
			RedirectURL: base + "/auth/oidc/callback", CLIClientID: "teletraan-cli"},
		Roles: api.RoleMapping{Rules: []api.RoleRule{{Group: "deployers", Role: schema.RoleOperator}}},
	}})
	srv.Start()
	t.Cleanup(srv.Close)

	// The CLI prints the link on stderr and waits; the "browser" follows it.
	root := newRootCommand()
	errR, errW := io.Pipe()
	var out strings.Builder
	root.SetOut(&out)
	root.SetErr(errW)
	root.SetArgs([]string{"login", "--url", base, "--context", "prod"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(context.Background()); errW.Close() }()
	link := ""
	lines := bufio.NewScanner(errR)
	for lines.Scan() {
		if l := strings.TrimSpace(lines.Text()); strings.HasPrefix(l, provider.Issuer) {
			link = l
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, errR) }()
	if link == "" {
		t.Fatalf("login printed no link to the provider; it said: %v", <-done)
	}
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	callback := oidctest.SignIn(t, b, link, olga.Username, olga.Password, func(r *http.Request) bool {
		return r.URL.Hostname() == "127.0.0.1" && r.URL.Path == "/callback" && !strings.HasPrefix(r.URL.String(), provider.Issuer)
	})
	res, err := b.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("login: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login did not finish after the browser came back")
	}
	if !strings.Contains(out.String(), "Signed in to "+base+" as olga@example.com (context prod)") {
		t.Fatalf("login said %q", out.String())
	}

	whoami := func() string {
		t.Helper()
		got, err := runCommand(t, "whoami")
		if err != nil {
			t.Fatalf("whoami: %v\n%s", err, got)
		}
		return got
	}
	if got := whoami(); !strings.Contains(got, "olga@example.com (signed in, oidc-id-token): OPERATOR in every environment") || !strings.Contains(got, "groups: deployers") {
		t.Fatalf("whoami after login: %s", got)
	}
	if got, err := runCommand(t, "stages", "create", "hello", "beta"); err != nil {
		t.Fatalf("stages create as olga: %v\n%s", err, got)
	}
	if s, err := st.GetStage(t.Context(), "hello", "beta"); err != nil || s.LastOperator != "olga@example.com" {
		t.Fatalf("the stage records %q, want olga's email (%v)", s.LastOperator, err)
	}

	// An expired ID token is renewed with the refresh token, and the new one is kept.
	var before string
	if err := updateContext("prod", func(c *cliContext) {
		before = c.Login.IDToken
		c.Login.Expiry = time.Now().Add(-time.Hour)
	}); err != nil {
		t.Fatal(err)
	}
	if got := whoami(); !strings.Contains(got, "olga@example.com") {
		t.Fatalf("whoami after expiry: %s", got)
	}
	cfg, _, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Contexts["prod"].Login; l == nil || l.IDToken == before || time.Until(l.Expiry) < 10*time.Minute {
		t.Fatalf("the ID token was not renewed: %+v", l)
	}

	if got, err := runCommand(t, "logout"); err != nil || !strings.Contains(got, "Signed out olga@example.com") {
		t.Fatalf("logout: %v %s", err, got)
	}
	if _, err := runCommand(t, "whoami"); err == nil || !strings.Contains(err.Error(), "teletraan login") {
		t.Fatalf("whoami after logout: %v", err)
	}
}
