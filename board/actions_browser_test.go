package board_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
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

// recordingDeployer starts every deploy it is asked for as a RUNNING row and remembers the
// requests, so a test can check what the board sent.
type recordingDeployer struct {
	fakeDeployer
	mu    sync.Mutex
	calls []api.StartDeployRequest
}

func (r *recordingDeployer) StartDeploy(ctx context.Context, req api.StartDeployRequest) (*api.StartDeployResult, error) {
	r.mu.Lock()
	r.calls = append(r.calls, req)
	n := len(r.calls)
	r.mu.Unlock()
	d := &schema.Deploy{ID: "rec" + string(rune('0'+n)), StageID: req.Stage.ID, EnvName: req.Stage.EnvName, StageName: req.Stage.StageName,
		BuildID: req.Build.ID, Type: req.Type, Operator: req.Operator, Description: req.Description, WorkflowID: "deploy/rec"}
	if err := r.store.CreateDeploy(ctx, d); err != nil {
		return nil, err
	}
	return &api.StartDeployResult{Deploy: d}, nil
}

// last is the newest request, or a zero one.
func (r *recordingDeployer) last() api.StartDeployRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return api.StartDeployRequest{}
	}
	return r.calls[len(r.calls)-1]
}

// answerPrompts makes the page's prompt() answer text and remember what it asked, the way
// an operator would type a description.
func answerPrompts(text string) string {
	return `(window.prompt = m => { window.asked = m; return ` + browsertest.JSString(text) + `; }, 'ok')`
}

func TestDeployActionsInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 2*time.Minute)
	st := schematest.SQLite(t)
	f := newFixture(t, st)
	feature := &schema.Build{ID: "b-feature", Name: f.stage.BuildName, ArtifactURL: "https://example.com/f", CommitShort: "fea7", Branch: "feature/x", PublishedAt: time.Now().UTC()}
	if _, err := st.DB().NewInsert().Model(feature).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	secret, _, err := st.CreateToken(context.Background(), schema.TokenSpec{Name: "alice", Role: schema.RoleAdmin, Scope: "*", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingDeployer{fakeDeployer: fakeDeployer{st}}
	engine := api.NewRouter(api.Deps{Store: st, Deployer: rec, Context: t.Context()})
	(&board.Board{Store: st}).Register(engine)
	srv := httptest.NewServer(engine)
	t.Cleanup(srv.Close)

	stateOf := func(host string) string {
		t.Helper()
		hosts, err := st.ListStageHosts(context.Background(), "hello", "prod")
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hosts {
			if h.HostName == host && h.Agent != nil {
				return h.Agent.State
			}
		}
		return ""
	}
	// resetTo checks that h3-failed was retried, then fails it again for the next step.
	resetTo := func(state string) {
		t.Helper()
		if got := stateOf("h3-failed"); got != core.AgentReset {
			t.Fatalf("h3-failed is %s after the retry, want RESET", got)
		}
		if _, err := st.DB().NewUpdate().Model((*schema.Agent)(nil)).Set("state = ?", state).Where("host_id = ?", "h3-failed").Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	statusIs := func(substr string) {
		t.Helper()
		browsertest.WaitFor(t, bctx, 5*time.Second, "status line saying "+substr,
			`document.getElementById('status').textContent.includes(`+browsertest.JSString(substr)+`)`, `document.getElementById('status').textContent`)
	}
	open := func(path, ready string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
			t.Fatal(err)
		}
		browsertest.Eval(t, bctx, answerPrompts("rolling forward past the bad config"))
	}

	// Roll back from a history row: the deploy of b-old, with the typed description.
	browsertest.SignIn(t, bctx, srv.URL, secret)
	open("/envs/hello/prod/deploys", "table.history")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-rollback-to="d0"]`))); err != nil {
		t.Fatal(err)
	}
	statusIs("accepted")
	if got := rec.last(); got.Type != core.TypeRollback || got.Build.ID != "b-old" || got.Description != "rolling forward past the bad config" {
		t.Fatalf("rollback sent %s of %s with %q", got.Type, got.Build.ID, got.Description)
	}
	if got := browsertest.Eval(t, bctx, `window.asked`); got != "Roll hello/prod back to build b-old of deploy d0?\nDescription (optional: why; kept with the deploy):" {
		t.Errorf("rollback asked %q", got)
	}

	// Every deploy action on the stage page asks for a description too.
	open("/envs/hello/prod", "#grid")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-deploy="b-old"]`))); err != nil {
		t.Fatal(err)
	}
	statusIs("accepted")
	if got := rec.last(); got.Type != core.TypeRegular || got.Build.ID != "b-old" || got.Description != "rolling forward past the bad config" {
		t.Fatalf("deploy sent %s of %s with %q", got.Type, got.Build.ID, got.Description)
	}
	// A build from another branch than the stage's says so in the prompt before it is sent.
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-deploy="b-feature"]`))); err != nil {
		t.Fatal(err)
	}
	statusIs("Deploy build b-feature to hello/prod (build is from branch feature/x, but the stage deploys main): accepted")
	if got := browsertest.Eval(t, bctx, `window.asked`); !strings.Contains(got, "build is from branch feature/x, but the stage deploys main") {
		t.Errorf("deploy of an off-branch build asked %q", got)
	}
	// Cancelling the prompt sends nothing.
	browsertest.Eval(t, bctx, `(window.prompt = () => null, document.getElementById('status').textContent = '', 'ok')`)
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-action="restart"]`))); err != nil {
		t.Fatal(err)
	}
	if got := browsertest.Eval(t, bctx, `document.getElementById('status').textContent`); rec.last().Type == core.TypeRestart || got != "" {
		t.Errorf("a cancelled restart was sent (status %q)", got)
	}

	// The deploy page of the old deploy offers to roll back to it.
	open("/deploys/d0", "#summary")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[data-rollback-to="d0"]`))); err != nil {
		t.Fatal(err)
	}
	statusIs("accepted")
	if got := rec.last(); got.Type != core.TypeRollback || got.Build.ID != "b-old" {
		t.Fatalf("deploy page rollback sent %s of %s", got.Type, got.Build.ID)
	}
	// That made rec1..rec3 the current deploy; d1 is current again for the retries below.
	if _, err := st.DB().NewUpdate().Model((*schema.Stage)(nil)).Set("current_deploy_id = ?", "d1").Where("id = ?", f.stage.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The running deploy's page retries the hosts it recorded as failed.
	if err := st.AdmitHosts(context.Background(), f.stage.ID, "d1", []string{"h3-failed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordHostOutcomes(context.Background(), "d1", []schema.HostOutcome{{HostID: "h3-failed", Outcome: core.OutcomeFailed, ErrorMessage: "boom"}}); err != nil {
		t.Fatal(err)
	}
	open("/deploys/d1", "#failed-hosts")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#retry-failed`))); err != nil {
		t.Fatal(err)
	}
	statusIs("Retry 1 failed host of hello/prod (h3-failed): 1 retried.")
	resetTo(core.AgentPausedBySystem)

	// Retry failed hosts resets every host shown as failed.
	open("/envs/hello/prod", "#grid")
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#retry-failed`))); err != nil {
		t.Fatal(err)
	}
	statusIs("1 retried")
	if got := stateOf("h3-failed"); got != core.AgentReset {
		t.Errorf("h3-failed is %s after Retry failed hosts, want RESET", got)
	}
	browsertest.Screenshot(t, bctx, "actions-retry-failed")
}

