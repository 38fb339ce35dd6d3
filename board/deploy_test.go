package board

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// deployPageXSS is user data that must come out of the deploy page as text, never as markup.
const deployPageXSS = "<script>alert(1)</script>"

// newDeployPageEngine serves the board over a stage hello/prod with deploy d0, replaced by
// d2 whose user data holds markup, and d2's hosts:
//
//	wave 0  web-new    SUCCEEDED (joined the stage and installed without an admission)
//	wave 1  web-1      SUCCEEDED
//	        web-2      FAILED    error text with markup
//	wave 2  web-3      STUCK
//	        web 4/x    in flight (a name that needs escaping in a URL)
func newDeployPageEngine(t *testing.T) (*gin.Engine, *schema.Store) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	st := schematest.SQLite(t)
	ctx := context.Background()
	s := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(ctx, s, "alice"); err != nil {
		t.Fatal(err)
	}
	b := &schema.Build{ID: "b2", Name: s.BuildName, ArtifactURL: "https://example.com/b2", Repo: "https://github.com/acme/hello",
		Commit: strings.Repeat("a", 40), CommitShort: "aaaaaaa", Branch: "main", CommitInfo: "fix " + deployPageXSS, Publisher: "ci", PublishedAt: time.Now().UTC()}
	if _, err := st.DB().NewInsert().Model(b).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*schema.Deploy{
		{ID: "d0", StageID: s.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular, Operator: "bob", WorkflowID: "deploy/d0"},
		{ID: "d2", StageID: s.ID, EnvName: "hello", StageName: "prod", BuildID: "b2", FromBuildID: "b1", FromDeployID: "d0", Type: core.TypeRollback,
			Operator: "op " + deployPageXSS, Description: "undo " + deployPageXSS, WorkflowID: "deploy/d2"},
	} {
		if err := st.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.SetDeployState(ctx, "d2", core.StateFailing, "2 of 5 hosts failed: "+deployPageXSS); err != nil {
		t.Fatal(err)
	}
	if err := st.SetDeployCounts(ctx, "d2", 5, 2, 2); err != nil {
		t.Fatal(err)
	}
	for _, h := range []schema.Host{{ID: "i-1", HostName: "web-1"}, {ID: "i-2", HostName: "web-2"}, {ID: "i-3", HostName: "web-3"}, {ID: "i-4", HostName: "web 4/x"}} {
		if err := st.RecordHost(ctx, &h); err != nil {
			t.Fatal(err)
		}
	}
	for _, wave := range [][]string{{"i-1", "i-2"}, {"i-3", "i-4"}} {
		if err := st.AdmitHosts(ctx, s.ID, "d2", wave); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RecordHostOutcomes(ctx, "d2", []schema.HostOutcome{
		{HostID: "i-new", HostName: "web-new", Outcome: core.OutcomeSucceeded, Joined: true},
		{HostID: "i-1", Outcome: core.OutcomeSucceeded},
		{HostID: "i-2", Outcome: core.OutcomeFailed, ErrorMessage: "exit 1: " + deployPageXSS},
		{HostID: "i-3", Outcome: core.OutcomeStuck, ErrorMessage: "no progress in RESTARTING"},
	}); err != nil {
		t.Fatal(err)
	}
	engine := gin.New()
	(&Board{Store: st, TemporalUIURL: "http://127.0.0.1:8233"}).Register(engine)
	return engine, st
}

func getDeployPage(t *testing.T, engine *gin.Engine, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestDeployPageShowsSummaryWavesAndFailedHosts(t *testing.T) {
	engine, _ := newDeployPageEngine(t)
	rec := getDeployPage(t, engine, "/deploys/d2")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	for _, want := range []string{
		"<h1>ROLLBACK deploy <code>d2</code></h1>",
		`<a href="/envs/hello/prod">hello/prod</a>`,
		`main@<a href="https://github.com/acme/hello/commit/` + strings.Repeat("a", 40) + `">aaaaaaa</a>`,
		`<span id="deploy-state" class="state FAILING">FAILING</span>`,
		`<span class="acceptance PENDING_DEPLOY">no acceptance configured</span>`,
		`<tr><th>Replaced deploy</th><td><a href="/deploys/d0">d0</a></td></tr>`,
		"<code>b1</code>",
		`href="http://127.0.0.1:8233/namespaces/default/workflows/deploy%2Fd2"`,
		"<span class=\"muted\">not ended</span>",
		"2 succeeded · 0 in flight · 2 failed · 0 remaining of 5",
		// The waves: wave 0 first, each row with its counts.
		`<td>0 <span class="muted">joined without admission</span></td>`,
		`<a class="wavehost" href="/hosts/web-new" title="web-new: succeeded"><span class="host serving"></span> web-new</a>`,
		`<a class="wavehost" href="/hosts/web-2" title="web-2: failed"><span class="host failed"></span> web-2</a>`,
		`<a class="wavehost" href="/hosts/web%204%2Fx" title="web 4/x: in flight"><span class="host deploying"></span> web 4/x</a>`,
		`<td>1</td><td>1</td><td>0</td><td>0</td>`, // wave 1: one succeeded, one failed
		`<td>0</td><td>0</td><td>1</td><td>1</td>`, // wave 2: one stuck, one in flight
		// Failed hosts, with their error text.
		`<tr data-failed-host="web-2"><td><a href="/hosts/web-2">web-2</a></td><td>1</td><td><span class="host failed"></span> failed</td>`,
		`<pre class="hosterror">exit 1: &lt;script&gt;alert(1)&lt;/script&gt;</pre>`,
		`<tr data-failed-host="web-3"><td><a href="/hosts/web-3">web-3</a></td><td>2</td><td><span class="host stuck"></span> stuck</td>`,
		`<pre class="hosterror">no progress in RESTARTING</pre>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if i, j := strings.Index(body, `title="web-new`), strings.Index(body, `title="web-1`); i < 0 || j < 0 || i > j {
		t.Errorf("wave 0's host is not drawn before wave 1's")
	}
	if t.Failed() {
		t.Logf("body: %s", body)
	}
}

func TestDeployPageEscapesUserData(t *testing.T) {
	engine, _ := newDeployPageEngine(t)
	body := getDeployPage(t, engine, "/deploys/d2").Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("user data rendered as markup: %s", body)
	}
	for _, want := range []string{"op &lt;script&gt;", "undo &lt;script&gt;", "fix &lt;script&gt;", "failed: &lt;script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("escaped %q missing", want)
		}
	}
}

func TestDeployPageWithoutHostsSaysSo(t *testing.T) {
	engine, st := newDeployPageEngine(t)
	rec := getDeployPage(t, engine, "/deploys/d0")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `id="no-waves">No hosts admitted yet.`) || !strings.Contains(body, `id="no-failed">No failed or stuck hosts.`) {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	// d0's build was never published: the page says so instead of failing.
	if !strings.Contains(body, "(build not found)") || strings.Contains(body, `class="error"`) {
		t.Fatalf("missing build not explained, or shown as an error: %s", body)
	}
	// A running deploy's page follows it; an ended one's does not poll.
	const live = `<script src="/static/deploy.js"></script>`
	if !strings.Contains(body, live) {
		t.Fatalf("running deploy's page does not follow it: %s", body)
	}
	// An ended deploy without records ran before they existed; it admits nobody any more.
	if _, err := st.SetDeployState(context.Background(), "d0", core.StateAborted, "superseded"); err != nil {
		t.Fatal(err)
	}
	if body := getDeployPage(t, engine, "/deploys/d0").Body.String(); !strings.Contains(body, "No hosts were recorded for this deploy") || strings.Contains(body, live) {
		t.Fatalf("ended deploy without host records, or still polling: %s", body)
	}
}

func TestDeployPageNotesAFailedHostRead(t *testing.T) {
	engine, st := newDeployPageEngine(t)
	if _, err := st.DB().ExecContext(context.Background(), "DROP TABLE deploy_hosts"); err != nil {
		t.Fatal(err)
	}
	rec := getDeployPage(t, engine, "/deploys/d2")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "The deploy's hosts could not be read.") || !strings.Contains(body, "Part of this page could not be read") {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	if !strings.Contains(body, `class="state FAILING"`) {
		t.Fatalf("the summary should still show: %s", body)
	}
}

func TestUnknownDeployIsA404Page(t *testing.T) {
	engine, _ := newDeployPageEngine(t)
	rec := getDeployPage(t, engine, "/deploys/nope")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "There is no deploy nope.") {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body.String())
	}
}

func TestStagePageLinksRecentDeploysToTheirPages(t *testing.T) {
	engine, _ := newDeployPageEngine(t)
	body := getDeployPage(t, engine, "/envs/hello/prod").Body.String()
	for _, want := range []string{`<a href="/deploys/d2" title="deploy d2">ROLLBACK</a>`, `<a href="/deploys/d0" title="deploy d0">REGULAR</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("stage page lacks %s", want)
		}
	}
}

func TestOutcomeColorAndLabel(t *testing.T) {
	tests := []struct{ outcome, color, label string }{
		{core.OutcomeSucceeded, "serving", "succeeded"},
		{core.OutcomeFailed, "failed", "failed"},
		{core.OutcomeStuck, "stuck", "stuck"},
		{core.OutcomeInFlight, "deploying", "in flight"},
		{"SOMETHING_NEW", "deploying", "in flight"},
	}
	for _, tt := range tests {
		if c, l := outcomeColor(tt.outcome), outcomeLabel(tt.outcome); c != tt.color || l != tt.label {
			t.Errorf("outcome %q: colour %q, label %q; want %q, %q", tt.outcome, c, l, tt.color, tt.label)
		}
	}
}

func TestDetailWavesNamesSmallWavesAndCollectsFailures(t *testing.T) {
	host := func(name string, wave int, outcome string) schema.DeployHost {
		return schema.DeployHost{HostID: name, HostName: name, Wave: wave, Outcome: outcome}
	}
	big := make([]schema.DeployHost, waveNamesUpTo+1)
	for i := range big {
		big[i] = host("b"+strings.Repeat("x", i), 2, core.OutcomeSucceeded)
	}
	big[3].Outcome = core.OutcomeStuck
	tests := []struct {
		name       string
		hosts      []schema.DeployHost
		showNames  []bool
		failed     []string
		firstColor string
	}{
		{"nothing", nil, nil, nil, ""},
		{"small wave", []schema.DeployHost{host("a", 1, core.OutcomeFailed), host("b", 1, "")}, []bool{true}, []string{"a"}, "failed"},
		{"a big wave shows squares only", append([]schema.DeployHost{host("a", 1, core.OutcomeFailed)}, big...), []bool{true, false}, []string{"a", big[3].HostName}, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, failed := detailWaves(schema.DeployWaves(tt.hosts))
			var show []bool
			for _, r := range rows {
				show = append(show, r.ShowNames)
			}
			var names []string
			for _, f := range failed {
				names = append(names, f.Name)
			}
			if !reflect.DeepEqual(show, tt.showNames) || !reflect.DeepEqual(names, tt.failed) {
				t.Fatalf("show names %v, failed %v; want %v, %v", show, names, tt.showNames, tt.failed)
			}
			if len(rows) > 0 && rows[0].Hosts[0].Color != tt.firstColor {
				t.Fatalf("first host colour %q, want %q", rows[0].Hosts[0].Color, tt.firstColor)
			}
		})
	}
}

