package board_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// groupsJS lists the stage page's build groups as "build=hosts" pairs, in page order.
const groupsJS = `Array.from(document.querySelectorAll('#grid .group')).map(g => g.dataset.build + '=' + g.querySelectorAll('.tile').length).join(',')`

// barJS sums the by-build bar's segment widths and counts them.
const barJS = `(s => s.length + ' segments, ' + Math.round(s.reduce((t, e) => t + parseFloat(e.style.width), 0)) + '%')(Array.from(document.querySelectorAll('#build-bar .seg')))`

func TestHostsByBuildInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 2*time.Minute)
	st := schematest.SQLite(t)
	f := newFixture(t, st)
	ctx := context.Background()
	now := time.Now().UTC()

	// A third build runs on two more hosts, from a deploy between the old and current ones.
	mid := &schema.Build{ID: "b-mid", Name: f.stage.BuildName, ArtifactURL: "https://example.com/mid", CommitShort: "mid777", Branch: "main", PublishedAt: now}
	if _, err := st.DB().NewInsert().Model(mid).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	dm := &schema.Deploy{ID: "d-mid", StageID: f.stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b-mid", Type: core.TypeRegular, Operator: "carol", WorkflowID: "deploy/d-mid"}
	if err := st.CreateDeploy(ctx, dm); err != nil {
		t.Fatal(err)
	}
	// Creating it made it the stage's current deploy; d1 stays the current one.
	if _, err := st.DB().NewUpdate().Model((*schema.Stage)(nil)).Set("current_deploy_id = ?", "d1").Where("id = ?", f.stage.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	caps, err := st.GetCapacity(ctx, "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"h8-mid", "h9-mid"} {
		caps.Hosts = append(caps.Hosts, name)
		if err := st.RecordHost(ctx, &schema.Host{ID: name, HostName: name}); err != nil {
			t.Fatal(err)
		}
		a := schema.Agent{HostID: name, StageID: f.stage.ID, HostName: name, DeployID: "d-mid", DeployStage: "SERVING_BUILD", Status: "SUCCEEDED",
			State: core.AgentNormal, StartedAt: now, StageStartedAt: now, UpdatedAt: now}
		if _, err := st.DB().NewInsert().Model(&a).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.SetCapacity(ctx, "hello", "prod", caps, "alice"); err != nil {
		t.Fatal(err)
	}
	srv, signInSecret := serveBoard(t, st, "alice", "")
	browsertest.SignIn(t, bctx, srv.URL, signInSecret)

	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod"), chromedp.WaitVisible(chromedp.CSS("#grid .group"))); err != nil {
		t.Fatal(err)
	}
	want := xss + "=4,b-mid=2,b-old=1,=2"
	if got := browsertest.Eval(t, bctx, groupsJS); got != want {
		t.Fatalf("groups %s, want %s", got, want)
	}
	// One .host per host in the grid (the group heads' counts are marks, not hosts), so a
	// count of coloured squares is a count of hosts.
	if got := browsertest.Eval(t, bctx, `String(document.querySelectorAll('#grid .host').length) + ' ' + document.querySelectorAll('#grid .host.other').length`); got != "9 3" {
		t.Errorf("#grid .host squares: %s, want 9 hosts of which 3 other", got)
	}
	// current: serving, deploying, failed, excluded; b-mid: serving (other); b-old: other;
	// none: unreachable, never-seen.
	if got := browsertest.Eval(t, bctx, barJS); got != "8 segments, 100%" {
		t.Errorf("by-build bar: %s, want 8 segments, 100%%", got)
	}
	if got := browsertest.Eval(t, bctx, `document.querySelector('#grid .group[data-build="b-mid"] .group-head').textContent`); got != "b-mid main@mid777 2 hosts · 22% of the stage 2 other " {
		t.Errorf("b-mid group head %q", got)
	}
	if got := browsertest.Eval(t, bctx, `document.querySelector('.tile[data-host="h4-paused"]').dataset.phase + ' ' + getComputedStyle(document.querySelector('.tile[data-host="h4-paused"] .host'), '::after').content`); got != `excluded "⊘"` {
		t.Errorf("the excluded host is drawn %s, want its own mark", got)
	}
	browsertest.Screenshot(t, bctx, "hosts-by-build-three-builds")

	// h5 moves from the old build to b-mid: the poll regroups without a reload, the old
	// build's group goes away, and the tiles still link to their hosts.
	if _, err := st.DB().NewUpdate().Model((*schema.Agent)(nil)).Set("deploy_id = ?", "d-mid").Where("host_id = ?", "h5-other").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 8*time.Second, "h5 regrouped under b-mid", groupsJS+" === "+browsertest.JSString(xss+"=4,b-mid=3,=2"), groupsJS)
	if got := browsertest.Eval(t, bctx, `document.querySelector('.tile[data-host="h5-other"]').getAttribute('href') + ' ' + document.querySelector('.tile[data-host="h5-other"]').title`); got != "/hosts/h5-other h5-other · other · b-mid · SERVING_BUILD SUCCEEDED NORMAL" {
		t.Errorf("redrawn tile: %s", got)
	}

	// Search narrows the tiles; Enter on the one match opens its host.
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#tile-search"), "h8")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "one tile shown", `document.getElementById('tile-found').textContent === '1 of 9 hosts match'`, `document.getElementById('tile-found').textContent`)
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#tile-search"), kb.Enter)); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "h8's host page", `location.pathname === '/hosts/h8-mid'`, `location.href`)
}

// TestThousandsOfHostsDrawACompactGrid: past a few hundred hosts the tiles lose their
// labels (the name is on hover and in the search) and the page still fits the window.
func TestThousandsOfHostsDrawACompactGrid(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 2*time.Minute)
	st := schematest.SQLite(t)
	newFixture(t, st)
	ctx := context.Background()
	big := &schema.Stage{EnvName: "hello", StageName: "fleet", StageConfig: schema.DefaultStageConfig("hello", "fleet")}
	if err := st.CreateStage(ctx, big, "alice"); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("fleet-%04d", i)
	}
	if _, err := st.SetCapacity(ctx, "hello", "fleet", schema.Capacity{Hosts: names}, "alice"); err != nil {
		t.Fatal(err)
	}
	srv, signInSecret := serveBoard(t, st, "alice", "")
	browsertest.SignIn(t, bctx, srv.URL, signInSecret)
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/envs/hello/fleet"), chromedp.WaitVisible(chromedp.CSS("#grid .group"))); err != nil {
		t.Fatal(err)
	}
	if got := browsertest.Eval(t, bctx, `document.getElementById('grid').className + ' ' + document.querySelectorAll('#grid .tile').length + ' ' + getComputedStyle(document.querySelector('.tile-name')).display`); got != "groups compact 2000 none" {
		t.Errorf("grid %s, want a compact grid of 2000 unlabelled tiles", got)
	}
	if got := browsertest.Eval(t, bctx, overflowJS); got != "" {
		t.Errorf("2,000 hosts scroll sideways: %s", got)
	}
	if err := chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#tile-search"), "fleet-19")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "the search to find 100 hosts", `document.getElementById('tile-found').textContent === '100 of 2000 hosts match'`, `document.getElementById('tile-found').textContent`)
	browsertest.Screenshot(t, bctx, "hosts-by-build-compact")
}
