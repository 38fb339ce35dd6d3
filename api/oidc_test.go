package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/api/oidctest"
	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// oidcSite is the API and the board served over HTTP, signing people in at a real
// OpenID provider running in-process.
type oidcSite struct {
	*testAPI
	url      string
	provider *oidctest.Provider
}

// Users of the test provider, and how the site maps their groups.
var (
	olga = oidctest.User{Username: "olga", Password: "olga-pw", Email: "olga@example.com", Groups: []string{"deployers"}}
	rita = oidctest.User{Username: "rita", Password: "rita-pw", Email: "rita@example.com", Groups: []string{"interns"}}
)

func newOIDCSite(t *testing.T) *oidcSite {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	provider := oidctest.Start(t, []oidctest.Client{
		{ID: "teletraan-board", Secret: "board-secret", RedirectURIs: []string{base + "/auth/oidc/callback"}},
		{ID: "teletraan-cli", RedirectURIs: []string{"http://127.0.0.1/callback"}},
	}, []oidctest.User{olga, rita})
	a := newTestAPI(t, func(d *api.Deps) {
		d.People = api.People{
			OIDC: &api.OIDCConfig{Issuer: provider.Issuer, ClientID: "teletraan-board", ClientSecret: "board-secret",
				RedirectURL: base + "/auth/oidc/callback", CLIClientID: "teletraan-cli"},
			Roles: api.RoleMapping{Rules: []api.RoleRule{{Group: "deployers", Role: schema.RoleOperator, Envs: []string{"hello"}}}},
		}
	})
	(&board.Board{Store: a.store, SignIn: board.SignIn{OIDC: true}}).Register(a.engine)
	srv.Config.Handler = a.engine
	srv.Start()
	t.Cleanup(srv.Close)
	return &oidcSite{testAPI: a, url: base, provider: provider}
}

// browser is an HTTP client that keeps cookies, as a browser does.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// signInAt signs u in on the site through the provider and returns where the browser
// landed.
func (s *oidcSite) signInAt(t *testing.T, b *http.Client, u oidctest.User, next string) *http.Response {
	t.Helper()
	callback := oidctest.SignIn(t, b, s.url+"/auth/oidc/login?next="+url.QueryEscape(next), u.Username, u.Password,
		func(r *http.Request) bool { return strings.HasPrefix(r.URL.String(), s.url+"/auth/oidc/callback") })
	res, err := b.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// who asks GET /v1/auth/token as the browser.
func who(t *testing.T, b *http.Client, base string) (int, map[string]any) {
	t.Helper()
	res, err := b.Get(base + "/v1/auth/token")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	v := map[string]any{}
	_ = json.NewDecoder(res.Body).Decode(&v)
	return res.StatusCode, v
}

// send makes a change as the browser, with csrf as its X-CSRF-Token ("" for none).
func send(t *testing.T, b *http.Client, method, u, body, csrf string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// TestPeopleSignInThroughARealOpenIDProvider signs a person in at the provider (the code
// flow with PKCE and a nonce), checks the session's cookie, role mapping and CSRF rule,
// that the deploy records the person's email, and that signing out ends the session.
func TestPeopleSignInThroughARealOpenIDProvider(t *testing.T) {
	s := newOIDCSite(t)
	s.createStage("hello", "prod", "")
	build := s.publishBuild("hello", "abcdef1")
	b := browser(t)

	// A page without a session leads to the sign-in page, which offers the provider.
	res, err := b.Get(s.url + "/envs/hello/prod")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/login" || !strings.Contains(string(page), `href="/auth/oidc/login?next=%2fenvs%2fhello%2fprod"`) {
		t.Fatalf("an anonymous page landed on %s:\n%.600s", res.Request.URL, page)
	}

	landed := s.signInAt(t, b, olga, "/envs/hello/prod")
	if landed.StatusCode != http.StatusOK || landed.Request.URL.Path != "/envs/hello/prod" {
		t.Fatalf("after signing in the browser is at %s (status %d), want the stage page", landed.Request.URL, landed.StatusCode)
	}
	u, _ := url.Parse(s.url)
	var session *http.Cookie
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == "teletraan_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie after signing in")
	}
	status, me := who(t, b, s.url)
	if status != http.StatusOK || me["kind"] != "person" || me["email"] != olga.Email || me["via"] != "session:oidc" {
		t.Fatalf("whoami after signing in: %d %v", status, me)
	}
	if roles, _ := me["envRoles"].(map[string]any); roles["hello"] != schema.RoleOperator {
		t.Errorf("olga's role in hello = %v, want OPERATOR from group deployers (whoami %v)", roles["hello"], me)
	}
	csrf, _ := me["csrfToken"].(string)

	deploy := s.url + "/v1/envs/hello/prod/deploys"
	body := `{"buildId":"` + build.ID + `"}`
	if code, out := send(t, b, http.MethodPost, deploy, body, ""); code != http.StatusForbidden || !strings.Contains(out, "X-CSRF-Token") {
		t.Fatalf("a deploy without the CSRF token: %d %s", code, out)
	}
	if code, out := send(t, b, http.MethodPost, deploy, body, "forged"); code != http.StatusForbidden {
		t.Fatalf("a deploy with a wrong CSRF token: %d %s", code, out)
	}
	if code, out := send(t, b, http.MethodPost, deploy, body, csrf); code != http.StatusCreated {
		t.Fatalf("a deploy with the session's CSRF token: %d %s", code, out)
	}
	if got := s.deployer.recorded(); len(got) != 1 || got[0].Operator != olga.Email {
		t.Fatalf("deploys recorded %+v, want one by %s", got, olga.Email)
	}
	entries, err := s.store.ListAudit(t.Context(), schema.AuditFilter{Actor: olga.Email})
	if err != nil || len(entries) < 3 {
		t.Fatalf("audit entries by %s: %v %+v", olga.Email, err, entries)
	}
	// Olga operates hello only.
	s.createStage("shop", "prod", "")
	if code, out := send(t, b, http.MethodPut, s.url+"/v1/envs/shop/prod", `{"maxParallel":2}`, csrf); code != http.StatusForbidden || !strings.Contains(out, "no role in environment shop") {
		t.Fatalf("olga changing shop: %d %s", code, out)
	}

	// Signing out needs the CSRF token too, then ends the session on every replica.
	if code, _ := send(t, b, http.MethodPost, s.url+"/auth/logout", "", ""); code != http.StatusForbidden {
		t.Fatalf("sign-out without the CSRF token: %d", code)
	}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/auth/logout", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/login" {
		t.Fatalf("sign-out landed on %s", res.Request.URL)
	}
	if status, me := who(t, b, s.url); status != http.StatusUnauthorized {
		t.Fatalf("whoami after signing out: %d %v", status, me)
	}
	// The old cookie, replayed, no longer holds.
	replay := &http.Client{}
	req, _ = http.NewRequest(http.MethodGet, s.url+"/v1/envs", nil)
	req.AddCookie(session)
	if res, err := replay.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the signed-out cookie replayed: %v %v", err, res)
	}
}

