package board

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestComparePageDefaultsToCurrentAndNewestBuild(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	for _, want := range []string{
		"<h1>Compare builds of hello/prod</h1>",
		`class="active" aria-current="page">Builds</a>`,
		`<tr><th>Build</th><td><code>b2</code> <strong class="current-marker">current</strong></td><td><code>b5</code></td></tr>`,
		`<a id="repo-compare" href="https://github.com/acme/hello/compare/` + fixtureSHA("2") + "..." + fixtureSHA("5") + `">`,
		"1 build named hello on branch main published after <code>b2</code> and before <code>b5</code>",
		`<td class="wrap">file:///srv/builds/b2.tar.gz</td>`, // not a link: browsers would not open it
		`<a href="https://artifacts.example.com/b5">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	between := body[strings.Index(body, `<table class="between">`):]
	if !strings.Contains(between, "<code>b4</code>") || strings.Contains(between, "<code>b3</code>") {
		t.Errorf("between b2 and b5 on main there is b4 only: %s", between)
	}
	if t.Failed() {
		t.Logf("body: %s", body)
	}
}

func TestComparePageShowsBothBuildsAndTheBuildsBetween(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?from=b1&to=b5")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	for _, want := range []string{
		`<a href="https://github.com/acme/hello/commit/` + fixtureSHA("1") + `"><code>` + fixtureSHA("1") + `</code></a>`,
		`<a href="https://github.com/acme/hello">https://github.com/acme/hello.git</a>`,
		`<code>` + strings.Repeat("c", 64) + `</code>`,
		`<tr class="differs"><th>Checksum</th>`,
		`<time datetime="2026-11-20T09:30:00Z">`, // b1's commit date
		"2 builds named hello on branch main",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if !inOrder(body, `<table class="between">`, "<code>b4</code>", "<code>b2</code>", "</table>") {
		t.Errorf("builds between are not b4 then b2: %s", body)
	}
	if between := body[strings.Index(body, `<table class="between">`):]; strings.Contains(between, "<code>b3</code>") || strings.Contains(between, "<code>b1</code>") {
		t.Errorf("the list holds another branch's build or an end of the range: %s", between)
	}
	if strings.Contains(body, "compare-note") {
		t.Errorf("two builds of one branch and repo need no warning: %s", body)
	}
}

func TestComparePageWarns(t *testing.T) {
	engine, _ := buildsFixture(t)
	for _, tc := range []struct {
		name, query string
		want        []string
		not         []string
	}{
		{"different branches", "from=b1&to=b3",
			[]string{"different branches (main and feature)", "1 build named hello published after", "<code>b2</code>", `id="repo-compare"`},
			[]string{"on branch main published"}},
		{"from newer than to", "from=b5&to=b1",
			[]string{"“from” (b5) was published after “to” (b1)", `<a id="swap-link" href="/envs/hello/prod/builds/compare?from=b1&amp;to=b5">`,
				"/compare/" + fixtureSHA("1") + "..." + fixtureSHA("5")},
			nil},
		{"different repositories", "from=r0&to=b1",
			[]string{"different repositories (git@gitlab.example.com:acme/hello.git and https://github.com/acme/hello.git)", `id="none-between"`},
			[]string{`id="repo-compare"`, "not one the board knows"}},
		{"different build streams", "from=b1&to=x1",
			[]string{"different build streams (hello and other)", "Build x1 is named other; this stage deploys builds named hello."},
			[]string{`<table class="between">`}},
		{"the same build", "from=b4&to=b4",
			[]string{"Both sides are the same build"},
			[]string{"Commits between them", "swap-link"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?"+tc.query)
			if code != http.StatusOK {
				t.Fatalf("status %d, body %s", code, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %s", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("page has %s", n)
				}
			}
			if t.Failed() {
				t.Logf("body: %s", body)
			}
		})
	}
}

func TestComparePageNamesUnknownBuilds(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?from=nope&to=b5")
	if code != http.StatusNotFound || !strings.Contains(body, "There is no build nope.") || !strings.Contains(body, "<code>b5</code>") {
		t.Fatalf("status %d, body %s", code, body)
	}
	code, body = getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?from=b1&to=%3Cscript%3Ealert(1)%3C/script%3E")
	if code != http.StatusNotFound || strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "There is no build &lt;script&gt;alert(1)&lt;/script&gt;.") {
		t.Fatalf("status %d, body %s", code, body)
	}
}

