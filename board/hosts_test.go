package board_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// hostRowHTML is the table row of host on a hosts page, or "" when there is none.
func hostRowHTML(body, host string) string {
	return regexp.MustCompile(`(?s)<tr data-host="` + regexp.QuoteMeta(host) + `".*?</tr>`).FindString(body)
}

// hostActionsOffered are the actions each fixture host's row offers: what applies to it.
var hostActionsOffered = map[string]string{
	"h1-serving":   "pause,exclude",
	"h2-deploying": "retry,pause,exclude",
	"h3-failed":    "retry,exclude",
	"h4-paused":    "resume,pause", // PAUSED_BY_USER: excluded
	"h5-other":     "pause,exclude",
	"h6-silent":    "exclude", // pinged, but has no row in the stage
	"h7-never":     "",        // never pinged: nothing to act on yet
}

func TestHostsPageShowsEveryHostWithColourBuildStateAndError(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/envs/hello/prod/hosts")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	for _, want := range []string{
		"<h1>Hosts of hello/prod</h1>",
		`href="/envs/hello/prod/hosts" class="active"`,
		"Showing 7 of 7 hosts",
		`<strong id="host-total">7</strong> hosts`,
		`href="/envs/hello/prod/hosts?state=failed"`,
		`<script src="/static/hosts.js"></script>`,
		`id="sign-out"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	counts := map[string]string{"serving": "1", "deploying": "1", "failed": "1", "paused": "0", "excluded": "1", "other": "1", "unreachable": "2"}
	for color, n := range counts {
		re := regexp.MustCompile(`data-color="` + color + `"[^>]*><span class="host ` + color + `"></span> <span class="n">(\d+)</span>`)
		if m := re.FindStringSubmatch(body); m == nil || m[1] != n {
			t.Errorf("summary count of %s = %v, want %s", color, m, n)
		}
	}
	for _, h := range hostColors {
		row := hostRowHTML(body, h.name)
		if row == "" {
			t.Errorf("no row for %s", h.name)
			continue
		}
		for _, want := range []string{`data-color="` + h.color + `"`, `<a href="/hosts/` + h.name + `">` + h.name + `</a>`} {
			if !strings.Contains(row, want) {
				t.Errorf("row of %s lacks %q: %s", h.name, want, row)
			}
		}
		// Only the actions that apply to the host's state are offered.
		var offered []string
		for _, m := range regexp.MustCompile(`data-host-action="(\w+)"`).FindAllStringSubmatch(row, -1) {
			offered = append(offered, m[1])
		}
		if got := strings.Join(offered, ","); got != hostActionsOffered[h.name] {
			t.Errorf("row of %s offers %q, want %q", h.name, got, hostActionsOffered[h.name])
		}
		if strings.Contains(row, " hidden>") {
			t.Errorf("row of %s is hidden without a filter", h.name)
		}
	}
	checks := []struct{ host, want string }{
		{"h5-other", `<a href="/deploys/d0" title="deploy d0">b-old</a>`},
		{"h1-serving", `<a href="/deploys/d1" title="deploy d1">&lt;script&gt;alert(1)&lt;/script&gt;</a>`},
		{"h1-serving", `<td class="c-dstage">SERVING_BUILD</td>`},
		{"h3-failed", `<td class="c-status">SCRIPT_FAILED</td>`},
		{"h3-failed", `<td class="c-state">PAUSED_BY_SYSTEM</td>`},
		{"h3-failed", `<details><summary>boom &lt;script&gt;alert(1)&lt;/script&gt;</summary><pre>boom &lt;script&gt;alert(1)&lt;/script&gt;</pre></details>`},
		{"h4-paused", `<td class="c-state">PAUSED_BY_USER</td>`},
		{"h6-silent", `>10m`},
		{"h6-silent", `<td class="c-state">—</td>`},
		{"h7-never", `title="never pinged">never</td>`},
		{"h7-never", `<td class="c-build">—</td>`},
		{"h2-deploying", `>0s ago</td>`},
		{"h2-deploying", `named in capacity`},
	}
	for _, c := range checks {
		if row := hostRowHTML(body, c.host); !strings.Contains(row, c.want) {
			t.Errorf("row of %s lacks %q: %s", c.host, c.want, row)
		}
	}
}

func TestHostsPageEscapesUserData(t *testing.T) {
	engine, _ := boardEngine(t)
	body := get(t, engine, "/envs/hello/prod/hosts").Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("user data rendered as markup: %s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("escaped user data missing: %s", body)
	}
}

func TestHostsPageFiltersOnTheServer(t *testing.T) {
	engine, _ := boardEngine(t)
	for _, tc := range []struct {
		query   string
		visible []string
		note    string
	}{
		{"?state=failed", []string{"h3-failed"}, ""},
		{"?state=unreachable", []string{"h6-silent", "h7-never"}, ""},
		{"?state=PAUSED_BY_USER", []string{"h4-paused"}, ""},
		{"?name=H1", []string{"h1-serving"}, ""},
		{"?name=h&state=other", []string{"h5-other"}, ""},
		{"?name=zzz", nil, ""},
		{"?state=%3Cscript%3E", []string{"h1-serving", "h2-deploying", "h3-failed", "h4-paused", "h5-other", "h6-silent", "h7-never"},
			"“&lt;script&gt;” is neither a grid colour nor an agent state; showing every host."},
	} {
		rec := get(t, engine, "/envs/hello/prod/hosts"+tc.query)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tc.query, rec.Code)
		}
		var visible []string
		for _, h := range hostColors {
			if row := hostRowHTML(body, h.name); row != "" && !strings.Contains(row[:strings.Index(row, ">")], " hidden") {
				visible = append(visible, h.name)
			}
		}
		if strings.Join(visible, ",") != strings.Join(tc.visible, ",") {
			t.Errorf("%s: visible rows %v, want %v", tc.query, visible, tc.visible)
		}
		if want := "Showing " + strconv.Itoa(len(tc.visible)) + " of 7 hosts"; !strings.Contains(body, want) {
			t.Errorf("%s: page lacks %q", tc.query, want)
		}
		if hidden := strings.Contains(body, `<p id="no-match" class="empty" hidden>`); hidden != (len(tc.visible) > 0) {
			t.Errorf("%s: no-match note hidden=%v with %d visible rows", tc.query, hidden, len(tc.visible))
		}
		if tc.note != "" && !strings.Contains(body, tc.note) {
			t.Errorf("%s: page lacks note %q", tc.query, tc.note)
		}
	}
	body := get(t, engine, "/envs/hello/prod/hosts?state=failed&name=h3").Body.String()
	if !strings.Contains(body, `<option value="failed" selected>failed</option>`) || !strings.Contains(body, `name="name" type="search" value="h3"`) {
		t.Errorf("filter form does not show the filter: %s", body)
	}
}

func TestHostsPageOfAStageWithoutHosts(t *testing.T) {
	engine, f := boardEngine(t)
	s := &schema.Stage{EnvName: "empty", StageName: "dev", StageConfig: schema.DefaultStageConfig("empty", "dev")}
	if err := f.store.CreateStage(context.Background(), s, "alice"); err != nil {
		t.Fatal(err)
	}
	rec := get(t, engine, "/envs/empty/dev/hosts")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "No hosts yet") || strings.Contains(rec.Body.String(), `<table id="hosts"`) {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body.String())
	}
}

func TestHostsPageShowsAMissingDeployAsUnknownBuild(t *testing.T) {
	engine, f := boardEngine(t)
	if _, err := f.store.DB().NewDelete().Model((*schema.Deploy)(nil)).Where("id = ?", "d0").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	row := hostRowHTML(get(t, engine, "/envs/hello/prod/hosts").Body.String(), "h5-other")
	if !strings.Contains(row, `<a href="/deploys/d0" title="deploy d0">unknown build</a>`) {
		t.Fatalf("row %s", row)
	}
}

func TestHostsPageOfAnUnknownStageIsA404Page(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/envs/hello/nope/hosts")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "There is no stage hello/nope.") {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body.String())
	}
}

func TestHostsPageNotesAFailedReadInsteadOfFailing(t *testing.T) {
	engine, f := boardEngine(t)
	// The stage still reads, the hosts do not: the page stays up with a note.
	if _, err := f.store.DB().ExecContext(context.Background(), "DROP TABLE agent_errors"); err != nil {
		t.Fatal(err)
	}
	rec := get(t, engine, "/envs/hello/prod/hosts")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "Could not list the stage&#39;s hosts") ||
		strings.Contains(body, "No hosts yet") || !strings.Contains(body, `id="host-summary"`) {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
}

func TestHostsScriptIsServed(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/static/hosts.js")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "data-host-action") {
		t.Fatalf("status %d, body %.200s", rec.Code, rec.Body.String())
	}
}

// TestOldErrorOfAServingHostIsMarkedStale: a host that serves a build since its last error
// shows that error as stale, on the hosts page and the host page; a failing host's is not.
func TestOldErrorOfAServingHostIsMarkedStale(t *testing.T) {
	engine, f := boardEngine(t)
	old := &schema.AgentError{HostID: "h1-serving", StageID: f.stage.ID, HostName: "h1-serving", ErrorMessage: "exit 1 in an aborted deploy",
		UpdatedAt: time.Now().UTC().Add(-time.Hour)}
	if _, err := f.store.DB().NewInsert().Model(old).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := get(t, engine, "/envs/hello/prod/hosts").Body.String()
	if row := hostRowHTML(body, "h1-serving"); !strings.Contains(row, `<details class="stale"><summary><span class="stale-mark" title="the host serves a build since this error">stale</span> exit 1 in an aborted deploy</summary>`) {
		t.Errorf("serving host's old error not marked stale: %s", row)
	}
	if row := hostRowHTML(body, "h3-failed"); strings.Contains(row, "stale") {
		t.Errorf("failing host's error marked stale: %s", row)
	}
	body = get(t, engine, "/hosts/h1-serving").Body.String()
	if !strings.Contains(body, `<tr class="host-error stale">`) || !strings.Contains(body, `<span class="stale-mark">stale</span>`) {
		t.Errorf("host page does not mark the old error stale: %s", body)
	}
}