// TestAnUnmappedPersonHasNoRoleAndAnExpiredSessionEnds checks the group mapping's other
// side and session expiry.
func TestAnUnmappedPersonHasNoRoleAndAnExpiredSessionEnds(t *testing.T) {
	s := newOIDCSite(t)
	s.createStage("hello", "prod", "")
	b := browser(t)
	res := s.signInAt(t, b, rita, "/v1/envs")
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("an unmapped person reading: status %d, want 403", res.StatusCode)
	}
	status, me := who(t, b, s.url)
	if status != http.StatusOK || me["role"] != "" || me["canOperate"] != false {
		t.Fatalf("whoami of an unmapped person: %d %v", status, me)
	}

	olgaBrowser := browser(t)
	s.signInAt(t, olgaBrowser, olga, "/")
	if status, _ := who(t, olgaBrowser, s.url); status != http.StatusOK {
		t.Fatalf("whoami: %d", status)
	}
	later := time.Now().Add(13 * time.Hour)
	s.store.SetClock(func() time.Time { return later })
	status, me = who(t, olgaBrowser, s.url)
	if msg, _ := me["error"].(map[string]any); status != http.StatusUnauthorized || !strings.Contains(msg["message"].(string), "expired") {
		t.Fatalf("whoami with an expired session: %d %v", status, me)
	}
	res, err := olgaBrowser.Get(s.url + "/envs/hello/prod")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/login" || !strings.Contains(res.Request.URL.Query().Get("why"), "expired") {
		t.Fatalf("a page with an expired session landed on %s", res.Request.URL)
	}
}