func TestComparePageEscapesUserData(t *testing.T) {
	engine, _ := buildsFixture(t)
	_, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?from=b1&to=b4")
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("user data rendered as markup: %s", body)
	}
	if !strings.Contains(body, "fix &lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>") {
		t.Fatalf("escaped title and publisher of b2 missing: %s", body)
	}
}

func TestComparePageWithoutDefaults(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/empty/builds/compare")
	if code != http.StatusOK || !strings.Contains(body, "This stage has never been deployed") || !strings.Contains(body, "No builds named nothing have been published yet.") {
		t.Fatalf("status %d, body %s", code, body)
	}
	if strings.Contains(body, "Commits between them") {
		t.Errorf("a comparison without builds lists commits: %s", body)
	}
}

func TestComparePageSurvivesAFailingRead(t *testing.T) {
	engine, st := buildsFixture(t)
	if _, err := st.DB().ExecContext(context.Background(), "DROP TABLE builds"); err != nil {
		t.Fatal(err)
	}
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?from=b1&to=b5")
	if code != http.StatusInternalServerError || !strings.Contains(body, "Part of this page could not be read") || !strings.Contains(body, "<h1>Compare builds of hello/prod</h1>") {
		t.Fatalf("status %d, body %s", code, body)
	}
}

func TestComparePageOfUnknownStageIs404(t *testing.T) {
	engine, _ := buildsFixture(t)
	code, body := getBuildsPage(t, engine, "/envs/hello/nope/builds/compare?from=b1&to=b2")
	if code != http.StatusNotFound || !strings.Contains(body, "There is no stage hello/nope.") {
		t.Fatalf("status %d, body %s", code, body)
	}
}

func TestPlanCompare(t *testing.T) {
	at := func(h int) time.Time { return buildsT0.Add(time.Duration(h) * time.Hour) }
	const gh = "https://github.com/acme/hello"
	build := func(id, branch, repo string, h int) schema.Build {
		return schema.Build{ID: id, Name: "hello", Branch: branch, Repo: repo, Commit: fixtureSHA(id[1:]), PublishedAt: at(h)}
	}
	b1, b2 := build("b1", "main", gh, 1), build("b2", "main", gh, 2)
	for _, tc := range []struct {
		name           string
		from, to       schema.Build
		older, newer   string
		reversed, list bool
		branch         string
		compare        string
		notes          []string
	}{
		{name: "forward on one branch", from: b1, to: b2, older: "b1", newer: "b2", list: true, branch: "main",
			compare: gh + "/compare/" + b1.Commit + "..." + b2.Commit},
		{name: "backward", from: b2, to: b1, older: "b1", newer: "b2", reversed: true, list: true, branch: "main",
			compare: gh + "/compare/" + b1.Commit + "..." + b2.Commit, notes: []string{"“from” (b2) was published after “to” (b1)"}},
		{name: "same instant orders by id", from: build("b4", "main", gh, 3), to: build("b3", "main", gh, 3), older: "b3", newer: "b4", reversed: true, list: true, branch: "main",
			compare: gh + "/compare/" + fixtureSHA("3") + "..." + fixtureSHA("4"), notes: []string{"was published after"}},
		{name: "branches differ", from: b1, to: build("b3", "feat", gh, 3), older: "b1", newer: "b3", list: true,
			compare: gh + "/compare/" + b1.Commit + "..." + fixtureSHA("3"), notes: []string{"different branches (main and feat)"}},
		{name: "repos differ", from: b1, to: build("b3", "main", "https://gitlab.com/acme/hello", 3), older: "b1", newer: "b3", list: true, branch: "main",
			notes: []string{"different repositories"}},
		{name: "no repo known", from: build("b1", "main", "", 1), to: build("b2", "main", "", 2), older: "b1", newer: "b2", list: true, branch: "main",
			notes: []string{"Neither build says which repository"}},
		{name: "unrecognised repo", from: build("b1", "", "acme/hello", 1), to: build("b2", "", "acme/hello", 2), older: "b1", newer: "b2", list: true},
		{name: "another stream", from: b1, to: schema.Build{ID: "x1", Name: "other", Branch: "main", Repo: gh, Commit: fixtureSHA("6"), PublishedAt: at(5)}, older: "b1", newer: "x1",
			branch: "main", compare: gh + "/compare/" + b1.Commit + "..." + fixtureSHA("6"), notes: []string{"Build x1 is named other", "different build streams"}},
		{name: "same build", from: b1, to: b1, older: "b1", newer: "b1", list: true, branch: "main", notes: []string{"the same build"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planCompare(tc.from, tc.to, "hello")
			if p.Older.ID != tc.older || p.Newer.ID != tc.newer || p.Reversed != tc.reversed || p.ListBetween != tc.list || p.Branch != tc.branch || p.CompareURL != tc.compare {
				t.Errorf("plan = older %s newer %s reversed %v list %v branch %q compare %q", p.Older.ID, p.Newer.ID, p.Reversed, p.ListBetween, p.Branch, p.CompareURL)
			}
			if len(p.Notes) != len(tc.notes) {
				t.Errorf("notes = %q, want %d", p.Notes, len(tc.notes))
			}
			for _, n := range tc.notes {
				if !strings.Contains(strings.Join(p.Notes, "\n"), n) {
					t.Errorf("notes %q lack %q", p.Notes, n)
				}
			}
		})
	}
}

