package board

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestBetweenFilter(t *testing.T) {
	older := schema.Build{ID: "b1", Name: "hello", PublishedAt: buildsT0}
	newer := schema.Build{ID: "b2", Name: "hello", PublishedAt: buildsT0.Add(time.Hour)}
	for _, tc := range []struct {
		name          string
		plan          comparePlan
		branch        string
		after, before time.Time
	}{
		{"one branch", comparePlan{Older: older, Newer: newer, Branch: "main"}, "main",
			buildsT0.Add(-time.Microsecond), buildsT0.Add(time.Hour + time.Microsecond)},
		{"every branch", comparePlan{Older: older, Newer: newer}, "",
			buildsT0.Add(-time.Microsecond), buildsT0.Add(time.Hour + time.Microsecond)},
		{"one instant", comparePlan{Older: older, Newer: schema.Build{ID: "b0", Name: "hello", PublishedAt: buildsT0}}, "",
			buildsT0.Add(-time.Microsecond), buildsT0.Add(time.Microsecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := betweenFilter(tc.plan)
			if f.Name != "hello" || f.Branch != tc.branch || !f.PublishedAfter.Equal(tc.after) || !f.PublishedBefore.Equal(tc.before) || f.Commit != "" {
				t.Errorf("betweenFilter = %+v; want branch %q after %s before %s", f, tc.branch, tc.after, tc.before)
			}
		})
	}
}

// The store orders builds published in one instant by id, and so does the compare page:
// a build sharing the older build's instant is between when its id sorts after the older
// build's, one sharing the newer build's instant when its id sorts before.
func TestComparePageOrdersBuildsOfOneInstantByID(t *testing.T) {
	engine, st := buildsFixture(t)
	ties := []schema.Build{
		{ID: "b1z", PublishedAt: buildsT0.Add(time.Hour)},     // b2's instant, before b2
		{ID: "b2a", PublishedAt: buildsT0.Add(time.Hour)},     // b2's instant, after b2: between
		{ID: "b4z", PublishedAt: buildsT0.Add(4 * time.Hour)}, // b5's instant, before b5: between
		{ID: "b6", PublishedAt: buildsT0.Add(4 * time.Hour)},  // b5's instant, after b5
	}
	for i := range ties {
		ties[i].Name, ties[i].Branch, ties[i].ArtifactURL = "hello", "main", "https://artifacts.example.com/"+ties[i].ID
	}
	if _, err := st.DB().NewInsert().Model(&ties).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?from=b2&to=b5")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	between := body[strings.Index(body, `<table class="between">`):]
	between = between[:strings.Index(between, "</table>")]
	if !inOrder(between, "<code>b4z</code>", "<code>b4</code>", "<code>b2a</code>") {
		t.Errorf("builds between are not b4z, b4, b2a: %s", between)
	}
	for _, not := range []string{"b1z", "b2", "b5", "b6"} {
		if strings.Contains(between, "<code>"+not+"</code>") {
			t.Errorf("builds between list %s: %s", not, between)
		}
	}
	if !strings.Contains(body, "3 builds named hello on branch main") {
		t.Errorf("page does not count 3 builds between: %s", body)
	}
}

// Past compareLimits.shown builds the page says the list is cut short.
func TestComparePageCutsALongListShort(t *testing.T) {
	engine, st := buildsFixture(t)
	var many []schema.Build
	for i := range compareLimits.shown + 1 {
		many = append(many, schema.Build{ID: fmt.Sprintf("m%04d", i), Name: "hello", Branch: "main",
			ArtifactURL: "https://artifacts.example.com/m", PublishedAt: buildsT0.Add(90*time.Minute + time.Duration(i)*time.Second)})
	}
	if _, err := st.DB().NewInsert().Model(&many).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body := getBuildsPage(t, engine, "/envs/hello/prod/builds/compare?from=b2&to=b5")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	between := body[strings.Index(body, `<table class="between">`):]
	between = between[:strings.Index(between, "</table>")]
	if n := strings.Count(between, "<tr><td>"); n != compareLimits.shown {
		t.Errorf("%d rows between, want %d", n, compareLimits.shown)
	}
	if !strings.Contains(between, "<code>b4</code>") || strings.Contains(between, "<code>m0000</code>") {
		t.Errorf("the list does not run from the newest builds: %s", between)
	}
	if !strings.Contains(body, "200+ builds named hello on branch main") || !strings.Contains(body, "The list stops after 200 builds") {
		t.Errorf("the page does not say the list is cut short: %s", body)
	}
}
