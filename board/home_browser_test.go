package board_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
)

// visibleStagesJS lists the stage rows the operator can see, as "env/stage" joined by commas.
const visibleStagesJS = `Array.from(document.querySelectorAll('#stages tr.stage-row')).filter(r => !r.hidden && r.offsetParent !== null).map(r => r.querySelector('td.name').textContent).join(',')`

func TestHomeSearchInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 90*time.Second)
	f := homeFixture(t)
	engine := gin.New()
	(&board.Board{Store: f.store, TemporalUIURL: "http://127.0.0.1:8233"}).Register(engine)
	srv := httptest.NewServer(engine)
	defer srv.Close()

	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	// expect waits until the visible rows and the query string are the given ones.
	expect := func(step, rows, search string) {
		t.Helper()
		browsertest.WaitFor(t, bctx, 5*time.Second, step+": rows "+rows+" at "+search,
			visibleStagesJS+" === "+browsertest.JSString(rows)+" && location.search === "+browsertest.JSString(search),
			visibleStagesJS+" + ' at ' + location.search")
	}
	text := func(id string) string {
		t.Helper()
		return browsertest.Eval(t, bctx, `document.getElementById(`+browsertest.JSString(id)+`).textContent`)
	}

	do(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#q")))
	expect("first load", "hello/prod,shop/canary,shop/prod", "")

	do(chromedp.SendKeys(chromedp.CSS("#q"), "carol"))
	expect("typing an operator", "shop/canary", "?q=carol")
	if got := text("shown"); got != "· showing 1" {
		t.Errorf("shown note %q, want %q", got, "· showing 1")
	}

	// Escape clears the search; a chip narrows by state without leaving the page.
	do(chromedp.SendKeys(chromedp.CSS("#q"), kb.Escape), chromedp.Click(chromedp.CSS(`a.chip[data-state="unhealthy"]`)))
	expect("the unhealthy chip", "hello/prod,shop/canary", "?state=unhealthy")
	browsertest.WaitFor(t, bctx, 2*time.Second, "the unhealthy chip marked active",
		`document.querySelector('a.chip.active').dataset.state === 'unhealthy'`, `document.querySelector('a.chip.active').dataset.state`)

	do(chromedp.SendKeys(chromedp.CSS("#q"), "no such stage"))
	expect("a search matching nothing", "", "?q=no+such+stage&state=unhealthy")
	if got := browsertest.Eval(t, bctx, `String(!document.getElementById('nomatch').hidden)`); got != "true" {
		t.Errorf("the no-match note is not shown")
	}

	// The address is shareable: opening it again renders the same filter from the server.
	do(chromedp.SendKeys(chromedp.CSS("#q"), kb.Escape+"prod"))
	expect("searching within the filter", "hello/prod", "?q=prod&state=unhealthy")
	do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#q")))
	expect("after a reload", "hello/prod", "?q=prod&state=unhealthy")
	if v := browsertest.Eval(t, bctx, `document.getElementById('q').value`); v != "prod" {
		t.Errorf("search box holds %q after the reload", v)
	}

	// "/" anywhere on the page jumps to the search box.
	do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("/"))
	browsertest.WaitFor(t, bctx, 2*time.Second, "'/' to focus the search box",
		`!!document.activeElement && document.activeElement.id === 'q'`, `String(document.activeElement && document.activeElement.id)`)

	do(chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#q")))
	browsertest.Screenshot(t, bctx, "home")
}
