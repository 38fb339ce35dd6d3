package board_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// visibleHostsJS lists the hosts table's visible rows by host name, joined by commas.
const visibleHostsJS = `Array.from(document.querySelectorAll('#hosts tbody tr')).filter(r => !r.hidden).map(r => r.dataset.host).join(',')`

// rowActionsJS lists the action buttons of host's row, in order.
func rowActionsJS(host string) string {
	return `Array.from(document.querySelectorAll(` + browsertest.JSString(`tr[data-host="`+host+`"] button[data-host-action]`) + `)).map(b => b.dataset.hostAction).join(',')`
}

// hostCellJS is the text of a cell (by class) in host's row.
func hostCellJS(host, class string) string {
	return `document.querySelector(` + browsertest.JSString(`tr[data-host="`+host+`"] .`+class) + `).textContent`
}

func TestHostsPageInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 90*time.Second)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, secret := serveBoard(t, st, "alice", "http://127.0.0.1:8233")
	browsertest.SignIn(t, bctx, srv.URL, secret)

	all := make([]string, len(hostColors))
	for i, h := range hostColors {
		all[i] = h.name
	}
	expectRows := func(step, rows, search string) {
		t.Helper()
		browsertest.WaitFor(t, bctx, 5*time.Second, step,
			visibleHostsJS+" === "+browsertest.JSString(rows)+" && location.search === "+browsertest.JSString(search),
			visibleHostsJS+" + ' at ' + location.search + ' / ' + document.getElementById('hosts-shown').textContent")
	}
	setState := func(state string) {
		t.Helper()
		browsertest.Eval(t, bctx, `(s => { s.value = `+browsertest.JSString(state)+`; s.dispatchEvent(new Event('change')); return s.value })(document.getElementById('filter-state'))`)
	}
	status := func(substr string) {
		t.Helper()
		browsertest.WaitFor(t, bctx, 5*time.Second, "status line saying "+substr,
			`document.getElementById('status').textContent.includes(`+browsertest.JSString(substr)+`)`, `document.getElementById('status').textContent`)
	}

	// A link to the failed hosts opens with only them shown.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod/hosts?state=failed"), chromedp.WaitVisible(chromedp.CSS("#hosts"))); err != nil {
		t.Fatal(err)
	}
	expectRows("server-side filter", "h3-failed", "?state=failed")

	// The filter box narrows and widens in place, keeping the address shareable.
	setState("")
	expectRows("no filter", strings.Join(all, ","), "")
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#filter-name"), "h5")); err != nil {
		t.Fatal(err)
	}
	expectRows("name filter", "h5-other", "?name=h5")
	if got := browsertest.Eval(t, bctx, `document.getElementById('hosts-shown').textContent`); got != "Showing 1 of 7 hosts" {
		t.Errorf("shown line %q", got)
	}
	setState("paused")
	expectRows("name and colour filter matching nothing", "", "?name=h5&state=paused")
	if browsertest.Eval(t, bctx, `String(document.getElementById('no-match').hidden)`) != "false" {
		t.Errorf("no-match note hidden while no row matches")
	}
	setState("NORMAL")
	expectRows("name and agent state filter", "h5-other", "?name=h5&state=NORMAL")
	setState("")

	pause := chromedp.CSS(`tr[data-host="h5-other"] button[data-host-action="pause"]`)
	if err := chromedp.Do(bctx,
		chromedp.Click(pause),
	); err != nil {
		t.Fatal(err)
	}
	status("h5-other is now PAUSED_IN_DEPLOY")
	browsertest.WaitFor(t, bctx, 5*time.Second, "the row showing the pause",
		hostCellJS("h5-other", "c-state")+` === 'PAUSED_IN_DEPLOY' && document.querySelector('tr[data-host="h5-other"] .c-color').className === 'host paused c-color'`,
		`document.querySelector('tr[data-host="h5-other"]').textContent`)
	// h5 is paused; h4, excluded, is counted apart.
	if got := browsertest.Eval(t, bctx, `['paused', 'excluded'].map(c => document.querySelector('.host-count[data-color="' + c + '"] .n').textContent).join(',')`); got != "1,1" {
		t.Errorf("summary counts %s paused and excluded hosts, want 1,1", got)
	}
	// A paused host offers Resume and Exclude, nothing else.
	browsertest.WaitFor(t, bctx, 5*time.Second, "the paused row's buttons", rowActionsJS("h5-other")+` === 'resume,exclude'`, rowActionsJS("h5-other"))
	hosts, err := st.ListStageHosts(context.Background(), "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if h.HostName == "h5-other" && (h.Agent == nil || h.Agent.State != core.AgentPausedInDeploy) {
			t.Fatalf("h5-other not paused in the store: %+v", h.Agent)
		}
	}

	// Resume is not offered on a host nobody paused.
	if got := browsertest.Eval(t, bctx, rowActionsJS("h1-serving")); got != "pause,exclude" {
		t.Errorf("h1-serving offers %s, want pause,exclude", got)
	}
	// A host that failed after the page drew it: its Pause is refused with the reason, and
	// the refresh then offers what applies.
	browsertest.Eval(t, bctx, `(i => { i.value = ''; i.dispatchEvent(new Event('input')); return i.value })(document.getElementById('filter-name'))`)
	expectRows("filter cleared", strings.Join(all, ","), "")
	if _, err := st.DB().NewUpdate().Model((*schema.Agent)(nil)).Set("state = ?", core.AgentPausedBySystem).Where("host_id = ?", "h1-serving").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`tr[data-host="h1-serving"] button[data-host-action="pause"]`))); err != nil {
		t.Fatal(err)
	}
	status("refused: ")
	status("retry it, or exclude it")
	browsertest.WaitFor(t, bctx, 10*time.Second, "the refresh offering retry", rowActionsJS("h1-serving")+` === 'retry,exclude'`, rowActionsJS("h1-serving"))

	// Resume puts the host back.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`tr[data-host="h5-other"] button[data-host-action="resume"]`))); err != nil {
		t.Fatal(err)
	}
	status("h5-other is now NORMAL")
	browsertest.WaitFor(t, bctx, 5*time.Second, "the row showing the resume", hostCellJS("h5-other", "c-state")+` === 'NORMAL'`,
		`document.querySelector('tr[data-host="h5-other"]').textContent`)
	browsertest.Screenshot(t, bctx, "hosts")

	// The host page sends the same actions per stage and redraws the row from the answer.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/hosts/h5-other"), chromedp.WaitVisible(chromedp.CSS("#host-stages"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`tr[data-stage="prod"] button[data-host-action="exclude"]`))); err != nil {
		t.Fatal(err)
	}
	status("h5-other is now PAUSED_BY_USER")
	browsertest.WaitFor(t, bctx, 5*time.Second, "the host page row showing the exclusion, with Resume and Pause",
		`document.querySelector('tr[data-stage="prod"] .c-state').textContent === 'PAUSED_BY_USER' && `+
			`Array.from(document.querySelectorAll('tr[data-stage="prod"] button[data-host-action]')).map(b => b.dataset.hostAction).join(',') === 'resume,pause'`,
		`document.querySelector('tr[data-stage="prod"]').textContent`)
	browsertest.Screenshot(t, bctx, "host")
}