func TestDeleteStageInChromium(t *testing.T) {
	gin.SetMode(gin.TestMode)
	bctx := browsertest.Start(t, 2*time.Minute)
	st := schematest.SQLite(t)
	newFixture(t, st)
	srv, admin := serveBoard(t, st, "alice", "")
	operator, _, err := st.CreateToken(context.Background(), schema.TokenSpec{Name: "hello-ops", Role: schema.RoleOperator, Scope: "hello", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	deleteStatus := `document.getElementById('delete-status').textContent`
	statusIs := func(substr string) {
		t.Helper()
		browsertest.WaitFor(t, bctx, 5*time.Second, "delete status saying "+substr, deleteStatus+`.includes(`+browsertest.JSString(substr)+`)`, deleteStatus)
	}
	saveToken := func(secret, state string) {
		t.Helper()
		browsertest.SignIn(t, bctx, srv.URL, secret)
		browsertest.WaitFor(t, bctx, 5*time.Second, "the header to say "+state,
			`document.getElementById('who-name').textContent.includes(`+browsertest.JSString(state)+`)`, `document.getElementById('who-name').textContent`)
	}
	browsertest.SignIn(t, bctx, srv.URL, admin)
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/envs/hello/prod/config"), chromedp.WaitVisible(chromedp.CSS("#delete-stage"))); err != nil {
		t.Fatal(err)
	}
	// An operator may change the stage but is not offered its deletion.
	saveToken(operator, "hello-ops (OPERATOR of hello)")
	if got := browsertest.Eval(t, bctx, `String(document.getElementById('delete-stage').hidden)`); got != "true" {
		t.Errorf("delete offered to an operator token")
	}
	saveToken(admin, "alice (ADMIN)")

	// A typo deletes nothing.
	browsertest.Eval(t, bctx, answerPrompts("hello/prdo"))
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#delete-stage"))); err != nil {
		t.Fatal(err)
	}
	statusIs("Not deleted: you typed “hello/prdo”, not hello/prod.")
	// The running deploy keeps the stage, and the page says why.
	browsertest.Eval(t, bctx, answerPrompts("hello/prod"))
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#delete-stage"))); err != nil {
		t.Fatal(err)
	}
	statusIs("refused: stage hello/prod has a RUNNING deploy (d1): abort it")
	if _, err := st.SetDeployState(context.Background(), "d1", core.StateAborted, "aborted by alice"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS("#delete-stage"))); err != nil {
		t.Fatal(err)
	}
	statusIs("Delete the stage hello/prod: accepted")
	if _, err := st.GetStage(context.Background(), "hello", "prod"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("stage still there after the delete: %v", err)
	}
	browsertest.Screenshot(t, bctx, "config-stage-deleted")
}
