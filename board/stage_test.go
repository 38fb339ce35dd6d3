package board_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func get(t *testing.T, engine *gin.Engine, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func boardEngine(t *testing.T) (*gin.Engine, *fixture) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	f := newFixture(t, schematest.SQLite(t))
	engine := gin.New()
	(&board.Board{Store: f.store, TemporalUIURL: "http://127.0.0.1:8233"}).Register(engine)
	return engine, f
}

func TestStagePageShowsDeployGridHistoryAndBuilds(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/envs/hello/prod")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	for _, want := range []string{
		"<h1>hello/prod</h1>",
		`id="deploy-state" class="state RUNNING"`,
		"/namespaces/default/workflows/deploy%2Fd1",
		"1 succeeded · 1 in flight · 1 failed · 4 remaining of 7",
		`data-action="pause"`, `data-action="rollback"`, `data-deploy="b-old"`,
		"SUCCEEDED", "bob", // the previous deploy in the history
		`<script src="/static/stage.js"></script>`,
		`id="sign-out"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, h := range hostColors {
		if want := `<a class="tile ` + h.color + `" data-host="` + h.name + `" data-color="` + h.color + `"`; !strings.Contains(body, want) {
			t.Errorf("grid lacks %s", want)
		}
		if want := `href="/hosts/` + h.name + `" title="` + h.name + ` · `; !strings.Contains(body, want) {
			t.Errorf("tile of %s does not link to its host with details: %s", h.name, want)
		}
	}
	// Hosts come grouped by build: the current deploy's first, then the others, then the
	// hosts with no build yet; each group says its count and share of the stage.
	if !appearInOrder(body, `<div class="group current" data-build="&lt;script&gt;alert(1)&lt;/script&gt;" data-commit="main@abc123">`, "<strong>4</strong> hosts · 57% of the stage",
		`data-host="h1-serving"`, `data-host="h4-paused"`,
		`<div class="group" data-build="b-old" data-commit="main@abc123">`, "main@abc123", "<strong>1</strong> host · 14% of the stage", `data-host="h5-other"`,
		`<div class="group" data-build="">`, "no build yet", "<strong>2</strong> hosts · 29% of the stage", `data-host="h6-silent"`, `data-host="h7-never"`) {
		t.Errorf("hosts not grouped by build in order")
	}
	if !strings.Contains(body, `data-phase="excluded"`) {
		t.Errorf("the excluded host h4-paused carries no excluded mark")
	}
	if t.Failed() {
		t.Logf("body: %s", body)
	}
}

func TestStagePageEscapesUserData(t *testing.T) {
	engine, _ := boardEngine(t)
	body := get(t, engine, "/envs/hello/prod").Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("user data rendered as markup: %s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("escaped build name missing: %s", body)
	}
}

func TestUnknownStageIsA404Page(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/envs/hello/nope")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "There is no stage hello/nope.") {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
}

func TestStaticScriptIsServed(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/static/stage.js")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "textContent") {
		t.Fatalf("status %d, body %.200s", rec.Code, rec.Body.String())
	}
}

func TestHomeLinksToStagePages(t *testing.T) {
	engine, _ := boardEngine(t)
	if body := get(t, engine, "/").Body.String(); !strings.Contains(body, `href="/envs/hello/prod"`) {
		t.Fatalf("home does not link the stage page: %s", body)
	}
}

// TestEmptyStageSaysNoDeploysOnce: a stage that was never deployed says so once per page,
// not once per section that has nothing to show.
func TestEmptyStageSaysNoDeploysOnce(t *testing.T) {
	engine, f := boardEngine(t)
	s := &schema.Stage{EnvName: "hello", StageName: "quiet", StageConfig: schema.DefaultStageConfig("hello", "quiet")}
	if err := f.store.CreateStage(context.Background(), s, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/envs/hello/quiet", "/envs/hello/quiet/deploys"} {
		rec := get(t, engine, path)
		if n := strings.Count(rec.Body.String(), "No deploys yet"); rec.Code != http.StatusOK || n != 1 {
			t.Errorf("%s: status %d, says \"No deploys yet\" %d times, want once", path, rec.Code, n)
		}
	}
}

// appearInOrder reports whether each of parts occurs in body after the one before it.
func appearInOrder(body string, parts ...string) bool {
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

// TestOffBranchBuildsAreMarked: a build from another branch than the stage's is marked on
// the stage page, and its buttons carry the warning (escaped) for the confirmation.
func TestOffBranchBuildsAreMarked(t *testing.T) {
	engine, f := boardEngine(t)
	b := &schema.Build{ID: "b-x", Name: f.stage.BuildName, ArtifactURL: "https://example.com/x", CommitShort: "x1", Branch: "hack/" + xss, PublishedAt: time.Now().UTC()}
	if _, err := f.store.DB().NewInsert().Model(b).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := get(t, engine, "/envs/hello/prod").Body.String()
	warn := "build is from branch hack/&lt;script&gt;alert(1)&lt;/script&gt;, but the stage deploys main"
	for _, want := range []string{`<span class="branch-warning" title="` + warn + `">⚠ hack/&lt;script&gt;alert(1)&lt;/script&gt;</span>`,
		`data-deploy="b-x" data-branch-warning="` + warn + `">Deploy</button>`} {
		if !strings.Contains(body, want) {
			t.Errorf("stage page lacks %s", want)
		}
	}
	if strings.Count(body, "data-branch-warning") != 2 {
		t.Errorf("on-branch builds carry a warning too")
	}
	if strings.Contains(body, "<script>alert") {
		t.Errorf("branch rendered as markup")
	}
}
