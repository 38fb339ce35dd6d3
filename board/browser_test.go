package board_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// fakeDeployer answers the actions from the store alone: the browser test is about the
// page, not the workflows, so it needs no Temporal server.
type fakeDeployer struct{ store *schema.Store }

func (f fakeDeployer) StartDeploy(ctx context.Context, req api.StartDeployRequest) (*api.StartDeployResult, error) {
	return nil, core.Errorf(core.ECONFLICT, "the fake deployer starts nothing")
}

func (f fakeDeployer) QueuedDeploy(ctx context.Context, st *schema.Stage) (*api.QueuedDeploy, error) {
	return nil, core.Errorf(core.ENOTFOUND, "nothing is queued")
}

func (f fakeDeployer) PauseDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	if _, err := f.store.DB().NewUpdate().Model((*schema.Deploy)(nil)).Set("paused = ?", true).Where("id = ?", req.Stage.CurrentDeployID).Exec(ctx); err != nil {
		return nil, err
	}
	return f.store.GetDeploy(ctx, req.Stage.CurrentDeployID)
}

func (f fakeDeployer) ResumeDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return nil, core.Errorf(core.ECONFLICT, "the deploy is not paused")
}

func (f fakeDeployer) AbortDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return nil, core.Errorf(core.ECONFLICT, "the fake deployer aborts nothing")
}

func (f fakeDeployer) AlertDeploy(context.Context, *schema.Deploy, api.AlertAction) error {
	return core.Errorf(core.ECONFLICT, "the fake deployer takes no alerts")
}

// CommandWorkers answers that no worker runs acceptance commands.
func (f fakeDeployer) CommandWorkers(context.Context) (int, error) { return 0, nil }

// GiveAcceptance records the verdict on the deploy, as the stage workflow would once the
// qualification tells it.
func (f fakeDeployer) GiveAcceptance(ctx context.Context, req api.AcceptanceRequest) error {
	_, err := f.store.SetAcceptance(ctx, req.Deploy.ID, req.Status, req.Status+" by "+req.Operator+": "+req.Reason, nil, req.Operator)
	return err
}

// gridJS lists the host tiles as "host:colour" pairs, the way the assertions spell it.
const gridJS = `Array.from(document.querySelectorAll('#grid .tile')).map(e => e.dataset.host + ':' + e.dataset.color).join(',')`

// gridLinksJS lists where the host tiles link to.
const gridLinksJS = `Array.from(document.querySelectorAll('#grid a.tile')).map(e => e.getAttribute('href')).join(',')`

// jsColorsJS colours the stage's hosts as the API reports them with board.js's hostColor,
// into window.jsColors as "host:colour" pairs; the test compares them with the Go colours.
const jsColorsJS = `(window.jsColors = null, (tt => { const base = tt.stageAPI('hello', 'prod');
  Promise.all([tt.getJSON(base + '/deploys/current'), tt.getJSON(base + '/hosts')]).then(r => {
    const id = r[0] && r[0].deploy ? r[0].deploy.id : '';
    window.jsColors = r[1].hosts.map(h => h.hostName + ':' + tt.hostColor(h, id, Date.now())).join(',');
  }).catch(e => { window.jsColors = 'error: ' + e; }); })(window.teletraan), 'asked')`

