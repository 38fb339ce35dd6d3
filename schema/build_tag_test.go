package schema_test

import (
	"context"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestBuildTagsOnEveryDatabase(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		var builds []schema.Build
		for i, branch := range []string{"main", "main", "feature", "main"} {
			d := base.Add(time.Duration(i) * time.Hour)
			b := &schema.Build{Name: "web", ArtifactURL: "https://example.com/web.tar.gz", Repo: "org/web", Branch: branch,
				Commit: []string{"aaaa111", "bbbb222", "cccc333", "dddd444"}[i], CommitDate: &d}
			if err := st.PublishBuild(ctx, b); err != nil {
				t.Fatal(err)
			}
			builds = append(builds, *b)
		}
		if err := st.TagBuild(ctx, &schema.BuildTag{BuildID: builds[1].ID, Value: "bad", Comment: "crashes", Operator: "alice"}); err != nil {
			t.Fatal(err)
		}
		if err := st.TagBuild(ctx, &schema.BuildTag{BuildID: "nope", Value: core.TagBad}); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("tagging a missing build: %v", err)
		}
		if err := st.TagBuild(ctx, &schema.BuildTag{BuildID: builds[0].ID, Value: "BAD_BUILD"}); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("tagging with an unknown value: %v", err)
		}
		tags, err := st.EffectiveTags(ctx, builds)
		if err != nil {
			t.Fatal(err)
		}
		if tags[builds[0].ID] != nil || tags[builds[2].ID] != nil {
			t.Errorf("the earlier build or the other branch is tagged: %+v", tags)
		}
		for _, i := range []int{1, 3} {
			if tg := tags[builds[i].ID]; tg == nil || tg.Value != core.TagBad || tg.Build.ID != builds[1].ID || tg.Comment != "crashes" || tg.Operator != "alice" {
				t.Errorf("build %d: tag %+v, want BAD of build 1", i, tg)
			}
		}
		bad, err := st.BadBuilds(ctx, []string{builds[0].ID, builds[1].ID, builds[2].ID, builds[3].ID, "nope"})
		if err != nil || len(bad) != 2 || bad[builds[1].ID] == nil || bad[builds[3].ID] == nil {
			t.Errorf("BadBuilds = %v, %v; want builds 1 and 3", bad, err)
		}
		own, err := st.ListBuildTags(ctx, builds[1].ID)
		if err != nil || len(own) != 1 || own[0].BuildName != "web" || own[0].Value != core.TagBad {
			t.Errorf("ListBuildTags = %+v, %v", own, err)
		}
	})
}
