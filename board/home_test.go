package board_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// homeFixture is the stage fixture (hello/prod: a RUNNING deploy by xss, one failed host,
// two unreachable) plus shop/canary with a FAILING deploy by carol and shop/prod, never
// deployed.
func homeFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, schematest.SQLite(t))
	ctx := context.Background()
	for _, name := range []string{"canary", "prod"} {
		s := &schema.Stage{EnvName: "shop", StageName: name, StageConfig: schema.DefaultStageConfig("shop", name)}
		if err := f.store.CreateStage(ctx, s, "alice"); err != nil {
			t.Fatal(err)
		}
		if name != "canary" {
			continue
		}
		d := &schema.Deploy{ID: "d-shop", StageID: s.ID, EnvName: "shop", StageName: "canary", BuildID: "shop-7", Type: core.TypeHotfix, Operator: "carol"}
		if err := f.store.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.SetDeployState(ctx, "d-shop", core.StateFailing, "2 of 4 hosts failed"); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func getHome(t *testing.T, st *schema.Store, target string) (int, string) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	(&board.Board{Store: st, TemporalUIURL: "http://127.0.0.1:8233"}).Register(engine)
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.String()
}

// stageRowRE finds each stage row: whether it is hidden, and the stage it shows.
var stageRowRE = regexp.MustCompile(`<tr class="stage-row"[^>]*?( hidden)?>\s*<td class="name"><a href="[^"]*">([^<]*)</a>`)

// stageRows lists the page's stage rows in order as "env/stage", and those not hidden.
func stageRows(body string) (all, visible []string) {
	for _, m := range stageRowRE.FindAllStringSubmatch(body, -1) {
		all = append(all, m[2])
		if m[1] == "" {
			visible = append(visible, m[2])
		}
	}
	return all, visible
}

// rowOf returns the markup of one stage's row.
func rowOf(t *testing.T, body, stage string) string {
	t.Helper()
	i := strings.Index(body, ">"+stage+"</a>")
	if i < 0 {
		t.Fatalf("no row for %s in %s", stage, body)
	}
	start := strings.LastIndex(body[:i], "<tr ")
	end := strings.Index(body[i:], "</tr>")
	return body[start : i+end]
}