// serveBoard serves the real API (with fakeDeployer) and the board over st for a browser
// test, and returns the server and the secret of an admin token named tokenName.
func serveBoard(t *testing.T, st *schema.Store, tokenName, temporalUIURL string) (*httptest.Server, string) {
	t.Helper()
	secret, _, err := st.CreateToken(context.Background(), schema.TokenSpec{Name: tokenName, Role: schema.RoleAdmin, Scope: "*", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	apiCtx, stopAPI := context.WithCancel(context.Background())
	engine := api.NewRouter(api.Deps{Store: st, Deployer: fakeDeployer{st}, Context: apiCtx, TemporalUIURL: temporalUIURL})
	(&board.Board{Store: st, TemporalUIURL: temporalUIURL}).Register(engine)
	srv := httptest.NewServer(engine)
	t.Cleanup(func() { srv.Close(); stopAPI() })
	return srv, secret
}

func TestStagePageInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 90*time.Second)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, secret := serveBoard(t, st, "alice", "http://127.0.0.1:8233")

	var want, links []string
	for _, h := range hostColors {
		want = append(want, h.name+":"+h.color)
		links = append(links, "/hosts/"+h.name)
	}
	// Without a session the page sends the browser to sign in, and signing in brings it back.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "the sign-in page", `location.pathname === '/login' && !!document.getElementById('token')`, `location.href`)
	browsertest.SignIn(t, bctx, srv.URL, secret)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS("#grid"))); err != nil {
		t.Fatal(err)
	}
	// The server drew the grid with board/hostcolor.go.
	if grid := browsertest.Eval(t, bctx, gridJS); grid != strings.Join(want, ",") {
		t.Fatalf("grid %s, want %s", grid, strings.Join(want, ","))
	}
	if got := browsertest.Eval(t, bctx, gridLinksJS); got != strings.Join(links, ",") {
		t.Errorf("grid squares link to %s, want %s", got, strings.Join(links, ","))
	}
	// board.js's hostColor, given the API's view of the same hosts, agrees with the Go colours
	// for every colour of the fixture.
	browsertest.Eval(t, bctx, jsColorsJS)
	browsertest.WaitFor(t, bctx, 5*time.Second, "the JavaScript colours", `window.jsColors !== null`, `String(window.jsColors)`)
	if got := browsertest.Eval(t, bctx, `window.jsColors`); got != strings.Join(want, ",") {
		t.Fatalf("window.teletraan.hostColor gives %s, board/hostcolor.go %s", got, strings.Join(want, ","))
	}
	// The page paints the phase the API computed and decides nothing itself: a host that
	// never pinged but is reported "failed" is painted failed.
	if got := browsertest.Eval(t, bctx, `[window.teletraan.hostColor({phase: "failed"}), window.teletraan.hostColor({phase: "excluded", agent: {state: "NORMAL"}}), window.teletraan.hostColor({phase: "never-seen"})].join(",")`); got != "failed,excluded,unreachable" {
		t.Errorf("hostColor of phases failed, excluded, never-seen = %s, want failed,excluded,unreachable", got)
	}

	// A host moving to the current deploy turns blue through the poll, without a reload; the
	// redrawn squares are links too.
	if _, err := st.DB().NewUpdate().Model((*schema.Agent)(nil)).Set("deploy_id = ?, deploy_stage = ?", "d1", "DOWNLOADING").
		Where("host_id = ?", "h5-other").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	want[4] = "h5-other:deploying"
	browsertest.WaitFor(t, bctx, 6*time.Second, "the grid to redraw h5-other as deploying",
		gridJS+" === "+browsertest.JSString(strings.Join(want, ",")), gridJS)
	if got := browsertest.Eval(t, bctx, gridLinksJS); got != strings.Join(links, ",") {
		t.Errorf("redrawn grid squares link to %s, want %s", got, strings.Join(links, ","))
	}

	statusText := `document.getElementById('status').textContent`
	status := func(substr string) {
		t.Helper()
		browsertest.WaitFor(t, bctx, 5*time.Second, "the status line to say "+substr,
			statusText+`.includes(`+browsertest.JSString(substr)+`)`, statusText)
		t.Logf("status line: %s", browsertest.Eval(t, bctx, statusText))
	}
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`button[data-action="pause"]`)),
	); err != nil {
		t.Fatal(err)
	}
	status("accepted")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-action="resume"]`))); err != nil {
		t.Fatal(err)
	}
	status("the deploy is not paused")
	browsertest.WaitFor(t, bctx, 5*time.Second, "the deploy state to show the pause",
		`document.getElementById('deploy-state').textContent === 'RUNNING (paused)'`, `document.getElementById('deploy-state').textContent`)
	browsertest.Screenshot(t, bctx, "stage")

	// An on-call engineer clicks a red square and lands on that host's page.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#grid a.tile.failed`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "the failed host's page",
		`location.pathname === '/hosts/h3-failed' && !!document.getElementById('host-stages')`, `location.href`)
}

// offeredJS counts the action buttons the page offers (not hidden for the saved token).
const offeredJS = `String(Array.from(document.querySelectorAll('[data-needs-operator]')).filter(e => !e.hidden && e.offsetParent !== null).length)`

func TestActionsAreOfferedOnlyToTokensThatMayUseThem(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 90*time.Second)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, admin := serveBoard(t, st, "alice", "")
	token := func(name, role, scope string) string {
		secret, _, err := st.CreateToken(context.Background(), schema.TokenSpec{Name: name, Role: role, Scope: scope, CreatedBy: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	reader := token("viewer", schema.RoleReader, "*")
	otherEnv := token("shop-ops", schema.RoleOperator, "shop")
	thisEnv := token("hello-ops", schema.RoleOperator, "hello")

	_ = otherEnv // a token of another environment may not see the page at all: TestAuthorizationMatrix
	open := func(secret string) {
		t.Helper()
		browsertest.SignIn(t, bctx, srv.URL, secret)
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod"), chromedp.WaitVisible(chromedp.CSS("#grid"))); err != nil {
			t.Fatal(err)
		}
	}
	open(admin)
	all := browsertest.Eval(t, bctx, offeredJS)
	if all == "0" {
		t.Fatal("an admin is offered no actions")
	}
	save := func(secret, wantState, wantOffered string) {
		t.Helper()
		open(secret)
		browsertest.WaitFor(t, bctx, 10*time.Second, "the header to say "+wantState,
			`document.getElementById('who-name').textContent.includes(`+browsertest.JSString(wantState)+`)`,
			`document.getElementById('who-name').textContent`)
		if got := browsertest.Eval(t, bctx, offeredJS); got != wantOffered {
			t.Errorf("with %s the page offers %s actions, want %s", wantState, got, wantOffered)
		}
	}
	save(reader, "viewer (READER)", "0")
	browsertest.Screenshot(t, bctx, "stage-reader")
	save(thisEnv, "hello-ops (OPERATOR of hello)", all)
	save(admin, "alice (ADMIN)", all)

	// A token that is not one is refused on the sign-in page, which says why.
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/login"), chromedp.SetValue(chromedp.CSS("#token"), "tt_not-a-token"),
		chromedp.Click(chromedp.CSS("#sign-in-token"))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, bctx, 5*time.Second, "the sign-in page to say the token is not valid",
		`(document.getElementById('why') || {}).textContent && document.getElementById('why').textContent.includes('not valid')`, `document.body.innerText`)
}
