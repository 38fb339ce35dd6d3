package board_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestAcceptanceOnTheConfigPageInChromium: the config page's acceptance field refuses what
// is not JSON in the browser, shows the server's field error (acceptance.http[0].url) next
// to it, and saves a good acceptance, which the stage then has.
func TestAcceptanceOnTheConfigPageInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 90*time.Second)
	st := schematest.SQLite(t)
	newConfigStage(t, st)
	srv, secret := serveBoard(t, st, "carol", "")
	errText := `document.querySelector('[data-error-for="acceptance"]').textContent`
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	do(chromedp.Navigate(srv.URL+"/envs/hello/prod/config"), chromedp.WaitVisible(chromedp.CSS("#cfg-acceptance")),
		chromedp.SetValue(chromedp.CSS("#token"), secret), chromedp.Click(chromedp.CSS("#save-token")))
	browsertest.Eval(t, bctx, `(window.confirm = () => true, 'ok')`)

	do(chromedp.SetValue(chromedp.CSS("#cfg-acceptance"), `{"bakeSeconds": `), chromedp.Click(chromedp.CSS("#save-config")))
	browsertest.WaitFor(t, bctx, 10*time.Second, "the browser's JSON error", errText+`.includes('is not JSON')`, errText)

	do(chromedp.SetValue(chromedp.CSS("#cfg-acceptance"), `{"http": [{"url": "ftp://svc/health"}]}`), chromedp.Click(chromedp.CSS("#save-config")))
	browsertest.WaitFor(t, bctx, 10*time.Second, "the server's field error next to the acceptance",
		errText+`.includes('acceptance.http[0].url') && `+errText+`.includes('not an absolute http or https URL')`, errText)

	do(chromedp.SetValue(chromedp.CSS("#cfg-acceptance"), `{"bakeSeconds": 60, "external": {"deadlineSeconds": 3600}}`), chromedp.Click(chromedp.CSS("#save-config")))
	browsertest.WaitFor(t, bctx, 10*time.Second, "the config saved", `!document.getElementById('config-saved').hidden`, `document.getElementById('status').textContent`)
	s, err := st.GetStage(context.Background(), "hello", "prod")
	if err != nil || s.Acceptance == nil || s.Acceptance.BakeSeconds != 60 || s.Acceptance.External == nil || s.Acceptance.External.DeadlineSeconds != 3600 {
		t.Fatalf("stored acceptance = %+v, %v", s.Acceptance, err)
	}
}