func TestHomeShowsBuildDeployAndHostHealth(t *testing.T) {
	f := homeFixture(t)
	code, body := getHome(t, f.store, "/")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("user data not escaped: %s", body)
	}
	row := rowOf(t, body, "hello/prod")
	for _, want := range []string{
		`href="/envs/hello/prod"`,
		`<code>hello</code>`, // build stream
		`href="/envs/hello/prod/builds"`, "main@abc123",
		`REGULAR <span class="state RUNNING">RUNNING</span>`,
		`href="/deploys/d1"`, `href="http://127.0.0.1:8233/namespaces/default/workflows/deploy%2Fd1"`,
		`1/7`, `title="1 succeeded · 1 in flight · 1 failed · 4 remaining of 7"`,
		// One host of each colour but two unreachable, each count linking to those hosts.
		`href="/envs/hello/prod/hosts?state=serving" title="1 serving this deploy&#39;s build"><span class="host serving"></span>1</a>`,
		`href="/envs/hello/prod/hosts?state=deploying" title="1 deploying"><span class="host deploying"></span>1</a>`,
		`href="/envs/hello/prod/hosts?state=failed" title="1 failed"><span class="host failed"></span>1</a>`,
		`href="/envs/hello/prod/hosts?state=excluded"`,
		`href="/envs/hello/prod/hosts?state=other"`,
		`href="/envs/hello/prod/hosts?state=unreachable" title="2 unreachable (no ping for 5 min)"><span class="host unreachable"></span>2</a>`,
		`>of 7</a>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;</td>`, // operator
		` UTC">`, "</time></td>", // age, full time in the tooltip
		`<span class="verdict bad">1 failed host</span>`,
		`data-filters="deploying unhealthy"`,
	} {
		if !strings.Contains(row, want) {
			t.Errorf("hello/prod row lacks %q:\n%s", want, row)
		}
	}
	if row := rowOf(t, body, "shop/canary"); !strings.Contains(row, `<span class="verdict bad">deploy FAILING</span>`) ||
		!strings.Contains(row, `<span class="muted">no hosts</span>`) || !strings.Contains(row, `data-filters="failing unhealthy"`) {
		t.Errorf("shop/canary row: %s", row)
	}
	if row := rowOf(t, body, "shop/prod"); !strings.Contains(row, "never deployed") || !strings.Contains(row, `data-filters=""`) {
		t.Errorf("shop/prod row: %s", row)
	}
	for _, want := range []string{
		`<strong>3</strong> stages · <strong>1</strong> deploying · <strong class="bad">1</strong> failing · <strong class="bad">2</strong> unhealthy`,
		`<a href="/v1/openapi.json">`, `<a href="http://127.0.0.1:8233">Temporal UI</a>`,
		`<tr class="envhead"><th colspan="9">hello</th></tr>`, `<tr class="envhead"><th colspan="9">shop</th></tr>`,
		`<p id="nomatch" class="empty" hidden>`,
		`<script src="/static/home.js"></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestHomeFiltersBySearchAndState(t *testing.T) {
	f := homeFixture(t)
	all := []string{"hello/prod", "shop/canary", "shop/prod"}
	for _, tc := range []struct {
		target string
		want   []string
		shown  string // the "showing N" note, "" when every stage shows
	}{
		{"/", all, ""},
		{"/?q=carol", []string{"shop/canary"}, "· showing 1"},
		{"/?q=SHOP", []string{"shop/canary", "shop/prod"}, "· showing 2"},
		{"/?q=hello+main%40abc", []string{"hello/prod"}, "· showing 1"}, // every word must match
		{"/?q=shop-7", []string{"shop/canary"}, "· showing 1"},          // the current build
		{"/?q=%3Cscript%3E", []string{"hello/prod"}, "· showing 1"},     // the operator and build, escaped or not
		{"/?q=hello+carol", nil, "· showing 0"},
		{"/?state=failing", []string{"shop/canary"}, "· showing 1"},
		{"/?state=deploying", []string{"hello/prod"}, "· showing 1"},
		{"/?state=unhealthy", []string{"hello/prod", "shop/canary"}, "· showing 2"},
		{"/?state=unhealthy&q=prod", []string{"hello/prod"}, "· showing 1"},
		{"/?state=bogus", all, ""},
	} {
		t.Run(tc.target, func(t *testing.T) {
			code, body := getHome(t, f.store, tc.target)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			rows, visible := stageRows(body)
			if !slices.Equal(rows, all) {
				t.Fatalf("rows %v, want all of %v (hidden, not dropped)", rows, all)
			}
			if !slices.Equal(visible, tc.want) {
				t.Fatalf("visible %v, want %v", visible, tc.want)
			}
			if !strings.Contains(body, `<span id="shown" class="muted">`+tc.shown+`</span>`) {
				t.Errorf("no %q note", tc.shown)
			}
			if hidden := strings.Contains(body, `<p id="nomatch" class="empty" hidden>`); hidden != (len(tc.want) > 0) {
				t.Errorf("no-match note hidden=%v with %d rows shown", hidden, len(tc.want))
			}
		})
	}
}

func TestHomeLinksKeepTheFilter(t *testing.T) {
	f := homeFixture(t)
	_, body := getHome(t, f.store, "/?q=shop&state=failing")
	for _, want := range []string{
		`<input id="q" type="search" name="q" value="shop"`,
		`<input type="hidden" name="state" value="failing">`,
		`<a class="chip active" data-state="failing" href="/?q=shop&amp;state=failing" aria-current="true">Failing <span class="n">1</span></a>`,
		`<a class="chip" data-state="all" href="/?q=shop">All <span class="n">3</span></a>`,
		`data-sort="trouble" href="/?q=shop&amp;sort=trouble&amp;state=failing"`,
		`<a id="clear" href="/">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The env groups without a visible row are hidden with it, so no empty heading shows.
	if !strings.Contains(body, `<tbody class="envgroup" hidden>
<tr class="envhead"><th colspan="9">hello</th></tr>`) {
		t.Errorf("the hello group is not hidden")
	}
}

func TestHomeSortsTroubleFirst(t *testing.T) {
	f := homeFixture(t)
	_, body := getHome(t, f.store, "/?sort=trouble")
	rows, _ := stageRows(body)
	if want := []string{"shop/canary", "hello/prod", "shop/prod"}; !slices.Equal(rows, want) {
		t.Fatalf("rows %v, want %v: FAILING deploy, then failed hosts, then never deployed", rows, want)
	}
	if strings.Contains(body, `class="envhead"`) {
		t.Errorf("trouble order mixes environments; it must not draw environment headings")
	}
	if !strings.Contains(body, `<input type="hidden" name="sort" value="trouble">`) {
		t.Errorf("the search form drops the order")
	}
}

func TestHomeNotesFailedReads(t *testing.T) {
	t.Run("host counts", func(t *testing.T) {
		f := homeFixture(t)
		if _, err := f.store.DB().ExecContext(context.Background(), "DROP TABLE agents"); err != nil {
			t.Fatal(err)
		}
		code, body := getHome(t, f.store, "/")
		if code != http.StatusOK || !strings.Contains(body, `id="hosts-error"`) {
			t.Fatalf("status %d, no note on the host counts: %s", code, body)
		}
		if rows, _ := stageRows(body); len(rows) != 3 || !strings.Contains(rowOf(t, body, "shop/canary"), "deploy FAILING") {
			t.Fatalf("the stages did not survive the failed host read: %v", rows)
		}
		if !strings.Contains(rowOf(t, body, "hello/prod"), `title="host health could not be read">?</span>`) {
			t.Errorf("hello/prod does not say its hosts are unknown")
		}
	})
	t.Run("stages", func(t *testing.T) {
		st := schematest.SQLite(t)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		code, body := getHome(t, st, "/")
		if code != http.StatusOK || !strings.Contains(body, "The stages could not be read") || strings.Contains(body, "No stages yet") {
			t.Fatalf("status %d, body %s", code, body)
		}
	})
}
