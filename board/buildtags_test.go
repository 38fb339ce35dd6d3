package board

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestBadBuildsAreFlaggedWhereBuildsAreListed(t *testing.T) {
	engine, st := buildsFixture(t)
	ctx := context.Background()
	if err := st.TagBuild(ctx, &schema.BuildTag{BuildID: "b4", Value: core.TagBad, Comment: "crashes on start", Operator: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := st.TagBuild(ctx, &schema.BuildTag{BuildID: "b1", Value: core.TagCertified, Operator: "qa"}); err != nil {
		t.Fatal(err)
	}
	row := func(body, id string) string {
		m := regexp.MustCompile(`(?s)<tr data-build="` + id + `"[^>]*>.*?</tr>`).FindString(body)
		if m == "" {
			t.Fatalf("no row for build %s in %s", id, body)
		}
		return m
	}
	for _, page := range []string{"/envs/hello/prod/builds", "/envs/hello/prod"} {
		code, body := getBuildsPage(t, engine, page)
		if code != http.StatusOK {
			t.Fatalf("%s: status %d", page, code)
		}
		for id, want := range map[string]string{
			"b4": `<span class="build-tag tag-BAD" title="build b4 is tagged BAD by alice at`,
			"b5": `<span class="build-tag tag-BAD" title="build b5 is on branch main after build b4, tagged BAD by alice`,
			"b1": `<span class="build-tag tag-CERTIFIED" title="CERTIFIED by qa">CERTIFIED</span>`,
		} {
			if r := row(body, id); !strings.Contains(r, want) {
				t.Errorf("%s: row of %s lacks %s:\n%s", page, id, want, r)
			}
		}
		if r := row(body, "b5"); !strings.Contains(r, `data-bad="build b5 is on branch main after build b4`) || !strings.Contains(r, "BAD ↑") {
			t.Errorf("%s: b5's Deploy button does not carry why it is bad:\n%s", page, r)
		}
		// b3 is on another branch: the BAD tag on main does not reach it.
		if r := row(body, "b3"); strings.Contains(r, "build-tag") || strings.Contains(r, "data-bad") {
			t.Errorf("%s: b3 (branch feature) is flagged:\n%s", page, r)
		}
	}
	// The deploy page of a build tags it.
	code, body := getBuildsPage(t, engine, "/deploys/d1")
	if code != http.StatusOK || !strings.Contains(body, `data-tag-build="b2" data-tag-value="BAD">Mark bad</button>`) {
		t.Errorf("the deploy page offers no tag buttons:\n%s", body)
	}
}
