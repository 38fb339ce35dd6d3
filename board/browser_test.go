package board_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// fakeDeployer answers the actions from the store alone: the browser test is about the
// page, not the workflows, so it needs no Temporal server.
type fakeDeployer struct{ store *schema.Store }

func (f fakeDeployer) StartDeploy(ctx context.Context, req api.StartDeployRequest) (*api.StartDeployResult, error) {
	return nil, schema.Errorf(schema.ECONFLICT, "the fake deployer starts nothing")
}

func (f fakeDeployer) QueuedDeploy(ctx context.Context, st *schema.Stage) (*api.QueuedDeploy, error) {
	return nil, schema.Errorf(schema.ENOTFOUND, "nothing is queued")
}

func (f fakeDeployer) PauseDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	if _, err := f.store.DB().NewUpdate().Model((*schema.Deploy)(nil)).Set("paused = ?", true).Where("id = ?", req.Stage.CurrentDeployID).Exec(ctx); err != nil {
		return nil, err
	}
	return f.store.GetDeploy(ctx, req.Stage.CurrentDeployID)
}

func (f fakeDeployer) ResumeDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return nil, schema.Errorf(schema.ECONFLICT, "the deploy is not paused")
}

func (f fakeDeployer) AbortDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return nil, schema.Errorf(schema.ECONFLICT, "the fake deployer aborts nothing")
}

// chromiumPath is the browser the test drives; CI must have one, a laptop may not.
func chromiumPath(t *testing.T) string { return browsertest.Path(t) }

// gridJS lists the grid as "host:colour" pairs, the way the assertions spell it.
const gridJS = `Array.from(document.querySelectorAll('#grid .host')).map(e => e.title + ':' + e.className.replace('host ', '')).join(',')`

func TestStagePageInChromium(t *testing.T) {
	exe := chromiumPath(t)
	gin.SetMode(gin.TestMode)
	st := schematest.SQLite(t)
	newFixture(t, st)
	secret, _, err := st.CreateToken(context.Background(), schema.TokenSpec{Name: "alice", Role: schema.RoleAdmin, Scope: "*", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	engine := api.NewRouter(api.Deps{Store: st, Deployer: fakeDeployer{st}, Context: ctx, TemporalUIURL: "http://127.0.0.1:8233"})
	(&board.Board{Store: st, TemporalUIURL: "http://127.0.0.1:8233"}).Register(engine)
	srv := httptest.NewServer(engine)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	// Every confirm() the page raises is accepted, as an operator clicking OK would.
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()

	var want []string
	for _, h := range hostColors {
		want = append(want, h.name+":"+h.color)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod"), chromedp.WaitVisible(chromedp.CSS("#grid"))); err != nil {
		t.Fatal(err)
	}
	grid, err := chromedp.Run(bctx, chromedp.Evaluate[string](gridJS))
	if err != nil {
		t.Fatal(err)
	}
	if grid != strings.Join(want, ",") {
		t.Fatalf("grid %s, want %s", grid, strings.Join(want, ","))
	}

	// A host moving to the current deploy turns blue through the poll, without a reload.
	if _, err := st.DB().NewUpdate().Model((*schema.Agent)(nil)).Set("deploy_id = ?, deploy_stage = ?", "d1", "DOWNLOADING").
		Where("host_id = ?", "h5-other").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	want[4] = "h5-other:deploying"
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](gridJS+" === "+jsString(strings.Join(want, ",")),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(6*time.Second))); err != nil {
		got, _ := chromedp.Run(bctx, chromedp.Evaluate[string](gridJS))
		t.Fatalf("grid did not redraw: %v; grid %s", err, got)
	}

	// Without a token the buttons say what is missing instead of sending.
	status := func(substr string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Poll[string](`(t => t.includes(`+jsString(substr)+`) && t)(document.getElementById('status').textContent)`,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		if err != nil {
			got, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
			t.Fatalf("status line never said %q: %v; it says %q", substr, err, got)
		}
		return s
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-action="pause"]`))); err != nil {
		t.Fatal(err)
	}
	status("Set the API token")

	if err := chromedp.Do(bctx,
		chromedp.SetValue(chromedp.CSS("#token"), secret),
		chromedp.Click(chromedp.CSS("#save-token")),
		chromedp.Click(chromedp.CSS(`button[data-action="pause"]`)),
	); err != nil {
		t.Fatal(err)
	}
	t.Logf("status line: %s", status("accepted"))
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-action="resume"]`))); err != nil {
		t.Fatal(err)
	}
	t.Logf("status line: %s", status("the deploy is not paused"))
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById('deploy-state').textContent === 'RUNNING (paused)'`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("deploy state did not show the pause: %v", err)
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
	path := filepath.Join(dir, "stage.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// jsString quotes s as a JavaScript string literal for the assertions' expressions.
func jsString(s string) string { return browsertest.JSString(s) }