// A host named in the stage's capacity that never pinged is counted by the deploy (stuck
// after the timeout); the page used to say "1 stuck" beside "No failed or stuck hosts".
func TestRunningDeployPageListsHostsThatNeverPinged(t *testing.T) {
	engine, st := newDeployPageEngine(t)
	if _, err := st.SetCapacity(context.Background(), "hello", "prod", schema.Capacity{Hosts: []string{"web-1", "web-ghost"}}, "alice"); err != nil {
		t.Fatal(err)
	}
	body := getDeployPage(t, engine, "/deploys/d2").Body.String()
	if !strings.Contains(body, "web-ghost") || !strings.Contains(body, "never seen") || !strings.Contains(body, "has never pinged the server") {
		t.Fatalf("running deploy's page does not list the never-seen host web-ghost: %s", body)
	}
	if _, err := st.SetDeployState(context.Background(), "d2", core.StateAborted, "aborted by bob"); err != nil {
		t.Fatal(err)
	}
	if body := getDeployPage(t, engine, "/deploys/d2").Body.String(); strings.Contains(body, "web-ghost") {
		t.Fatalf("an ended deploy's page lists today's never-seen hosts: %s", body)
	}
}

func TestDeployAndHistoryPagesOfferRollbackAndRetry(t *testing.T) {
	engine, _ := newDeployPageEngine(t)
	// d2 is the failing current deploy: retry its failed hosts; rolling back to it changes nothing.
	body := getDeployPage(t, engine, "/deploys/d2").Body.String()
	if !strings.Contains(body, `id="retry-failed">Retry failed hosts</button>`) || strings.Contains(body, "data-rollback-to") {
		t.Errorf("current failing deploy: want Retry failed hosts and no rollback button:\n%s", body)
	}
	if !strings.Contains(body, `<body data-deploy="d2" data-env="hello" data-stage="prod">`) {
		t.Errorf("deploy page does not say its stage for the actions")
	}
	// d0 ran another build: roll back to it; it is not running, so nothing to retry.
	body = getDeployPage(t, engine, "/deploys/d0").Body.String()
	if !strings.Contains(body, `<button type="button" data-needs-operator data-rollback-to="d0" data-build="b1">Roll back to this deploy</button>`) || strings.Contains(body, "retry-failed") {
		t.Errorf("older deploy: want Roll back to this deploy and no retry:\n%s", body)
	}
	body = getDeployPage(t, engine, "/envs/hello/prod/deploys").Body.String()
	if n := strings.Count(body, "data-rollback-to="); n != 1 || !strings.Contains(body, `data-rollback-to="d0" data-build="b1"`) {
		t.Errorf("history offers %d rollbacks, want one, to d0:\n%s", n, body)
	}
}
