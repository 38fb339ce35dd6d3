package board_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestConfigPageInChromium edits a stage's config the way an operator does: a value the
// browser refuses, one the server refuses, a bad script variable, then a good save, and
// the change in the history.
func TestConfigPageInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 90*time.Second)
	st := schematest.SQLite(t)
	newConfigStage(t, st)
	srv, secret := serveBoard(t, st, "carol", "")

	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		return browsertest.Eval(t, bctx, js)
	}
	// waitText waits until the element sel's text contains substr.
	waitText := func(sel, substr string) {
		t.Helper()
		text := `((document.querySelector(` + browsertest.JSString(sel) + `) || {}).textContent || '')`
		browsertest.WaitFor(t, bctx, 10*time.Second, sel+" saying "+substr, text+`.includes(`+browsertest.JSString(substr)+`)`,
			text+` + ' / status line: ' + document.getElementById('status').textContent`)
	}
	value := func(sel string) string {
		t.Helper()
		return eval(`document.querySelector(` + browsertest.JSString(sel) + `).value`)
	}
	stored := func() *schema.Stage {
		t.Helper()
		s, err := st.GetStage(context.Background(), "hello", "prod")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const (
		thresholdErr = `[data-error-for="successThreshold"]`
		buildNameErr = `[data-error-for="buildName"]`
		varsErr      = `[data-error-for="scriptVariables"]`
		newVarKey    = `fieldset[data-field="scriptVariables"] tbody tr:last-child .cfg-key`
		newVarValue  = `fieldset[data-field="scriptVariables"] tbody tr:last-child .cfg-value`
	)

	browsertest.SignIn(t, bctx, srv.URL, secret)
	do(chromedp.Navigate(srv.URL+"/envs/hello/prod/config"), chromedp.WaitVisible(chromedp.CSS("#config-form")))

	// The browser refuses an out-of-range percent next to the field, keeps the input and
	// sends nothing.
	do(chromedp.SetValue(chromedp.CSS("#cfg-successThreshold"), "150"), chromedp.Click(chromedp.CSS("#save-config")))
	waitText(thresholdErr, "must be between 0 and 100")
	waitText("#status", "Not saved: fix successThreshold")
	if got := value("#cfg-successThreshold"); got != "150" {
		t.Fatalf("successThreshold input %q after the refusal, want 150 kept", got)
	}

	// The server refuses a build name the browser lets through; its field error lands next
	// to buildName, the old message is gone, and every input is kept.
	do(chromedp.SetValue(chromedp.CSS("#cfg-successThreshold"), "80"), chromedp.SetValue(chromedp.CSS("#cfg-buildName"), "bad name"),
		chromedp.Click(chromedp.CSS("#save-config")))
	waitText(buildNameErr, "is not a valid build name")
	if got := eval(`document.querySelector('` + thresholdErr + `').textContent`); got != "" {
		t.Errorf("old successThreshold error still shown: %q", got)
	}
	if a, b := value("#cfg-buildName"), value("#cfg-successThreshold"); a != "bad name" || b != "80" {
		t.Fatalf("inputs after the server's refusal: buildName %q, successThreshold %q", a, b)
	}
	if s := stored(); s.SuccessThreshold != 90 || s.BuildName != "hello" {
		t.Fatalf("a refused save changed the stage: %+v", s.StageConfig)
	}

	// A script variable the server refuses is marked at its row group, the row kept.
	do(chromedp.SetValue(chromedp.CSS("#cfg-buildName"), "hello"),
		chromedp.Click(chromedp.CSS(`fieldset[data-field="scriptVariables"] .cfg-add`)),
		chromedp.SetValue(chromedp.CSS(newVarKey), "1BAD"), chromedp.SetValue(chromedp.CSS(newVarValue), "x"),
		chromedp.Click(chromedp.CSS("#save-config")))
	waitText(varsErr, "not a valid environment variable name")
	if got := value(newVarKey); got != "1BAD" {
		t.Fatalf("new row key %q after the refusal, want 1BAD kept", got)
	}

	// Fixed, it saves; the page says so and links to the history.
	do(chromedp.SetValue(chromedp.CSS(newVarKey), "BAD1"), chromedp.Click(chromedp.CSS("#save-config")))
	waitText("#status", "Saved")
	if hidden := eval(`String(document.getElementById('config-saved').hidden)`); hidden != "false" {
		t.Fatalf("saved note hidden after a save")
	}
	if got := eval(`document.querySelector('` + varsErr + `').textContent`); got != "" {
		t.Errorf("scriptVariables error still shown after the save: %q", got)
	}
	s := stored()
	if s.SuccessThreshold != 80 || s.ScriptVariables["BAD1"] != "x" || s.ScriptVariables["GREETING"] != xss || len(s.Alarms) != 1 || s.LastOperator != "carol" {
		t.Fatalf("stored config after the save: %+v (by %s)", s.StageConfig, s.LastOperator)
	}

	// Saving again without changes sends nothing and keeps the link to the history.
	do(chromedp.Click(chromedp.CSS("#save-config")))
	waitText("#status", "Nothing to save")

	// The capacity form shows what the server stored: sorted and de-duplicated.
	do(chromedp.SetValue(chromedp.CSS("#cap-hosts"), "h3\nh1\n\nh3"), chromedp.Click(chromedp.CSS("#save-capacity")))
	waitText("#capacity-status", "Capacity saved: 2 hosts, 1 groups")
	if got := value("#cap-hosts"); got != "h1\nh3" {
		t.Errorf("hosts textarea %q after the save, want the stored h1, h3", got)
	}
	browsertest.Screenshot(t, bctx, "config")

	do(chromedp.Click(chromedp.CSS("#config-saved a")), chromedp.WaitVisible(chromedp.CSS(".cfg-history")))
	newest := eval(`document.querySelector('.cfg-history tbody tr:nth-child(2)').textContent`)
	for _, want := range []string{"carol", "successThreshold", "90", "80", "scriptVariables[BAD1]", `"x"`} {
		if !strings.Contains(newest, want) {
			t.Errorf("history entry of the save lacks %q: %s", want, newest)
		}
	}
	if first := eval(`document.querySelector('.cfg-history tbody tr').textContent`); !strings.Contains(first, `"h2"`) || !strings.Contains(first, "capacity") {
		t.Errorf("newest history entry is not the capacity change: %s", first)
	}

	// The pickers start on the newest entry and the one of its kind before it (both
	// capacity); comparing them shows the hosts side by side.
	do(chromedp.Click(chromedp.CSS(`#history-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#compare")))
	if got := eval(`Array.from(document.querySelectorAll('#compare tr.cfg-differs td:first-child')).map(td => td.textContent).join(',')`); got != "hosts ≠" {
		t.Errorf("comparison of the two capacity changes marks %q, want only hosts", got)
	}
	browsertest.Screenshot(t, bctx, "confighistory")
}
