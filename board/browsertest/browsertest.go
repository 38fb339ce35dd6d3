// Package browsertest drives the board in real headless Chromium for tests: it finds the
// browser, starts it with the flags CI needs, accepts the confirm() dialogs an operator would
// click OK on, waits on conditions in the page, and keeps screenshots as test artifacts.
package browsertest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Path returns the Chromium binary. Under CI=true a missing browser fails the test (the CI
// image must install Debian's chromium); elsewhere the test is skipped.
func Path(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium at /usr/bin/chromium or /usr/bin/chromium-browser under CI=true: the CI image must install it")
	}
	t.Skip("no Chromium at /usr/bin/chromium or /usr/bin/chromium-browser; browser test skipped (apt-get install chromium)")
	return ""
}

// Start launches headless Chromium (--no-sandbox --disable-gpu
// --disable-background-networking) for at most limit and returns a tab's context. Every
// JavaScript dialog is accepted. The browser stops when the test ends.
func Start(t testing.TB, limit time.Duration) context.Context {
	t.Helper()
	exe := Path(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 1000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancel() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium %s: %v", exe, err)
	}
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return bctx
}

// Eval evaluates a JavaScript expression in the page and returns its string value.
func Eval(t testing.TB, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor evaluates the JavaScript condition cond every 200 ms until it is true or limit
// passes; on failure it reports what and the value of show, an expression describing the
// page. An evaluation that fails because the page is navigating (a reload the page does
// itself) is retried, not fatal.
func WaitFor(t testing.TB, ctx context.Context, limit time.Duration, what, cond, show string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var lastErr error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](show))
			t.Fatalf("waited %s for %s (last error: %v); page shows %s", limit, what, lastErr, got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ScreenshotDirEnv names the directory where Screenshot keeps its pictures (CI sets it to
// keep them as artifacts); without it they go to the test's temporary directory.
const ScreenshotDirEnv = "TELETRAAN_SCREENSHOT_DIR"

// Screenshot saves the whole page as <name>.png in $TELETRAAN_SCREENSHOT_DIR (or the
// test's temporary directory) and returns the path.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv(ScreenshotDirEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// SignIn signs the browser in with an API token on the sign-in page of the board at base
// and comes back to the page the browser was on (the home page before any): every board
// page needs a signed-in caller. Signing in again replaces the session.
func SignIn(t testing.TB, ctx context.Context, base, token string) {
	t.Helper()
	next := "/"
	if loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`)); err == nil && strings.HasPrefix(loc, base+"/") {
		next = strings.TrimPrefix(loc, base)
		if u, err := url.Parse(loc); err == nil && u.Path == "/login" {
			// Sent to sign in: go back where the board meant to send the browser.
			next = u.Query().Get("next")
			if next == "" {
				next = "/"
			}
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login?next="+url.QueryEscape(next)), chromedp.WaitReady(chromedp.CSS("#token-sign-in"))); err != nil {
		t.Fatalf("open the sign-in page: %v", err)
	}
	Eval(t, ctx, `(document.getElementById('token-sign-in').open = true, 'opened')`)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("#sign-in-token"))); err != nil {
		t.Fatalf("sign in with a token: %v", err)
	}
	WaitFor(t, ctx, 10*time.Second, "the board to sign in and return to "+next,
		`location.pathname !== '/login' && !!document.getElementById('who-name') && document.getElementById('who-name').textContent.startsWith('Signed in')`,
		`location.href + ': ' + document.body.innerText.slice(0, 300)`)
}

// JSString quotes s as a JavaScript string literal.
func JSString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
