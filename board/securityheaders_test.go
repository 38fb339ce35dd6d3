package board_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// routeParams fill the router's path parameters with the fixture's names, so that each
// route is asked for something that exists.
var routeParams = map[string]string{
	":env": "hello", ":stage": "prod", ":id": "d1", ":host": "h1-serving", ":action": "pause", "*filepath": "/board.css",
}

// pathOf turns a route pattern into a path to request.
func pathOf(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if v, ok := routeParams[p]; ok {
			parts[i] = strings.TrimPrefix(v, "/")
		}
	}
	return strings.Join(parts, "/")
}

// TestEveryRouteSendsTheSecurityHeaders asks every route the router lists (the API's and
// the board's, with and without a token) and the 404 and 405 answers, and checks each
// answer carries every security header.
func TestEveryRouteSendsTheSecurityHeaders(t *testing.T) {
	gin.SetMode(gin.TestMode)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, secret := serveBoard(t, st, "alice", "")
	engine := srv.Config.Handler.(*gin.Engine)
	type ask struct{ method, path, token string }
	var asks []ask
	for _, r := range engine.Routes() {
		for _, token := range []string{"", secret} {
			asks = append(asks, ask{r.Method, pathOf(r.Path), token})
		}
	}
	asks = append(asks, ask{http.MethodGet, "/no/such/page", ""}, ask{http.MethodPatch, "/v1/builds", ""})
	if len(asks) < 60 {
		t.Fatalf("the router lists only %d routes", len(asks)/2)
	}
	for _, a := range asks {
		// Bodies are "{}", so most writes are refused: a refusal must carry the headers as
		// much as a success.
		req, err := http.NewRequest(a.method, srv.URL+a.path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if a.token != "" {
			req.Header.Set("Authorization", "Bearer "+a.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", a.method, a.path, err)
		}
		res.Body.Close()
		for name, want := range api.SecurityHeaders {
			if got := res.Header.Get(name); got != want {
				t.Errorf("%s %s (token %t, status %d): %s is %q, want %q", a.method, a.path, a.token != "", res.StatusCode, name, got, want)
			}
		}
	}
	if csp := api.ContentSecurityPolicy; strings.Contains(csp, "script-src 'self' 'unsafe-inline'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("policy allows inline script or framing: %s", csp)
	}
}

// cspWatchJS records every Content Security Policy violation of a page, from before its
// first script runs, into window.cspViolations.
const cspWatchJS = `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber));`

// TestBoardPagesWorkUnderTheCSP opens every board page in Chromium under the policy the
// server sends, and fails on any violation or console error; the stage page must still
// draw its live grid, proof that its script ran and reached the API.
func TestBoardPagesWorkUnderTheCSP(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 2*time.Minute)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, signInSecret := serveBoard(t, st, "alice", "http://127.0.0.1:8233")
	browsertest.SignIn(t, bctx, srv.URL, signInSecret)

	// Console errors, uncaught exceptions and the browser's own security and network
	// reports, collected as they come.
	var mu sync.Mutex
	var problems []string
	note := func(msg string) { mu.Lock(); problems = append(problems, msg); mu.Unlock() }
	if err := chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				note("console.error")
			}
		case *runtime.EventExceptionThrown:
			note("exception: " + e.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			// A page that answers 404 on purpose logs its own status; a missing script
			// or style sheet (/static/...) is breakage.
			if e.Entry.Level == cdplog.EntryLevelError && (e.Entry.Source == cdplog.EntrySourceSecurity || strings.Contains(e.Entry.URL, "/static/")) {
				note(string(e.Entry.Source) + ": " + e.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatchJS}); err != nil {
		t.Fatal(err)
	}
	for _, path := range boardPages {
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+path), chromedp.WaitReady("body")); err != nil {
			t.Fatal(err)
		}
		if path == "/envs/hello/prod" {
			// stage.js redraws the grid from the API: proof that the page's script ran.
			browsertest.WaitFor(t, bctx, 10*time.Second, "stage.js to draw the grid", `document.querySelectorAll('#grid .tile').length === 7`, gridJS)
		}
		if strings.HasPrefix(path, "/audit") {
			// audit.js asked GET /v1/audit with the session and wrote its answer.
			browsertest.WaitFor(t, bctx, 10*time.Second, "audit.js to show the trail", `/entries|No entries match/.test(document.getElementById('status').textContent)`,
				`document.getElementById('status').textContent`)
		}
		// Every script of the page has been fetched once the document has loaded.
		browsertest.WaitFor(t, bctx, 10*time.Second, path+" to load", `document.readyState === 'complete'`, `document.readyState`)
		if got := browsertest.Eval(t, bctx, `window.cspViolations.join('; ')`); got != "" {
			t.Errorf("%s violates the CSP: %s", path, got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("console errors: %s", strings.Join(problems, "; "))
	}
}

// TestTemplatesHaveNoInlineScript keeps the policy's promise checkable without a browser:
// no template holds a <script> without src, an on* event attribute or a javascript: URL.
func TestTemplatesHaveNoInlineScript(t *testing.T) {
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	// Template actions may hold spaces and quotes but no '>', so tags match whole.
	script := regexp.MustCompile(`(?i)<script\b[^>]*>(</script>)?`)
	handler := regexp.MustCompile(`(?i)\son[a-z]+\s*=|javascript:`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range script.FindAllSubmatch(b, -1) {
			if !bytes.Contains(bytes.ToLower(m[0]), []byte(" src=")) || m[1] == nil {
				t.Errorf("%s has an inline script, which the CSP blocks (move it to static/*.js): %q", f, m[0])
			}
		}
		if m := handler.Find(b); m != nil {
			t.Errorf("%s has an event attribute or javascript: URL, which the CSP blocks (move it to static/*.js): %q", f, m)
		}
	}
}
