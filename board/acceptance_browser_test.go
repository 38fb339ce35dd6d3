package board_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestDeployPageVerdictInChromium: the deploy page of a deploy waiting for its external
// verdict says so with its evidence, and its Accept button records a verdict with the
// reason typed, which the page then shows.
func TestDeployPageVerdictInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 2*time.Minute)
	st := schematest.SQLite(t)
	newFixture(t, st)
	ctx := context.Background()
	if _, err := st.UpdateStageConfig(ctx, "hello", "prod", func(c *schema.StageConfig) {
		c.Acceptance = &core.Acceptance{BakeSeconds: 60, External: &core.ExternalVerdict{DeadlineSeconds: 3600}}
	}, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetAcceptance(ctx, "d1", core.AcceptancePendingAccept, "acceptance running: bake 1m0s, then an external verdict within 1h0m0s",
		[]core.AcceptanceEvidence{{Kind: core.EvidenceBake, Name: "bake", Passed: true, Detail: "baked 1m0s after SUCCEEDING", At: time.Now()}}, "teletraan (acceptance)"); err != nil {
		t.Fatal(err)
	}
	srv, secret := serveBoard(t, st, "alice", "")

	acceptance := `document.getElementById('acceptance').textContent`
	browsertest.SignIn(t, bctx, srv.URL, secret)
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/deploys/d1"), chromedp.WaitVisible(chromedp.CSS("#acceptance"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "the pending verdict and its evidence",
		acceptance+`.includes('acceptance running: bake 1m0s') && `+acceptance+`.includes('baked 1m0s after SUCCEEDING')`, acceptance)
	browsertest.Eval(t, bctx, answerPrompts("canary metrics look fine"))
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-verdict="ACCEPTED"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 10*time.Second, "the page to show the verdict",
		acceptance+`.includes('ACCEPTED') && `+acceptance+`.includes('canary metrics look fine') && `+acceptance+`.includes('decided by alice')`, acceptance)
	d, err := st.GetDeploy(ctx, "d1")
	if err != nil || d.AcceptanceStatus != core.AcceptanceAccepted || d.AcceptanceBy != "alice" {
		t.Fatalf("deploy after Accept: %+v, %v", d, err)
	}
	browsertest.Screenshot(t, bctx, "deploy-verdict")
}

// TestTagFormInChromium: the builds page's tag form tags the build picked with the reason
// typed, and the reloaded page flags it BAD.
func TestTagFormInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 2*time.Minute)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, secret := serveBoard(t, st, "alice", "")
	browsertest.SignIn(t, bctx, srv.URL, secret)
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod/builds"), chromedp.WaitVisible(chromedp.CSS("#tag-form")),
		chromedp.SetValue(chromedp.CSS("#tag-build"), "b-old"), chromedp.SetValue(chromedp.CSS("#tag-value"), "BAD"),
		chromedp.SetValue(chromedp.CSS("#tag-comment"), "crashes on start")); err != nil {
		t.Fatal(err)
	}
	browsertest.Eval(t, bctx, `(window.confirm = () => true, 'ok')`)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#tag-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 10*time.Second, "the build flagged BAD after the reload",
		`!!document.querySelector('tr[data-build="b-old"] .build-tag.tag-BAD')`, `document.getElementById('status').textContent`)
	tags, err := st.ListBuildTags(context.Background(), "b-old")
	if err != nil || len(tags) != 1 || tags[0].Value != core.TagBad || tags[0].Comment != "crashes on start" || tags[0].Operator != "alice" {
		t.Fatalf("tags of b-old = %+v, %v", tags, err)
	}
}

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
	browsertest.SignIn(t, bctx, srv.URL, secret)
	do(chromedp.Navigate(srv.URL+"/envs/hello/prod/config"), chromedp.WaitVisible(chromedp.CSS("#cfg-acceptance")))
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