func TestBuildsBetween(t *testing.T) {
	// Eight builds, newest first as the store lists them: n7 … n0.
	var all []schema.Build
	for i := 7; i >= 0; i-- {
		all = append(all, schema.Build{ID: "n" + string(rune('0'+i)), PublishedAt: buildsT0.Add(time.Duration(i) * time.Minute)})
	}
	ids := func(bs []schema.Build) string {
		var out []string
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return strings.Join(out, ",")
	}
	lister := func(calls *int, failAt int) buildLister {
		return func(_ context.Context, offset, limit int) ([]schema.Build, error) {
			*calls++
			if offset >= failAt {
				return nil, errors.New("database went away")
			}
			end := min(offset+limit, len(all))
			if offset >= end {
				return nil, nil
			}
			return all[offset:end], nil
		}
	}
	never := len(all) + 1
	// before is published ahead of every listed build, as when the older build is on another branch.
	before := schema.Build{ID: "z", PublishedAt: buildsT0.Add(-time.Hour)}
	for _, tc := range []struct {
		name         string
		older, newer schema.Build
		lim          betweenLimits
		failAt       int
		want         string
		complete     bool
		wantErr      bool
		maxCalls     int
	}{
		{"one page", all[6], all[1], betweenLimits{page: 10, shown: 10, scan: 100}, never, "n5,n4,n3,n2", true, false, 1},
		{"across pages", all[6], all[1], betweenLimits{page: 3, shown: 10, scan: 100}, never, "n5,n4,n3,n2", true, false, 3},
		{"adjacent builds", all[2], all[1], betweenLimits{page: 3, shown: 10, scan: 100}, never, "", true, false, 1},
		{"oldest and newest", all[7], all[0], betweenLimits{page: 3, shown: 10, scan: 100}, never, "n6,n5,n4,n3,n2,n1", true, false, 3},
		{"older is not in the list", before, all[2], betweenLimits{page: 3, shown: 10, scan: 100}, never, "n4,n3,n2,n1,n0", true, false, 3},
		{"exactly as many as shown", all[3], all[0], betweenLimits{page: 3, shown: 2, scan: 100}, never, "n6,n5", true, false, 2},
		{"shown cap", all[7], all[0], betweenLimits{page: 3, shown: 2, scan: 100}, never, "n6,n5", false, false, 2},
		{"scan cap", all[7], all[0], betweenLimits{page: 2, shown: 10, scan: 4}, never, "n6,n5,n4", false, false, 2},
		{"store fails on the second page", all[7], all[0], betweenLimits{page: 3, shown: 10, scan: 100}, 3, "n6,n5", false, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			got, complete, err := buildsBetween(context.Background(), lister(&calls, tc.failAt), tc.older, tc.newer, tc.lim)
			if ids(got) != tc.want || complete != tc.complete || (err != nil) != tc.wantErr {
				t.Errorf("= %s, complete %v, err %v; want %s, complete %v, error %v", ids(got), complete, err, tc.want, tc.complete, tc.wantErr)
			}
			if calls > tc.maxCalls {
				t.Errorf("%d store reads, want at most %d", calls, tc.maxCalls)
			}
		})
	}
}

func TestLinkableArtifact(t *testing.T) {
	for raw, want := range map[string]string{
		"https://a.example.com/b.tar.gz": "https://a.example.com/b.tar.gz",
		"http://a.example.com/b.tar.gz":  "http://a.example.com/b.tar.gz",
		"file:///srv/b.tar.gz":           "",
		"javascript:alert(1)":            "",
		"https:///nohost":                "",
		"":                               "",
	} {
		if got := linkableArtifact(raw); got != want {
			t.Errorf("linkableArtifact(%q) = %q, want %q", raw, got, want)
		}
	}
}
