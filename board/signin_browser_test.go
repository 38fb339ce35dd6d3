package board

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/api/oidctest"
	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// TestSignInThroughTheProviderDeployAndSignOutInChromium is a person's path in a real
// browser: a page without a session leads to the sign-in page, its button to the real
// OpenID provider's login page, and back to the page asked for; the deploy they start
// records their email; signing out ends the session, and the page asks to sign in again.
// A browser whose forged request lacks the CSRF token is refused, and an expired session
// sends the browser to sign in.
func TestSignInThroughTheProviderDeployAndSignOutInChromium(t *testing.T) {
	ctx := browsertest.Start(t, 2*time.Minute)
	_, st := buildsFixture(t)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	olga := oidctest.User{Username: "olga", Password: "olga-pw", Email: "olga@example.com", Groups: []string{"hello-deployers"}}
	provider := oidctest.Start(t, []oidctest.Client{
		{ID: "teletraan-board", Secret: "board-secret", RedirectURIs: []string{base + "/auth/oidc/callback"}},
	}, []oidctest.User{olga})
	deployer := &recordingDeployer{}
	engine := api.NewRouter(api.Deps{Store: st, Deployer: deployer, Context: ctx, People: api.People{
		OIDC:  &api.OIDCConfig{Issuer: provider.Issuer, ClientID: "teletraan-board", ClientSecret: "board-secret", RedirectURL: base + "/auth/oidc/callback"},
		Roles: api.RoleMapping{Rules: []api.RoleRule{{Group: "hello-deployers", Role: schema.RoleOperator, Envs: []string{"hello"}}}},
	}})
	(&Board{Store: st, SignIn: SignIn{OIDC: true, Provider: "Example SSO"}}).Register(engine)
	srv.Config.Handler = engine
	srv.Start()
	defer srv.Close()

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/envs/hello/prod/builds"), chromedp.WaitVisible(chromedp.CSS("#sign-in-oidc"))); err != nil {
		t.Fatal(err)
	}
	if got := browsertest.Eval(t, ctx, `document.getElementById('sign-in-oidc').textContent`); got != "Sign in with Example SSO" {
		t.Errorf("sign-in button says %q", got)
	}
	// signInAtProvider clicks the sign-in button and signs olga in on the provider's page.
	signInAtProvider := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sign-in-oidc")), chromedp.WaitVisible(chromedp.CSS("#username"))); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(browsertest.Eval(t, ctx, `location.href`), provider.Issuer+"/login/") {
			t.Fatalf("the sign-in button did not lead to the provider: %s", browsertest.Eval(t, ctx, `location.href`))
		}
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#username"), olga.Username), chromedp.SetValue(chromedp.CSS("#password"), olga.Password),
			chromedp.Click(chromedp.CSS(`button[type=submit]`))); err != nil {
			t.Fatal(err)
		}
	}
	signInAtProvider()
	browsertest.WaitFor(t, ctx, 10*time.Second, "the builds page, signed in as olga",
		`location.pathname === '/envs/hello/prod/builds' && (document.getElementById('who-name') || {}).textContent === 'Signed in as olga@example.com (roles per environment)'`,
		`location.href + ' ' + ((document.getElementById('who-name') || {}).textContent || document.body.innerText.slice(0, 200))`)

	statusText := `document.getElementById('status').textContent`
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-deploy="b4"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, "the deploy to be accepted", statusText+`.includes('Deploy build b4 to hello/prod: accepted')`, statusText)
	deployer.mu.Lock()
	started := append([]api.StartDeployRequest(nil), deployer.started...)
	deployer.mu.Unlock()
	if len(started) != 1 || started[0].Operator != olga.Email {
		t.Fatalf("deploys started %+v, want one by %s", started, olga.Email)
	}

	// A change sent with the session's cookie but not its CSRF token (what a forged
	// cross-site form would send) is refused.
	browsertest.Eval(t, ctx, `(window.forged = null, fetch('/v1/envs/hello/prod/deploys', {method: 'POST', headers: {'Content-Type': 'application/json'},
	  body: JSON.stringify({buildId: 'b4'})}).then(r => r.text().then(b => { window.forged = r.status + ' ' + b; })), 'sent')`)
	browsertest.WaitFor(t, ctx, 5*time.Second, "the forged change to be refused", `window.forged !== null && window.forged.startsWith('403') && window.forged.includes('X-CSRF-Token')`, `String(window.forged)`)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#sign-out-button"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, "the sign-in page saying signed out",
		`location.pathname === '/login' && (document.getElementById('why') || {}).textContent === 'You are signed out.'`, `location.href`)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/envs/hello/prod/builds"), chromedp.WaitVisible(chromedp.CSS("#sign-in-oidc"))); err != nil {
		t.Fatal(err)
	}
	if p := browsertest.Eval(t, ctx, `location.pathname`); p != "/login" {
		t.Fatalf("after signing out the page is %s, want the sign-in page", p)
	}
	browsertest.Screenshot(t, ctx, "signed-out")

	// Signed in again, a session that outlives its 12 hours sends the page to sign in,
	// saying why.
	signInAtProvider()
	browsertest.WaitFor(t, ctx, 10*time.Second, "signed in again",
		`location.pathname === '/envs/hello/prod/builds' && !!document.getElementById('who-name') && document.getElementById('who-name').textContent.startsWith('Signed in as olga')`,
		`location.href`)
	later := time.Now().Add(13 * time.Hour)
	st.SetClock(func() time.Time { return later })
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/envs/hello/prod/builds"), chromedp.WaitVisible(chromedp.CSS("#sign-in-oidc"))); err != nil {
		t.Fatal(err)
	}
	if why := browsertest.Eval(t, ctx, `(document.getElementById('why') || {}).textContent || ''`); !strings.Contains(why, "expired") {
		t.Fatalf("the sign-in page after expiry says %q, want why the session ended", why)
	}
}
