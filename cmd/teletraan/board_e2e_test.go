package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
)

// gridCountsJS describes the host grid as {"colour": count}, for failure messages.
const gridCountsJS = `(() => { const c = {}; document.querySelectorAll('#grid .host').forEach(e => { const k = e.className.replace('host ', ''); c[k] = (c[k] || 0) + 1; }); return JSON.stringify(c) + ' state=' + (document.getElementById('deploy-state') || {}).textContent + ' status=' + document.getElementById('status').textContent; })()`

// gridJS counts the grid's squares of one colour.
func gridJS(color string) string {
	return `document.querySelectorAll('#grid .host.` + color + `').length`
}

// TestBoardDrivesARealDeployInChromium is the operator's path through the board with the
// real stack behind it: four real agents serve build 1; in headless Chromium the operator
// saves a token, clicks Deploy on build 2 and watches the grid turn as the agents install
// it one host per wave, clicks Pause and sees no new host start, clicks Resume and sees
// every host serve build 2, then clicks Rollback and sees every host back on build 1.
// Screenshots of each step are kept in $TELETRAAN_SCREENSHOT_DIR (CI: test-artifacts/board/).
func TestBoardDrivesARealDeployInChromium(t *testing.T) {
	browsertest.Path(t)
	const hosts = 4
	s := startTestStack(t, t.TempDir())
	f := startFleet(t, s, hosts)
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"bakeTimeSeconds": 3, "maxParallel": 1, "maxParallelPct": 0}, 200, nil)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, hosts)
	waitDeployState(t, s, d1.Deploy.ID, "SUCCEEDING")
	b2 := publishMarkerBuild(t, s, "2")

	ctx := browsertest.Start(t, 4*time.Minute)
	status := func(substr string) {
		t.Helper()
		browsertest.WaitFor(t, ctx, 20*time.Second, "the status line to say "+substr,
			`document.getElementById('status').textContent.includes(`+browsertest.JSString(substr)+`)`, gridCountsJS)
	}
	// The dev stack's login link signs the local user in and lands on the page asked for.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.loginURL+"&next=/envs/hello/dev"), chromedp.WaitVisible(chromedp.CSS("#grid"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, "the header to name the local user",
		`document.getElementById('who-name').textContent.includes('@localhost (ADMIN)')`, `document.getElementById('who-name').textContent`)
	browsertest.WaitFor(t, ctx, 10*time.Second, "build 1 serving on every host", gridJS("serving")+` === `+fmt.Sprint(hosts), gridCountsJS)
	browsertest.Screenshot(t, ctx, "e2e-1-serving-build-1")

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button[data-deploy="`+b2+`"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// The page reloads itself onto the new deploy and keeps the answer on its status line.
	status("accepted")
	browsertest.WaitFor(t, ctx, 20*time.Second, "the page to show the new deploy",
		`document.body.dataset.deploy !== `+browsertest.JSString(d1.Deploy.ID)+` && document.body.dataset.deploy !== ''`, gridCountsJS)
	d2 := browsertest.Eval(t, ctx, `document.body.dataset.deploy`)
	browsertest.WaitFor(t, ctx, 60*time.Second, "a first host serving build 2 on the grid", gridJS("serving")+` >= 1`, gridCountsJS)
	browsertest.Screenshot(t, ctx, "e2e-2-deploying-build-2")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-action="pause"]`))); err != nil {
		t.Fatal(err)
	}
	status("Pause the current deploy of hello/dev (no new hosts start): accepted")
	browsertest.WaitFor(t, ctx, 10*time.Second, "the state to say paused",
		`document.getElementById('deploy-state').textContent.includes('(paused)')`, gridCountsJS)
	// A host admitted just before the pause may still finish; after that nothing starts,
	// though a whole bake time and more passes.
	time.Sleep(2 * time.Second)
	before := f.rec.hostsTouched(d2)
	movedBefore := browsertest.Eval(t, ctx, `String(`+gridJS("serving")+` + `+gridJS("deploying")+`)`)
	time.Sleep(5 * time.Second)
	after := f.rec.hostsTouched(d2)
	movedAfter := browsertest.Eval(t, ctx, `String(`+gridJS("serving")+` + `+gridJS("deploying")+`)`)
	if len(after) != len(before) || len(after) >= hosts || movedAfter != movedBefore {
		t.Fatalf("while paused, hosts on deploy %s went from %v to %v; grid squares on it from %s to %s", d2, before, after, movedBefore, movedAfter)
	}
	browsertest.Screenshot(t, ctx, "e2e-3-paused")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-action="resume"]`))); err != nil {
		t.Fatal(err)
	}
	status("Resume the current deploy of hello/dev: accepted")
	browsertest.WaitFor(t, ctx, 90*time.Second, "every host serving build 2 on the grid", gridJS("serving")+` === `+fmt.Sprint(hosts), gridCountsJS)
	browsertest.WaitFor(t, ctx, 30*time.Second, "the deploy to succeed",
		`document.getElementById('deploy-state').textContent.startsWith('SUCCEED')`, gridCountsJS)
	waitServing(t, s, d2, hosts)
	browsertest.Screenshot(t, ctx, "e2e-4-serving-build-2")

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-action="rollback"]`))); err != nil {
		t.Fatal(err)
	}
	status("accepted")
	browsertest.WaitFor(t, ctx, 20*time.Second, "the page to show the rollback",
		`document.body.dataset.deploy !== `+browsertest.JSString(d2), gridCountsJS)
	rollback := browsertest.Eval(t, ctx, `document.body.dataset.deploy`)
	browsertest.WaitFor(t, ctx, 90*time.Second, "every host back on build 1 on the grid", gridJS("serving")+` === `+fmt.Sprint(hosts), gridCountsJS)
	var rb deployResponse
	s.call(t, "GET", "/v1/deploys/"+rollback, nil, 200, &rb)
	if rb.Deploy.BuildID != b1 || !strings.Contains(browsertest.Eval(t, ctx, `document.body.textContent`), "ROLLBACK") {
		t.Fatalf("the rollback deploy %s is of build %s, want %s; page: %s", rollback, rb.Deploy.BuildID, b1, browsertest.Eval(t, ctx, gridCountsJS))
	}
	waitServing(t, s, rollback, hosts)
	browsertest.Screenshot(t, ctx, "e2e-5-rolled-back-to-build-1")

	// The paused deploy's own page tells its story: one host per wave (the window is one
	// host), every one of them succeeded, nobody failed.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.apiURL+"/deploys/"+d2), chromedp.WaitVisible(chromedp.CSS("#waves"))); err != nil {
		t.Fatal(err)
	}
	const wavesJS = `Array.from(document.querySelectorAll('#waves tbody tr')).map(r => r.cells[0].textContent.trim() + ':' + r.querySelectorAll('.host.serving').length).join(',')`
	if got := browsertest.Eval(t, ctx, wavesJS); got != "1:1,2:1,3:1,4:1" {
		t.Errorf("waves of deploy %s = %s, want 1:1,2:1,3:1,4:1 (wave:hosts succeeded)", d2, got)
	}
	if browsertest.Eval(t, ctx, `document.getElementById('no-failed') ? 'none' : 'some'`) != "none" {
		t.Errorf("deploy %s lists failed hosts", d2)
	}
	browsertest.Screenshot(t, ctx, "e2e-6-deploy-page")
}
