package board

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// historyMarkup is user data that must come out of the history page as text.
const historyMarkup = "<script>alert(1)</script>"

func TestParseConfigHistoryQuery(t *testing.T) {
	tests := []struct {
		name, limit, a, b string
		want              configHistoryQuery
		notes             int
	}{
		{name: "nothing asked", want: configHistoryQuery{Limit: 100}},
		{name: "all given", limit: "20", a: "3", b: "7", want: configHistoryQuery{Limit: 20, A: 3, B: 7}},
		{name: "limit at the store's maximum", limit: "500", want: configHistoryQuery{Limit: 500}},
		{name: "limit too large", limit: "501", want: configHistoryQuery{Limit: 100}, notes: 1},
		{name: "limit zero", limit: "0", want: configHistoryQuery{Limit: 100}, notes: 1},
		{name: "limit not a number", limit: "all", want: configHistoryQuery{Limit: 100}, notes: 1},
		{name: "bad ids", a: "x", b: "-2", want: configHistoryQuery{Limit: 100}, notes: 2},
		{name: "one id", b: "4", want: configHistoryQuery{Limit: 100, B: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notes := parseConfigHistoryQuery(tt.limit, tt.a, tt.b)
			if got != tt.want || len(notes) != tt.notes {
				t.Fatalf("parseConfigHistoryQuery(%q, %q, %q) = %+v, notes %q; want %+v with %d notes", tt.limit, tt.a, tt.b, got, notes, tt.want, tt.notes)
			}
		})
	}
}

func TestConfigComparePicks(t *testing.T) {
	entry := func(id int64, kind string) schema.ConfigChange { return schema.ConfigChange{ID: id, ChangeType: kind} }
	cfg, capacity, created := schema.HistoryStageConfig, schema.HistoryCapacity, schema.HistoryStageCreated
	tests := []struct {
		name    string
		q       configHistoryQuery
		changes []schema.ConfigChange
		a, b    int64
	}{
		{name: "no entries"},
		{name: "one entry is B", changes: []schema.ConfigChange{entry(5, created)}, b: 5},
		{name: "newest against the one before", changes: []schema.ConfigChange{entry(9, cfg), entry(7, cfg), entry(3, created)}, a: 7, b: 9},
		{name: "config against the config before, skipping capacity", changes: []schema.ConfigChange{entry(9, cfg), entry(8, capacity), entry(3, created)}, a: 3, b: 9},
		{name: "capacity against the capacity before", changes: []schema.ConfigChange{entry(9, capacity), entry(8, cfg), entry(4, capacity), entry(3, created)}, a: 4, b: 9},
		{name: "no older entry of the kind: the one before", changes: []schema.ConfigChange{entry(9, capacity), entry(8, cfg)}, a: 8, b: 9},
		{name: "asked ones win", q: configHistoryQuery{A: 3, B: 7}, changes: []schema.ConfigChange{entry(9, cfg), entry(7, cfg), entry(3, created)}, a: 3, b: 7},
		{name: "only A asked", q: configHistoryQuery{A: 3}, changes: []schema.ConfigChange{entry(9, cfg), entry(7, cfg), entry(3, created)}, a: 3, b: 9},
		{name: "only B asked: A of its kind before it", q: configHistoryQuery{B: 8}, changes: []schema.ConfigChange{entry(9, cfg), entry(8, capacity), entry(5, cfg), entry(4, capacity)}, a: 4, b: 8},
	}
	for _, tt := range tests {
		a, b := configComparePicks(tt.q, tt.changes)
		if a != tt.a || b != tt.b {
			t.Errorf("%s: configComparePicks = %d, %d; want %d, %d", tt.name, a, b, tt.a, tt.b)
		}
	}
}

