package board_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// mustContainInOrder fails t unless every want appears in body, each after the previous one.
func mustContainInOrder(t *testing.T, body string, wants ...string) {
	t.Helper()
	rest := body
	for _, w := range wants {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("page lacks %q (in this order: %q):\n%s", w, wants, body)
		}
		rest = rest[i+len(w):]
	}
}

func TestDeployHistoryPageListsDeploysNewestFirst(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/envs/hello/prod/deploys")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	mustContainInOrder(t, body,
		`aria-current="page">Deploys</a>`,
		"<h1>Deploys of hello/prod</h1>",
		`id="timeline"`, `<a href="/deploys/d1">`, `<a href="/deploys/d0">`,
		`action="/envs/hello/prod/builds/compare"`,
		"Deploys 1–2, newest first",
		// d1: running, replacing b-old (inferred from d0), with host counts and acceptance.
		`<tr id="deploy-d1">`,
		`name="to" value="&lt;script&gt;alert(1)&lt;/script&gt;" aria-label="compare to deploy d1" checked>`,
		"main@abc123",
		`<a class="changes" href="/envs/hello/prod/builds/compare?from=b-old&amp;to=%3Cscript%3Ealert%281%29%3C%2Fscript%3E">changes</a>`,
		"<code>b-old</code>",
		`<span class="state RUNNING">RUNNING</span>`, "so far", "<td>—</td>", "<td>1/1/7</td>",
		`<a href="/deploys/d1">details</a>`,
		// d0: the stage's first deploy, succeeded, preselected as "from".
		`<tr id="deploy-d0">`, `name="from" value="b-old" aria-label="compare from deploy d0" checked>`,
		"<td>bob</td>", `<span class="state SUCCEEDED">SUCCEEDED</span>`, "all hosts serve the build",
		`<a href="/deploys/d0">details</a>`,
		`<button type="submit">Compare builds</button>`,
	)
	if d0 := body[strings.Index(body, `<tr id="deploy-d0">`):]; strings.Contains(d0[:strings.Index(d0, "</tr>")], "changes") {
		t.Errorf("the first deploy of the stage links to changes it cannot have: %s", d0)
	}
	if strings.Contains(body, "newer") || strings.Contains(body, "older →") {
		t.Errorf("a single page shows paging links: %s", body)
	}
}

func TestDeployHistoryPageEscapesUserData(t *testing.T) {
	engine, _ := boardEngine(t)
	body := get(t, engine, "/envs/hello/prod/deploys").Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("user data rendered as markup: %s", body)
	}
	for _, want := range []string{
		"<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>",                                  // operator cell
		"<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>",                              // build cell
		"<title>REGULAR of build &lt;script&gt;alert(1)&lt;/script&gt; by &lt;script&gt;", // timeline tooltip
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks escaped %q", want)
		}
	}
}

func TestDeployHistoryPageFilters(t *testing.T) {
	engine, _ := boardEngine(t)
	for _, tc := range []struct {
		query      string
		status     int
		want, lack []string
	}{
		{"?state=succeeded", http.StatusOK, []string{`<tr id="deploy-d0">`, `<option value="SUCCEEDED" selected>`, "clear filters"}, []string{`<tr id="deploy-d1">`}},
		{"?type=REGULAR&state=RUNNING", http.StatusOK, []string{`<tr id="deploy-d1">`, `<option value="REGULAR" selected>`}, []string{`<tr id="deploy-d0">`}},
		{"?type=rollback", http.StatusOK, []string{"No deploys match these filters.", `<option value="ROLLBACK" selected>`}, []string{"<tr id="}},
		{"?type=SIDEWAYS", http.StatusBadRequest, []string{`id="history-error"`, "&#34;SIDEWAYS&#34; is not a deploy type"}, []string{"<tr id="}},
		{"?state=%3Cscript%3E", http.StatusBadRequest, []string{"&#34;&lt;SCRIPT&gt;&#34; is not a deploy state"}, []string{"<SCRIPT>"}},
		{"?page=0", http.StatusBadRequest, []string{"page must be a whole number from 1 up"}, []string{"<tr id="}},
		{"?page=2", http.StatusOK, []string{"No deploys on this page.", `href="/envs/hello/prod/deploys">Newest deploys</a>`, `rel="prev"`}, []string{"<tr id="}},
	} {
		rec := get(t, engine, "/envs/hello/prod/deploys"+tc.query)
		body := rec.Body.String()
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, rec.Code, tc.status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", tc.query, w)
			}
		}
		for _, l := range tc.lack {
			if strings.Contains(body, l) {
				t.Errorf("%s: page has %q", tc.query, l)
			}
		}
		if t.Failed() {
			t.Fatalf("%s: body %s", tc.query, body)
		}
	}
}