// TestAForgedProxyHeaderIsRefused trusts X-Forwarded-Email from the proxy's address only.
func TestAForgedProxyHeaderIsRefused(t *testing.T) {
	configure := func(trusted string) func(*api.Deps) {
		return func(d *api.Deps) {
			d.People = api.People{
				Proxy: &api.ProxyConfig{UserHeader: "X-Forwarded-Email", GroupsHeader: "X-Forwarded-Groups", Trusted: []netipPrefix{mustPrefix(t, trusted)}},
				Roles: api.RoleMapping{Rules: []api.RoleRule{{Group: "ops", Role: schema.RoleOperator}}},
			}
		}
	}
	// httptest requests come from 192.0.2.1.
	proxied := http.Header{"X-Forwarded-Email": {"pat@example.com"}, "X-Forwarded-Groups": {"ops, other"}}
	a := newTestAPI(t, configure("192.0.2.1/32"))
	a.createStage("hello", "prod", "")
	rec := a.callWith(http.MethodGet, "/v1/auth/token", "", proxied)
	if me := decode[map[string]any](t, rec); rec.Code != http.StatusOK || me["email"] != "pat@example.com" || me["via"] != "proxy" {
		t.Fatalf("whoami through the proxy: %d %v", rec.Code, me)
	}
	// A change straight through the proxy has no CSRF token: it needs the board's session.
	wantError(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":2}`, proxied), http.StatusForbidden, "forbidden", "", "board's session")

	// A board page opens a session for the proxied person; with its cookie and CSRF token,
	// behind the same proxy, the board's changes go through. The cookie alone, without the
	// proxy's header, holds nothing.
	(&board.Board{Store: a.store, SignIn: board.SignIn{Proxy: true}}).Register(a.engine)
	page := a.callWith(http.MethodGet, "/envs/hello/prod", "", proxied)
	wantStatus(t, page, http.StatusOK)
	cookie := ""
	for _, c := range page.Result().Cookies() {
		if c.Name == "teletraan_session" {
			cookie = c.Name + "=" + c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v: want HttpOnly and SameSite=Lax", c)
			}
		}
	}
	if cookie == "" {
		t.Fatalf("a proxied person's first page set no session cookie: %v", page.Header())
	}
	withCookie := proxied.Clone()
	withCookie.Set("Cookie", cookie)
	me := decode[map[string]any](t, a.callWith(http.MethodGet, "/v1/auth/token", "", withCookie))
	withCookie.Set("X-CSRF-Token", me["csrfToken"].(string))
	wantStatus(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":3}`, withCookie), http.StatusOK)
	if st, _ := a.store.GetStage(t.Context(), "hello", "prod"); st.LastOperator != "pat@example.com" {
		t.Errorf("the change records %q, want pat@example.com", st.LastOperator)
	}
	cookieOnly := http.Header{"Cookie": {cookie}, "X-CSRF-Token": {me["csrfToken"].(string)}}
	wantError(t, a.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":4}`, cookieOnly), http.StatusUnauthorized, "unauthorized", "", "through the sign-in proxy")

	forged := newTestAPI(t, configure("10.0.0.0/8"))
	forged.createStage("hello", "prod", "")
	wantError(t, forged.callWith(http.MethodGet, "/v1/envs/hello/prod", "", proxied), http.StatusUnauthorized, "unauthorized", "",
		"X-Forwarded-Email header came from 192.0.2.1, which is not a trusted sign-in proxy")
	wantError(t, forged.callWith(http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":2}`, proxied), http.StatusUnauthorized, "unauthorized", "", "not a trusted sign-in proxy")
	st, err := forged.store.GetStage(t.Context(), "hello", "prod")
	if err != nil || st.MaxParallel == 2 {
		t.Fatalf("the forged header changed the stage: %v %+v", err, st)
	}
}

type netipPrefix = netip.Prefix

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDevLoginLinkSignsInTheLocalUser checks teletraan dev's sign-in link: the printed key
// signs the local user in (ADMIN by the dev stack's mapping) and lands on next; any other
// key is refused on the sign-in page.
func TestDevLoginLinkSignsInTheLocalUser(t *testing.T) {
	a := newTestAPI(t, func(d *api.Deps) {
		d.People = api.People{DevLoginKey: "the-printed-key", DevUser: "me@localhost",
			Roles: api.RoleMapping{Rules: []api.RoleRule{{User: "me@localhost", Role: schema.RoleAdmin}}}}
	})
	(&board.Board{Store: a.store}).Register(a.engine)
	srv := httptest.NewServer(a.engine)
	defer srv.Close()
	b := browser(t)
	res, err := b.Get(srv.URL + "/auth/dev?key=wrong&next=/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/login" || !strings.Contains(res.Request.URL.Query().Get("why"), "not the one teletraan dev printed") {
		t.Fatalf("a wrong dev key landed on %s", res.Request.URL)
	}
	res, err = b.Get(srv.URL + "/auth/dev?key=the-printed-key&next=%2Fv1%2Fenvs")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/v1/envs" {
		t.Fatalf("the dev link landed on %s (%d)", res.Request.URL, res.StatusCode)
	}
	status, me := who(t, b, srv.URL)
	if status != http.StatusOK || me["email"] != "me@localhost" || me["role"] != schema.RoleAdmin || me["via"] != "session:dev" {
		t.Fatalf("whoami after the dev link: %d %v", status, me)
	}
	// A next that leaves the site is not followed.
	res, err = b.Get(srv.URL + "/auth/dev?key=the-printed-key&next=//evil.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Host != strings.TrimPrefix(srv.URL, "http://") || res.Request.URL.Path != "/" {
		t.Fatalf("next=//evil.example.com/ led to %s", res.Request.URL)
	}
}

// TestARefusedPageSaysWhyInTheBrowser shows a browser a page, not JSON, when its caller
// may not read a board page, with a way to sign in as someone else.
func TestARefusedPageSaysWhyInTheBrowser(t *testing.T) {
	a := newTestAPI(t)
	(&board.Board{Store: a.store}).Register(a.engine)
	a.createStage("hello", "prod", "")
	secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: "shop-reader", Role: schema.RoleReader, Scope: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	rec := a.callWith(http.MethodGet, "/envs/hello/prod", "", http.Header{"Authorization": {"Bearer " + secret}, "Accept": {"text/html,application/xhtml+xml"}})
	body := rec.Body.String()
	if rec.Code != http.StatusForbidden || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `token &#34;shop-reader&#34; may act only on environment shop, not hello`) ||
		!strings.Contains(body, `href="/login?next=%2fenvs%2fhello%2fprod"`) {
		t.Fatalf("refused page: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), body)
	}
}
