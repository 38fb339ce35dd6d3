package board_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
)

// visibleStagesJS lists the stage rows the operator can see, as "env/stage" joined by commas.
const visibleStagesJS = `Array.from(document.querySelectorAll('#stages tr.stage-row')).filter(r => !r.hidden && r.offsetParent !== null).map(r => r.querySelector('td.name').textContent).join(',')`

func TestHomeSearchInChromium(t *testing.T) {
	exe := chromiumPath(t)
	gin.SetMode(gin.TestMode)
	f := homeFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	engine := gin.New()
	(&board.Board{Store: f.store, TemporalUIURL: "http://127.0.0.1:8233"}).Register(engine)
	srv := httptest.NewServer(engine)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// expect waits until the visible rows and the query string are the given ones.
	expect := func(step, rows, search string) {
		t.Helper()
		cond := visibleStagesJS + " === " + jsString(rows) + " && location.search === " + jsString(search)
		if _, err := chromedp.Run(bctx, chromedp.Poll[bool](cond,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			got, _ := chromedp.Run(bctx, chromedp.Evaluate[string](visibleStagesJS+" + ' at ' + location.search"))
			t.Fatalf("%s: want rows %q at %q, got %q: %v", step, rows, search, got, err)
		}
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById(`+jsString(id)+`).textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#q"))); err != nil {
		t.Fatal(err)
	}
	expect("first load", "hello/prod,shop/canary,shop/prod", "")

	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#q"), "carol")); err != nil {
		t.Fatal(err)
	}
	expect("typing an operator", "shop/canary", "?q=carol")
	if got := text("shown"); got != "· showing 1" {
		t.Errorf("shown note %q, want %q", got, "· showing 1")
	}

	// Escape clears the search; a chip narrows by state without leaving the page.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#q"), kb.Escape),
		chromedp.Click(chromedp.CSS(`a.chip[data-state="unhealthy"]`))); err != nil {
		t.Fatal(err)
	}
	expect("the unhealthy chip", "hello/prod,shop/canary", "?state=unhealthy")
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelector('a.chip.active').dataset.state === 'unhealthy'`,
		chromedp.WithPollingTimeout(2*time.Second))); err != nil {
		t.Errorf("the unhealthy chip is not marked active: %v", err)
	}

	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#q"), "no such stage")); err != nil {
		t.Fatal(err)
	}
	expect("a search matching nothing", "", "?q=no+such+stage&state=unhealthy")
	if visible, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`!document.getElementById('nomatch').hidden`)); err != nil || !visible {
		t.Errorf("the no-match note is not shown (err %v)", err)
	}

	// The address is shareable: opening it again renders the same filter from the server.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#q"), kb.Escape+"prod")); err != nil {
		t.Fatal(err)
	}
	expect("searching within the filter", "hello/prod", "?q=prod&state=unhealthy")
	if err := chromedp.Do(bctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#q"))); err != nil {
		t.Fatal(err)
	}
	expect("after a reload", "hello/prod", "?q=prod&state=unhealthy")
	if v, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById('q').value`)); err != nil || v != "prod" {
		t.Errorf("search box holds %q after the reload (err %v)", v, err)
	}

	// "/" anywhere on the page jumps to the search box.
	if err := chromedp.Do(bctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === 'q'`,
		chromedp.WithPollingTimeout(2*time.Second))); err != nil {
		t.Errorf("'/' did not focus the search box: %v", err)
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#q"))); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(filepath.Join("..", "test-artifacts", "board"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "home.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