func TestDeployHistoryPagesFiftyAtATime(t *testing.T) {
	engine, f := boardEngine(t)
	ctx := context.Background()
	clock := time.Now().Add(time.Hour)
	f.store.SetClock(func() time.Time { clock = clock.Add(time.Second); return clock })
	// e00 … e54, oldest first, each with its own build: with the fixture's two, 57 deploys.
	for i := range 55 {
		d := &schema.Deploy{ID: fmt.Sprintf("e%02d", i), StageID: f.stage.ID, EnvName: "hello", StageName: "prod",
			BuildID: fmt.Sprintf("b-%02d", i), Type: core.TypeRegular, Operator: "carol"}
		if err := f.store.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	first := get(t, engine, "/envs/hello/prod/deploys").Body.String()
	if n := strings.Count(first, "<tr id="); n != 50 {
		t.Fatalf("page 1 has %d rows, want 50", n)
	}
	mustContainInOrder(t, first, "Deploys 1–50", `<tr id="deploy-e54">`, `<tr id="deploy-e05">`,
		// The page's last deploy knows what it replaced from the one extra deploy read.
		`href="/envs/hello/prod/builds/compare?from=b-04&amp;to=b-05">changes</a>`,
		`<a href="/envs/hello/prod/deploys?page=2" rel="next">older →</a>`)
	if strings.Contains(first, `<tr id="deploy-e04">`) || strings.Contains(first, `rel="prev"`) {
		t.Errorf("page 1 shows the 51st deploy or a link to newer deploys")
	}

	second := get(t, engine, "/envs/hello/prod/deploys?page=2").Body.String()
	mustContainInOrder(t, second, "Deploys 51–57", `<tr id="deploy-e04">`, `<tr id="deploy-e00">`, `<tr id="deploy-d1">`, `<tr id="deploy-d0">`,
		`<a href="/envs/hello/prod/deploys" rel="prev">← newer</a>`)
	if n := strings.Count(second, "<tr id="); n != 7 || strings.Contains(second, `rel="next"`) {
		t.Errorf("page 2 has %d rows (want 7) or links to an older page", n)
	}

	filtered := get(t, engine, "/envs/hello/prod/deploys?type=REGULAR&state=RUNNING").Body.String()
	if !strings.Contains(filtered, `<a href="/envs/hello/prod/deploys?page=2&amp;state=RUNNING&amp;type=REGULAR" rel="next">`) {
		t.Errorf("the older link drops the filters: %s", filtered)
	}
	// Filtered rows are not consecutive deploys, so a deploy without a recorded previous
	// build gets no "changes" link guessed from its neighbour.
	if strings.Contains(filtered, "changes</a>") {
		t.Errorf("a filtered list guesses changes from non-consecutive deploys")
	}
}

func TestDeployHistoryPageSurvivesUnreadableBuilds(t *testing.T) {
	engine, f := boardEngine(t)
	if _, err := f.store.DB().ExecContext(context.Background(), "DROP TABLE builds"); err != nil {
		t.Fatal(err)
	}
	rec := get(t, engine, "/envs/hello/prod/deploys")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	mustContainInOrder(t, body, "Some builds could not be read", `<tr id="deploy-d1">`, `<tr id="deploy-d0">`, "<code>b-old</code>")
	if strings.Contains(body, "main@abc123") {
		t.Errorf("build details shown although the builds could not be read")
	}
}

func TestDeployHistoryOfAnEmptyStageSaysSo(t *testing.T) {
	engine, f := boardEngine(t)
	s := &schema.Stage{EnvName: "hello", StageName: "quiet", StageConfig: schema.DefaultStageConfig("hello", "quiet")}
	if err := f.store.CreateStage(context.Background(), s, "alice"); err != nil {
		t.Fatal(err)
	}
	rec := get(t, engine, "/envs/hello/quiet/deploys")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `id="history-empty">No deploys yet`) || strings.Contains(body, "<svg") {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
}

func TestDeployHistoryOfAnUnknownStageIsA404Page(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/envs/hello/nope/deploys")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "There is no stage hello/nope.") {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body.String())
	}
}

func TestStagePageDrawsTheDeployTimeline(t *testing.T) {
	engine, _ := boardEngine(t)
	body := get(t, engine, "/envs/hello/prod").Body.String()
	mustContainInOrder(t, body, "<h2>Recent deploys</h2>", `id="timeline"`, "<svg ",
		`<a href="/deploys/d1"><title>REGULAR of build &lt;script&gt;`, `class="tl-bar tl-running"`,
		`<a href="/deploys/d0">`, `class="tl-bar tl-succeeded"`)
}
