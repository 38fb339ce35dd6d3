// Package oidctest runs a real OpenID provider in-process for tests: zitadel's OpenID
// Provider library (pkg/op) with its example storage and login page, wrapped so that the
// ID token and userinfo carry each user's email and groups. Tests sign in through it
// exactly as people do: the authorization code flow with PKCE, a username and password on
// the provider's own page, and refresh tokens.
package oidctest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is a person the provider knows.
type User struct {
	Username, Password, Email string
	Groups                    []string
}

// Client is an application registered at the provider: a confidential web client (with
// Secret) or a public native one (without; PKCE, loopback redirects on any port).
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is its issuer URL (its discovery document is at Issuer/.well-known/openid-configuration).
	Issuer string
	server *httptest.Server
}

// Start runs a provider with the given clients and users until the test ends.
func Start(t testing.TB, clients []Client, users []User) *Provider {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	registered := map[string]*storage.Client{}
	for _, c := range clients {
		if c.Secret != "" {
			registered[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
		} else {
			registered[c.ID] = storage.NativeClient(c.ID, c.RedirectURIs...)
		}
	}
	people := userStore{byID: map[string]*storage.User{}, groups: map[string][]string{}}
	for i, u := range users {
		id := "user-" + string(rune('a'+i))
		people.byID[id] = &storage.User{ID: id, Username: u.Username, Password: u.Password, Email: u.Email, EmailVerified: true,
			FirstName: u.Username, LastName: "Test", PreferredLanguage: language.English}
		people.groups[id] = slices.Clone(u.Groups)
	}
	st := &withGroups{Storage: storage.NewStorageWithClients(people, registered), people: people}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv.Config.Handler = exampleop.SetupServer(issuer, st, logger, false)
	srv.Start()
	t.Cleanup(srv.Close)
	return &Provider{Issuer: issuer, server: srv}
}

// Addr is the provider's listening address.
func (p *Provider) Addr() net.Addr { return p.server.Listener.Addr() }

// userStore is the example storage's user store over the test's users.
type userStore struct {
	byID   map[string]*storage.User
	groups map[string][]string
}

func (u userStore) GetUserByID(id string) *storage.User { return u.byID[id] }

func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, user := range u.byID {
		if user.Username == name {
			return user
		}
	}
	return nil
}

func (u userStore) ExampleClientID() string { return storage.ServiceUserID }

// withGroups puts each user's email and groups into the ID token and the userinfo answer,
// as providers configured with a groups claim (Dex, Okta, Keycloak) do.
type withGroups struct {
	*storage.Storage
	people userStore
}

func (s *withGroups) add(info *oidc.UserInfo, userID string) {
	user := s.people.GetUserByID(userID)
	if user == nil {
		return
	}
	info.Email, info.EmailVerified = user.Email, oidc.Bool(true)
	info.AppendClaims("groups", s.people.groups[userID])
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *withGroups) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	s.add(info, req.GetSubject())
	return nil
}

// SetUserinfoFromToken fills the userinfo endpoint's answer.
func (s *withGroups) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	s.add(info, info.Subject)
	return nil
}

// SignIn plays the person's part of a sign-in with a plain HTTP client (which keeps
// cookies): it follows authorizeURL to the provider's login page, submits the username
// and password there, and follows the redirects until one leaves for a URL that stop
// accepts (the relying party's callback); it returns that URL without requesting it.
func SignIn(t testing.TB, client *http.Client, authorizeURL, username, password string, stop func(*http.Request) bool) string {
	t.Helper()
	var landed string
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if stop(req) {
			landed = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	res, err := c.Get(authorizeURL)
	if err != nil {
		t.Fatalf("open the provider's sign-in: %v", err)
	}
	res.Body.Close()
	if landed != "" {
		return landed
	}
	loginPage := res.Request.URL
	id := loginPage.Query().Get("authRequestID")
	if id == "" {
		t.Fatalf("the provider did not show its login page: landed on %s (status %d)", loginPage, res.StatusCode)
	}
	form := map[string][]string{"id": {id}, "username": {username}, "password": {password}}
	res, err = c.PostForm(loginPage.Scheme+"://"+loginPage.Host+"/login/username", form)
	if err != nil {
		t.Fatalf("submit the provider's login form: %v", err)
	}
	res.Body.Close()
	if landed == "" {
		t.Fatalf("the provider did not send the browser back after the login form (status %d at %s)", res.StatusCode, res.Request.URL)
	}
	return landed
}