// configHistoryFixture creates hello/prod and changes its config and capacity twice each,
// with markup in an operator name and in values; it returns the entry ids, newest first.
func configHistoryFixture(t *testing.T, st *schema.Store) []int64 {
	t.Helper()
	ctx := context.Background()
	s := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(ctx, s, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateStageConfig(ctx, "hello", "prod", func(c *schema.StageConfig) {
		c.SuccessThreshold = 90
		c.ScriptVariables = map[string]string{"GREETING": historyMarkup}
		c.Alarms = []schema.Alarm{{Name: "errors", URL: "https://alarms.example.com/errors"}}
	}, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"h1", "h2"}}, historyMarkup); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"h2", "h3"}, Groups: []string{"web"}}, "carol"); err != nil {
		t.Fatal(err)
	}
	changes, err := st.ListConfigHistory(ctx, "hello", "prod", 10)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(changes))
	for i, ch := range changes {
		ids[i] = ch.ID
	}
	if len(ids) != 4 {
		t.Fatalf("fixture made %d history entries, want 4", len(ids))
	}
	return ids
}

func getConfigHistory(t *testing.T, st *schema.Store, path string) (int, string) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	(&Board{Store: st}).Register(engine)
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestConfigHistoryListsChangesNewestFirstWithDiffs(t *testing.T) {
	st := schematest.SQLite(t)
	ids := configHistoryFixture(t, st)
	code, body := getConfigHistory(t, st, "/envs/hello/prod/config/history")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	last := -1
	for _, id := range ids {
		i := strings.Index(body, fmt.Sprintf(`id="entry-%d"`, id))
		if i < 0 || i < last {
			t.Fatalf("entry %d missing or out of order (ids newest first: %v)", id, ids)
		}
		last = i
	}
	for _, want := range []string{
		// The config change: a scalar changed, a map key and a list item added.
		`<code>successThreshold</code> <code class="cfg-old">100</code> → <code class="cfg-new">90</code>`,
		`<code>scriptVariables[GREETING]</code> <code class="cfg-new">&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;</code>`,
		`<code>alarms</code> item <code class="cfg-new">{&#34;kind&#34;:&#34;HTTP&#34;,&#34;name&#34;:&#34;errors&#34;,&#34;url&#34;:&#34;https://alarms.example.com/errors&#34;}</code>`,
		// The second capacity change: hosts as items removed and added.
		`<code>hosts</code> item <code class="cfg-old">&#34;h1&#34;</code>`,
		`<code>hosts</code> item <code class="cfg-new">&#34;h3&#34;</code>`,
		`<code>groups</code> item <code class="cfg-new">&#34;web&#34;</code>`,
		// The creation lists the initial fields.
		`<code>buildName</code> <code class="cfg-new">&#34;hello&#34;</code>`,
		"stage created", "STAGE_CONFIG", "capacity", "carol", "bob", "alice", " UTC",
		`href="/envs/hello/prod/config"`,
		// Pickers start on the newest entry (capacity) as B and the capacity entry before as A.
		fmt.Sprintf(`name="a" value="%d" aria-label="compare #%d as A" checked`, ids[1], ids[1]),
		fmt.Sprintf(`name="b" value="%d" aria-label="compare #%d as B" checked`, ids[0], ids[0]),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("history lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") {
		t.Fatalf("user data not escaped: %s", body)
	}
	if strings.Contains(body, `id="compare"`) {
		t.Errorf("comparison shown although none was asked for")
	}
}

func TestConfigHistoryComparesTwoEntriesSideBySide(t *testing.T) {
	st := schematest.SQLite(t)
	ids := configHistoryFixture(t, st)
	created, configured := ids[3], ids[2]
	code, body := getConfigHistory(t, st, fmt.Sprintf("/envs/hello/prod/config/history?a=%d&b=%d", created, configured))
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	for _, want := range []string{
		`id="compare"`,
		fmt.Sprintf("#%d compared with #%d", created, configured),
		`<tr class="cfg-differs"><td><code>successThreshold</code> <span class="cfg-mark" title="differs">≠</span></td><td class="cfg-value">100</td><td class="cfg-value">90</td></tr>`,
		`<tr><td><code>buildName</code></td><td class="cfg-value">&#34;hello&#34;</td><td class="cfg-value">&#34;hello&#34;</td></tr>`,
		`<td class="cfg-value"><span class="muted">absent</span></td><td class="cfg-value">&#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;</td>`,
		`<h3>From A to B</h3>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("comparison lacks %s", want)
		}
	}
	if strings.Contains(body, "One entry records capacity") {
		t.Errorf("two config entries called mixed")
	}

	// A config entry against a capacity entry says why everything differs.
	_, body = getConfigHistory(t, st, fmt.Sprintf("/envs/hello/prod/config/history?a=%d&b=%d", configured, ids[0]))
	if !strings.Contains(body, "One entry records capacity") {
		t.Errorf("mixed comparison not explained")
	}
}

func TestConfigHistoryExplainsComparisonsItCannotMake(t *testing.T) {
	st := schematest.SQLite(t)
	ids := configHistoryFixture(t, st)
	tests := []struct{ query, want string }{
		{fmt.Sprintf("a=%d&b=%d", ids[0], ids[0]), "compared with itself"},
		{fmt.Sprintf("a=999999&b=%d", ids[0]), "Entry #999999 is not among the newest 100 entries"},
		{fmt.Sprintf("a=%d&b=%d&limit=2", ids[3], ids[0]), fmt.Sprintf("Entry #%d is not among the newest 2 entries", ids[3])},
		{fmt.Sprintf("b=%d", ids[0]), "Pick two entries to compare"},
		{"a=x&b=1", "a=&#34;x&#34; is not an entry number"},
		{"limit=" + url.QueryEscape(historyMarkup), "limit &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34; is not a number"},
	}
	for _, tt := range tests {
		code, body := getConfigHistory(t, st, "/envs/hello/prod/config/history?"+tt.query)
		if code != http.StatusOK || !strings.Contains(body, tt.want) {
			t.Errorf("?%s: status %d, body lacks %q: %s", tt.query, code, tt.want, body)
		}
		if strings.Contains(body, `id="compare"`) {
			t.Errorf("?%s: comparison shown", tt.query)
		}
		if !strings.Contains(body, fmt.Sprintf(`id="entry-%d"`, ids[0])) {
			t.Errorf("?%s: the entries are gone", tt.query)
		}
	}
}

func TestConfigHistoryShowsMoreLinkWhenTheLimitIsReached(t *testing.T) {
	st := schematest.SQLite(t)
	configHistoryFixture(t, st)
	_, body := getConfigHistory(t, st, "/envs/hello/prod/config/history?limit=4")
	if !strings.Contains(body, "Showing the newest 4 entries") || !strings.Contains(body, `name="limit" value="4"`) {
		t.Errorf("limit=4 with 4 entries: no hint or hidden limit: %s", body)
	}
	_, body = getConfigHistory(t, st, "/envs/hello/prod/config/history")
	if strings.Contains(body, "Showing the newest") {
		t.Errorf("hint shown with 4 of at most 100 entries")
	}
}

func TestConfigHistoryOfMissingStageIsNotFound(t *testing.T) {
	st := schematest.SQLite(t)
	code, body := getConfigHistory(t, st, "/envs/hello/nope/config/history")
	if code != http.StatusNotFound || !strings.Contains(body, "There is no stage hello/nope") {
		t.Fatalf("status %d, body %s", code, body)
	}
}

func TestConfigHistoryUnreadableKeepsThePage(t *testing.T) {
	st := schematest.SQLite(t)
	configHistoryFixture(t, st)
	if _, err := st.DB().ExecContext(context.Background(), "DROP TABLE config_history"); err != nil {
		t.Fatal(err)
	}
	code, body := getConfigHistory(t, st, "/envs/hello/prod/config/history")
	if code != http.StatusOK || !strings.Contains(body, "The config history could not be read") || strings.Contains(body, "No config changes yet") {
		t.Fatalf("status %d, body %s", code, body)
	}
	if !strings.Contains(body, `href="/envs/hello/prod/config"`) {
		t.Errorf("no way back to the config page")
	}
}

func TestConfigHistoryEntryWithBrokenSnapshotStillShows(t *testing.T) {
	st := schematest.SQLite(t)
	ids := configHistoryFixture(t, st)
	if _, err := st.DB().NewUpdate().Model((*schema.ConfigChange)(nil)).Set("after_json = ?", "{broken").Where("id = ?", ids[0]).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body := getConfigHistory(t, st, "/envs/hello/prod/config/history")
	if code != http.StatusOK || !strings.Contains(body, "snapshots could not be read") || !strings.Contains(body, "carol") {
		t.Fatalf("status %d, body %s", code, body)
	}
}
