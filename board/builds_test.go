package board

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// buildsXSS is user data that must come out of the builds pages as text, never as markup.
const buildsXSS = "<script>alert(1)</script>"

// buildsT0 is when the fixture's oldest build of hello was published.
var buildsT0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// fixtureSHA is a 40-digit commit made of one repeated hex digit.
func fixtureSHA(digit string) string { return strings.Repeat(digit, 40) }

// buildsFixture is stage hello/prod deploying builds named hello:
//
//	r0  main     gitlab repo            T0-1h
//	b1  main     github acme/hello      T0     deploy d0, SUCCEEDED
//	b2  main     github (markup fields) T0+1h  deploy d1, current, RUNNING
//	b3  feature  github                 T0+2h
//	b4  main     github                 T0+3h
//	b5  main     github                 T0+4h  (newest)
//	x1  a build named "other", which the stage cannot deploy
//
// and stage hello/empty, which has no builds and no deploys.
func buildsFixture(t *testing.T) (*gin.Engine, *schema.Store) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	st := schematest.SQLite(t)
	ctx := context.Background()
	prod := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(ctx, prod, "alice"); err != nil {
		t.Fatal(err)
	}
	empty := &schema.Stage{EnvName: "hello", StageName: "empty", StageConfig: schema.DefaultStageConfig("hello", "empty")}
	empty.BuildName = "nothing"
	if err := st.CreateStage(ctx, empty, "alice"); err != nil {
		t.Fatal(err)
	}
	const github = "https://github.com/acme/hello.git"
	commitDate := buildsT0.Add(-30 * time.Minute)
	builds := []schema.Build{
		{ID: "r0", Name: "hello", Repo: "git@gitlab.example.com:acme/hello.git", Branch: "main", Commit: fixtureSHA("0"), CommitInfo: "gitlab era", PublishedAt: buildsT0.Add(-time.Hour)},
		{ID: "b1", Name: "hello", Repo: github, Branch: "main", Commit: fixtureSHA("1"), CommitInfo: "first", Publisher: "ci", PublishedAt: buildsT0, CommitDate: &commitDate,
			ArtifactURL: "https://artifacts.example.com/hello/b1.tar.gz", Checksum: strings.Repeat("c", 64)},
		{ID: "b2", Name: "hello", Repo: github, Branch: "main", Commit: fixtureSHA("2"), CommitInfo: "fix " + buildsXSS, Publisher: buildsXSS, PublishedAt: buildsT0.Add(time.Hour),
			ArtifactURL: "file:///srv/builds/b2.tar.gz"},
		{ID: "b3", Name: "hello", Repo: github, Branch: "feature", Commit: fixtureSHA("3"), CommitInfo: "try a feature", Publisher: "dev", PublishedAt: buildsT0.Add(2 * time.Hour)},
		{ID: "b4", Name: "hello", Repo: github, Branch: "main", Commit: fixtureSHA("4"), CommitInfo: "fourth", Publisher: "ci", PublishedAt: buildsT0.Add(3 * time.Hour)},
		{ID: "b5", Name: "hello", Repo: github, Branch: "main", Commit: fixtureSHA("5"), CommitInfo: "fifth", Publisher: "ci", PublishedAt: buildsT0.Add(4 * time.Hour)},
		{ID: "x1", Name: "other", Repo: github, Branch: "main", Commit: fixtureSHA("6"), CommitInfo: "another stream", PublishedAt: buildsT0.Add(5 * time.Hour)},
	}
	for i := range builds {
		if builds[i].ArtifactURL == "" {
			builds[i].ArtifactURL = "https://artifacts.example.com/" + builds[i].ID
		}
		builds[i].CommitShort = builds[i].Commit[:7]
	}
	// Inserted directly: publishing would stamp the publish time with the clock.
	if _, err := st.DB().NewInsert().Model(&builds).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*schema.Deploy{
		{ID: "d0", StageID: prod.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular, Operator: "bob", WorkflowID: "deploy/d0"},
		{ID: "d1", StageID: prod.ID, EnvName: "hello", StageName: "prod", BuildID: "b2", Type: core.TypeHotfix, Operator: "carol", WorkflowID: "deploy/d1"},
	} {
		if err := st.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
		if d.ID == "d0" {
			if _, err := st.SetDeployState(ctx, "d0", core.StateSucceeded, "all hosts serve the build"); err != nil {
				t.Fatal(err)
			}
		}
	}
	engine := gin.New()
	(&Board{Store: st}).Register(engine)
	return engine, st
}

