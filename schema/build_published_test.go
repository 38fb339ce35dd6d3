package schema_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestListBuildsBetweenPublishTimes(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
		// a and b share an instant, as do d1 and d2; a microsecond separates c from b.
		builds := []schema.Build{
			{ID: "a", PublishedAt: at(0)},
			{ID: "b", PublishedAt: at(0)},
			{ID: "c", PublishedAt: at(0).Add(time.Microsecond)},
			{ID: "d1", PublishedAt: at(5)},
			{ID: "d2", PublishedAt: at(5)},
			{ID: "e", PublishedAt: at(9), Branch: "feature"},
			{ID: "f", PublishedAt: at(12)},
		}
		for i := range builds {
			builds[i].Name, builds[i].ArtifactURL = "hello", "https://artifacts.example.com/"+builds[i].ID
			if builds[i].Branch == "" {
				builds[i].Branch = "main"
			}
		}
		if _, err := st.DB().NewInsert().Model(&builds).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    schema.BuildFilter
			want []string
		}{
			{"unbounded, newest first, ties by id", schema.BuildFilter{}, []string{"f", "e", "d2", "d1", "c", "b", "a"}},
			{"after is exclusive", schema.BuildFilter{PublishedAfter: at(5)}, []string{"f", "e"}},
			{"before is exclusive", schema.BuildFilter{PublishedBefore: at(5)}, []string{"c", "b", "a"}},
			{"both", schema.BuildFilter{PublishedAfter: at(0), PublishedBefore: at(12)}, []string{"e", "d2", "d1", "c"}},
			{"microsecond precision", schema.BuildFilter{PublishedAfter: at(0).Add(-time.Microsecond), PublishedBefore: at(0).Add(time.Microsecond)}, []string{"b", "a"}},
			{"a bound in another time zone", schema.BuildFilter{PublishedAfter: at(9).In(time.FixedZone("PST", -8*3600))}, []string{"f"}},
			{"with the other filters and a limit", schema.BuildFilter{Branch: "main", PublishedAfter: at(0), Limit: 2}, []string{"f", "d2"}},
			{"an empty range", schema.BuildFilter{PublishedAfter: at(5), PublishedBefore: at(5)}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				list, err := st.ListBuilds(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				got := []string{}
				for _, b := range list {
					got = append(got, b.ID)
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("ListBuilds = %q, want %q", got, tc.want)
				}
			})
		}
	})
}
