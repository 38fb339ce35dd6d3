package board_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// longValue is wider than any table cell should be allowed to grow: commit titles, branch
// names and errors this long are what pushed the old pages past the window.
var longValue = strings.Repeat("long-unbroken-value-", 12)

// addLongValues gives the fixture's stage the data that made pages overflow: a long-named
// host with a long error, and a build with a long branch and commit title.
func addLongValues(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	st := f.store
	name := "host-" + strings.Repeat("x", 60)
	caps, err := st.GetCapacity(ctx, "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	caps.Hosts = append(caps.Hosts, name)
	if _, err := st.SetCapacity(ctx, "hello", "prod", caps, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordHost(ctx, &schema.Host{ID: name, HostName: name, IP: "10.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	a := schema.Agent{HostID: name, StageID: f.stage.ID, HostName: name, DeployID: "d1", DeployStage: "RESTARTING",
		Status: "SCRIPT_FAILED", State: core.AgentPausedBySystem, StartedAt: now, StageStartedAt: now, UpdatedAt: now}
	if _, err := st.DB().NewInsert().Model(&a).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	e := &schema.AgentError{HostID: name, StageID: f.stage.ID, HostName: name, ErrorMessage: longValue + "\n" + longValue, UpdatedAt: now}
	if _, err := st.DB().NewInsert().Model(e).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	b := &schema.Build{ID: "b-long-" + strings.Repeat("y", 50), Name: f.stage.BuildName, ArtifactURL: "https://example.com/long",
		CommitShort: "def456", Branch: "feature/" + longValue, CommitInfo: "Broken: bad checksum " + longValue, Publisher: "ci-" + longValue,
		PublishedAt: now}
	if _, err := st.DB().NewInsert().Model(b).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// overflowJS describes how far the page scrolls sideways: "" when it does not.
const overflowJS = `(() => { const d = document.documentElement;
  if (d.scrollWidth <= d.clientWidth) return '';
  const wide = Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > d.clientWidth + 1)
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + String(e.className).split(' ').join('.') : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');
  return 'scrollWidth ' + d.scrollWidth + ' > clientWidth ' + d.clientWidth + '; widest: ' + wide.join(', '); })()`

// TestNoPageScrollsSideways opens every board page at the two window widths people use
// most and fails when a page is wider than the window. Each page is kept as a screenshot
// (TELETRAAN_SCREENSHOT_DIR).
func TestNoPageScrollsSideways(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 3*time.Minute)
	st := schematest.SQLite(t)
	f := newFixture(t, st)
	addLongValues(t, f)
	srv, signInSecret := serveBoard(t, st, "alice", "http://127.0.0.1:8233")
	browsertest.SignIn(t, bctx, srv.URL, signInSecret)
	pages := append([]string{"/hosts/host-" + strings.Repeat("x", 60), "/envs/hello/prod/builds/compare?from=b-old&to=b-long-" + strings.Repeat("y", 50)}, boardPages...)
	for _, width := range []int64{1280, 1440} {
		if err := chromedp.Do(bctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		for i, path := range pages {
			if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+path), chromedp.WaitReady("body")); err != nil {
				t.Fatal(err)
			}
			if got := browsertest.Eval(t, bctx, overflowJS); got != "" {
				t.Errorf("%s at %d px scrolls sideways: %s", path, width, got)
			}
			browsertest.Screenshot(t, bctx, fmt.Sprintf("layout-%d-%02d%s", width, i, slug(path)))
		}
	}

	// The same colour tokens draw a dark page when the system asks for one.
	bg := `getComputedStyle(document.body).backgroundColor`
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod"), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	light := browsertest.Eval(t, bctx, bg)
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "the dark background", bg+" !== "+browsertest.JSString(light), bg)
	if got := browsertest.Eval(t, bctx, overflowJS); got != "" {
		t.Errorf("dark stage page scrolls sideways: %s", got)
	}
	browsertest.Screenshot(t, bctx, "layout-1440-dark-stage")
}

func TestFaviconIsServed(t *testing.T) {
	gin.SetMode(gin.TestMode)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, _ := serveBoard(t, st, "alice", "")
	res, err := http.Get(srv.URL + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "image/svg+xml") || !strings.HasPrefix(string(body), "<svg") {
		t.Fatalf("GET /favicon.ico: %d %s, %.40s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	engine, _ := boardEngine(t)
	for _, path := range boardPages {
		if body := get(t, engine, path).Body.String(); !strings.Contains(body, `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`) {
			t.Errorf("%s links no icon", path)
		}
	}
}

// slug turns a board path into a file name part.
func slug(path string) string {
	path, _, _ = strings.Cut(path, "?")
	s := strings.NewReplacer("/", "-", "<", "", ">", "").Replace(path)
	if s == "-" {
		return "-home"
	}
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