func getBuildsPage(t *testing.T, engine *gin.Engine, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// inOrder reports whether each of parts occurs in body after the one before it.
func inOrder(body string, parts ...string) bool {
	at := 0
	for _, p := range parts {
		i := strings.Index(body[at:], p)
		if i < 0 {
			return false
		}
		at += i + len(p)
	}
	return true
}

func TestBuildsPageListsBuildsWithMarkersAndActions(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	for _, want := range []string{
		"<h1>Builds of hello/prod</h1>",
		`class="active" aria-current="page">Builds</a>`,
		`<a href="https://github.com/acme/hello/commit/` + fixtureSHA("1") + `"><code>1111111</code></a>`,
		`<a href="https://gitlab.example.com/acme/hello/-/commit/` + fixtureSHA("0") + `">`,
		`data-deploy="b1"`, `data-hotfix="b1"`, `data-deploy="b5"`, `data-hotfix="b5"`,
		`<strong class="current-marker">current</strong> · <a href="/deploys/d1"`,
		"(HOTFIX), <span class=\"state RUNNING\">RUNNING</span>",
		`<a href="/deploys/d0"`, `<span class="state SUCCEEDED">SUCCEEDED</span>`,
		`<input type="radio" name="from" value="b2" aria-label="compare from b2" checked>`,
		`<input type="radio" name="to" value="b5" aria-label="compare to b5" checked>`,
		`<form id="compare-form" method="get" action="/envs/hello/prod/builds/compare">`,
		`href="/envs/hello/prod/builds/compare?from=b2&amp;to=b1"`,
		`<time datetime="2026-11-20T10:00:00Z">2026-11-20 10:00:00 UTC</time>`, // b1 published
		`<time datetime="2026-11-20T09:30:00Z">`,                               // b1's commit date
		`<a href="?branch=feature" class="branch-warning" title="build is from branch feature, but the stage deploys main">⚠ feature</a>`, `data-branch-warning="build is from branch feature, but the stage deploys main">Deploy</button>`,
		`<script src="/static/builds.js"></script>`,
		`id="who"`, `id="status"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if !inOrder(body, `data-deploy="b5"`, `data-deploy="b4"`, `data-deploy="b3"`, `data-deploy="b2"`, `data-deploy="b1"`, `data-deploy="r0"`) {
		t.Error("builds are not listed newest first")
	}
	if strings.Contains(body, "x1") || strings.Contains(body, "another stream") {
		t.Error("a build of another name is listed")
	}
	if strings.Contains(body, `name="from" value="b1" aria-label="compare from b1" checked`) {
		t.Error("a build other than the current one is the default 'from'")
	}
	if strings.Contains(body, "older builds") || strings.Contains(body, "newer builds") {
		t.Error("a single page of builds shows a pager")
	}
	if t.Failed() {
		t.Logf("body: %s", body)
	}
}

func TestBuildsPageEscapesUserData(t *testing.T) {
	engine, _ := buildsFixture(t)
	_, body := getBuildsPage(t, engine, "/envs/hello/prod/builds?branch="+buildsXSS)
	_, all := getBuildsPage(t, engine, "/envs/hello/prod/builds")
	for _, b := range []string{body, all} {
		if strings.Contains(b, "<script>alert(1)") {
			t.Fatalf("user data rendered as markup: %s", b)
		}
	}
	if !strings.Contains(all, "fix &lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(all, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") {
		t.Fatalf("escaped title and publisher missing: %s", all)
	}
	if !strings.Contains(body, `value="&lt;script&gt;alert(1)&lt;/script&gt;"`) || !strings.Contains(body, "on branch <code>&lt;script&gt;") {
		t.Fatalf("escaped branch filter missing: %s", body)
	}
}

func TestBuildsPageFiltersByBranch(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds?branch=feature")
	if code != http.StatusOK || !strings.Contains(body, `data-deploy="b3"`) {
		t.Fatalf("status %d, body %s", code, body)
	}
	for _, other := range []string{"b1", "b2", "b4", "b5", "r0"} {
		if strings.Contains(body, `data-deploy="`+other+`"`) {
			t.Errorf("build %s of branch main is listed under branch feature", other)
		}
	}
	if !strings.Contains(body, `<a href="/envs/hello/prod/builds">all branches</a>`) || !strings.Contains(body, `<option value="main">`) {
		t.Errorf("no way back to every branch: %s", body)
	}
}

func TestBuildsPageEmptyStates(t *testing.T) {
	engine, _ := buildsFixture(t)
	for path, want := range map[string]string{
		"/envs/hello/empty/builds":                "No builds named <code>nothing</code> have been published yet",
		"/envs/hello/prod/builds?branch=nowhere":  "No builds named <code>hello</code> on branch <code>nowhere</code>.",
		"/envs/hello/prod/builds?page=7":          "No builds on page 7.",
		"/envs/hello/prod/builds?page=-3":         `data-deploy="b5"`,
		"/envs/hello/prod/builds?page=not-a-page": `data-deploy="b5"`,
	} {
		code, body := getBuildsPage(t, engine, path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: status %d, want %q in %s", path, code, want, body)
		}
	}
	if _, body := getBuildsPage(t, engine, "/envs/hello/empty/builds"); !strings.Contains(body, "never deployed") {
		t.Errorf("empty stage does not say it was never deployed: %s", body)
	}
}

func TestBuildsPagePages(t *testing.T) {
	engine, st := buildsFixture(t)
	ctx := context.Background()
	paged := &schema.Stage{EnvName: "hello", StageName: "paged", StageConfig: schema.DefaultStageConfig("hello", "paged")}
	paged.BuildName = "paged"
	if err := st.CreateStage(ctx, paged, "alice"); err != nil {
		t.Fatal(err)
	}
	var builds []schema.Build
	for i := range buildsPerPage + 5 {
		builds = append(builds, schema.Build{ID: "p" + strconv.Itoa(100+i), Name: "paged", ArtifactURL: "https://example.com/p", PublishedAt: buildsT0.Add(time.Duration(i) * time.Minute)})
	}
	if _, err := st.DB().NewInsert().Model(&builds).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	_, first := getBuildsPage(t, engine, "/envs/hello/paged/builds")
	if n := strings.Count(first, "data-deploy="); n != buildsPerPage {
		t.Errorf("first page lists %d builds, want %d", n, buildsPerPage)
	}
	if !strings.Contains(first, `<a href="/envs/hello/paged/builds?page=2" rel="next">`) || strings.Contains(first, `rel="prev"`) {
		t.Errorf("first page pager is wrong: %s", first)
	}
	if !strings.Contains(first, `data-deploy="p154"`) || strings.Contains(first, `data-deploy="p104"`) {
		t.Error("first page does not hold the newest builds")
	}
	_, second := getBuildsPage(t, engine, "/envs/hello/paged/builds?page=2")
	if n := strings.Count(second, "data-deploy="); n != 5 {
		t.Errorf("second page lists %d builds, want 5", n)
	}
	if !strings.Contains(second, `<a href="/envs/hello/paged/builds" rel="prev">`) || strings.Contains(second, `rel="next"`) {
		t.Errorf("second page pager is wrong: %s", second)
	}
	if strings.Contains(second, "checked") {
		t.Error("an older page preselects builds to compare")
	}
}

func TestBuildsPageSurvivesAFailingRead(t *testing.T) {
	engine, st := buildsFixture(t)
	if _, err := st.DB().ExecContext(context.Background(), "DROP TABLE builds"); err != nil {
		t.Fatal(err)
	}
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds")
	if code != http.StatusOK || !strings.Contains(body, "Part of this page could not be read") || !strings.Contains(body, "The builds could not be listed.") {
		t.Fatalf("status %d, body %s", code, body)
	}
	if strings.Contains(body, "have been published yet") || !strings.Contains(body, "the stage runs <code>b2</code>") {
		t.Errorf("a failed read is reported as an empty list, or hides the current build: %s", body)
	}
}

func TestBuildsPageOfUnknownStageIs404(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/nope/builds")
	if code != http.StatusNotFound || !strings.Contains(body, "There is no stage hello/nope.") {
		t.Fatalf("status %d, body %s", code, body)
	}
}

func TestBuildsScriptIsServed(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/static/builds.js")
	if code != http.StatusOK || !strings.Contains(body, "window.teletraan.wireBuildButtons") {
		t.Fatalf("status %d, body %.300s", code, body)
	}
	// The buttons' requests are built in board.js, shared with the stage page.
	code, body = getBuildsPage(t, engine, "/static/board.js")
	if code != http.StatusOK || !strings.Contains(body, `"/actions/hotfix"`) || !strings.Contains(body, "function wireBuildButtons") {
		t.Fatalf("status %d, body %.300s", code, body)
	}
}

func TestBuildsPageNumber(t *testing.T) {
	for raw, want := range map[string]int{"": 1, "1": 1, "2": 2, "0": 1, "-1": 1, "x": 1, "2.5": 1, "99999999999": maxBuildsPage} {
		if got := buildsPageNumber(raw); got != want {
			t.Errorf("buildsPageNumber(%q) = %d, want %d", raw, got, want)
		}
	}
}

func TestBuildsPageURL(t *testing.T) {
	for _, tc := range []struct {
		env, stage, branch string
		page               int
		want               string
	}{
		{"hello", "prod", "", 1, "/envs/hello/prod/builds"},
		{"hello", "prod", "", 3, "/envs/hello/prod/builds?page=3"},
		{"hello", "prod", "main", 1, "/envs/hello/prod/builds?branch=main"},
		{"hello", "prod", "feat/x&y", 2, "/envs/hello/prod/builds?branch=feat%2Fx%26y&page=2"},
		{"a b", "c/d", "", 1, "/envs/a%20b/c%2Fd/builds"},
	} {
		if got := buildsPageURL(tc.env, tc.stage, tc.branch, tc.page); got != tc.want {
			t.Errorf("buildsPageURL(%q, %q, %q, %d) = %q, want %q", tc.env, tc.stage, tc.branch, tc.page, got, tc.want)
		}
	}
}

func TestBuildMarkers(t *testing.T) {
	now := buildsT0.Add(10 * time.Hour)
	at := func(h int) time.Time { return buildsT0.Add(time.Duration(h) * time.Hour) }
	recent := []schema.Deploy{ // newest first, as ListDeploys returns them
		{ID: "d3", BuildID: "b2", State: core.StateRunning, Type: core.TypeRegular, CreatedAt: at(9)},
		{ID: "d2", BuildID: "b1", State: core.StateSucceeded, Type: core.TypeRollback, CreatedAt: at(8)},
		{ID: "d1", BuildID: "b2", State: core.StateAborted, Type: core.TypeRegular, CreatedAt: at(7)},
		{ID: "d0", BuildID: "b1", State: core.StateSucceeded, Type: core.TypeRegular, CreatedAt: at(6)},
	}
	for _, tc := range []struct {
		name    string
		current *schema.Deploy
		recent  []schema.Deploy
		want    map[string]buildMarker
	}{
		{"never deployed", nil, nil, map[string]buildMarker{}},
		{"newest deploy of each build wins", &recent[0], recent, map[string]buildMarker{
			"b2": {Current: true, DeployID: "d3", Type: core.TypeRegular, State: core.StateRunning, At: at(9), Age: "1h"},
			"b1": {DeployID: "d2", Type: core.TypeRollback, State: core.StateSucceeded, At: at(8), Age: "2h"},
		}},
		{"current deploy is marked when the history failed to load", &recent[1], nil, map[string]buildMarker{
			"b1": {Current: true, DeployID: "d2", Type: core.TypeRollback, State: core.StateSucceeded, At: at(8), Age: "2h"},
		}},
		{"no current deploy", nil, recent[2:], map[string]buildMarker{
			"b2": {DeployID: "d1", Type: core.TypeRegular, State: core.StateAborted, At: at(7), Age: "3h"},
			"b1": {DeployID: "d0", Type: core.TypeRegular, State: core.StateSucceeded, At: at(6), Age: "4h"},
		}},
	} {
		got := buildMarkers(tc.current, tc.recent, now)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d markers %+v, want %d", tc.name, len(got), got, len(tc.want))
		}
		for id, want := range tc.want {
			if g, ok := got[id]; !ok || g != want {
				t.Errorf("%s: marker of %s = %+v, want %+v", tc.name, id, g, want)
			}
		}
	}
}

func TestBranchChoices(t *testing.T) {
	builds := []schema.Build{{Branch: "main"}, {Branch: "feature"}, {Branch: ""}, {Branch: "main"}, {Branch: "alpha"}}
	if got := strings.Join(branchChoices("release", builds), ","); got != "alpha,feature,main,release" {
		t.Errorf("branchChoices = %s", got)
	}
	if got := branchChoices("", nil); len(got) != 0 {
		t.Errorf("branchChoices of nothing = %v", got)
	}
}

// recordingDeployer accepts every deploy the builds page sends and remembers it: the browser
// test checks what the buttons ask for, not what the workflows do with it.
type recordingDeployer struct {
	mu      sync.Mutex
	started []api.StartDeployRequest
}

func (r *recordingDeployer) StartDeploy(_ context.Context, req api.StartDeployRequest) (*api.StartDeployResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, req)
	return &api.StartDeployResult{Deploy: &schema.Deploy{ID: "d9", StageID: req.Stage.ID, BuildID: req.Build.ID, Type: req.Type, State: core.StateRunning}}, nil
}

func (r *recordingDeployer) QueuedDeploy(context.Context, *schema.Stage) (*api.QueuedDeploy, error) {
	return nil, core.Errorf(core.ENOTFOUND, "nothing is queued")
}

func (r *recordingDeployer) PauseDeploy(context.Context, api.DeployActionRequest) (*schema.Deploy, error) {
	return nil, core.Errorf(core.ECONFLICT, "not on this page")
}

func (r *recordingDeployer) ResumeDeploy(context.Context, api.DeployActionRequest) (*schema.Deploy, error) {
	return nil, core.Errorf(core.ECONFLICT, "not on this page")
}

func (r *recordingDeployer) AbortDeploy(context.Context, api.DeployActionRequest) (*schema.Deploy, error) {
	return nil, core.Errorf(core.ECONFLICT, "not on this page")
}

func (r *recordingDeployer) AlertDeploy(context.Context, *schema.Deploy, api.AlertAction) error {
	return core.Errorf(core.ECONFLICT, "not on this page")
}

func (r *recordingDeployer) CommandWorkers(context.Context) (int, error) { return 0, nil }

func (r *recordingDeployer) GiveAcceptance(context.Context, api.AcceptanceRequest) error {
	return core.Errorf(core.ECONFLICT, "not on this page")
}

// requests lists what was started as "TYPE build description" lines.
func (r *recordingDeployer) requests() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, req := range r.started {
		out = append(out, req.Type+" "+req.Build.ID+" "+req.Description)
	}
	return strings.Join(out, "\n")
}

func TestBuildsPageInChromium(t *testing.T) {
	ctx := browsertest.Start(t, 90*time.Second)
	_, st := buildsFixture(t)
	secret, _, err := st.CreateToken(context.Background(), schema.TokenSpec{Name: "alice", Role: schema.RoleAdmin, Scope: "*", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	deployer := &recordingDeployer{}
	engine := api.NewRouter(api.Deps{Store: st, Deployer: deployer, Context: ctx})
	(&Board{Store: st}).Register(engine)
	srv := httptest.NewServer(engine)
	defer srv.Close()

	statusText := `document.getElementById('status').textContent`
	browsertest.SignIn(t, ctx, srv.URL, secret)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/envs/hello/prod/builds"), chromedp.WaitVisible(chromedp.CSS("#compare-form")),
		chromedp.Click(chromedp.CSS(`button[data-deploy="b4"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, "the deploy to be accepted", statusText+`.includes('Deploy build b4 to hello/prod: accepted')`, statusText)
	// The prompt is accepted empty, as an operator pressing OK at once would.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-hotfix="b3"]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, "the hotfix to be accepted", statusText+`.includes('Hotfix hello/prod with build b3') && `+statusText+`.includes('accepted')`, statusText)
	if got, want := deployer.requests(), "REGULAR b4 \nHOTFIX b3 "; got != want {
		t.Errorf("deploys started: %q, want %q", got, want)
	}
	browsertest.Screenshot(t, ctx, "builds")

	// Picking one build for both ends is caught before leaving the page.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name=from][value=b5]`)), chromedp.Click(chromedp.CSS(`#compare-form button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 5*time.Second, "the same-build warning", statusText+`.includes('Pick two different builds')`, statusText)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name=from][value=b1]`)), chromedp.Click(chromedp.CSS(`#compare-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#repo-compare"))); err != nil {
		t.Fatal(err)
	}
	query := `(q => location.pathname + ' from=' + q.get('from') + ' to=' + q.get('to'))(new URLSearchParams(location.search))`
	if got := browsertest.Eval(t, ctx, query); got != "/envs/hello/prod/builds/compare from=b1 to=b5" {
		t.Errorf("compare form went to %s", got)
	}
	// The publisher and title carrying <script> stayed text: no element was made from them.
	if got := browsertest.Eval(t, ctx, `String(document.querySelectorAll('script:not([src])').length) + ' ' + document.querySelector('table.between').textContent.includes('<script>alert(1)</script>')`); got != "0 true" {
		t.Errorf("inline scripts and escaped text: %s", got)
	}
	browsertest.Screenshot(t, ctx, "builds-compare")
}
