package schema_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestGetBuildsByIDReadsEveryChunk(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		// More builds than one query reads, so the last ones come from a second chunk.
		const n = 1203
		builds := make([]schema.Build, n)
		ids := make([]string, 0, n+3)
		for i := range builds {
			builds[i] = schema.Build{ID: fmt.Sprintf("b%04d", i), Name: "hello", ArtifactURL: "https://artifacts.example.com/hello.tar.gz",
				Branch: "main", CommitInfo: fmt.Sprintf("commit %d", i), PublishedAt: t0.Add(time.Duration(i) * time.Second)}
			ids = append(ids, builds[i].ID)
		}
		if _, err := st.DB().NewInsert().Model(&builds).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, "missing", "", "b0000")

		got, err := st.GetBuildsByID(ctx, ids)
		if err != nil {
			t.Fatalf("GetBuildsByID: %v", err)
		}
		if len(got) != n {
			t.Fatalf("read %d builds, want %d", len(got), n)
		}
		if _, ok := got["missing"]; ok {
			t.Error("a missing id is in the map")
		}
		last := got["b1202"]
		if last.CommitInfo != "commit 1202" || !last.PublishedAt.Equal(t0.Add(1202*time.Second)) {
			t.Errorf("b1202 = %+v", last)
		}
	})
}

func TestGetBuildsByIDWithNothingToRead(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		for _, ids := range [][]string{nil, {""}, {"missing"}} {
			got, err := st.GetBuildsByID(context.Background(), ids)
			if err != nil || len(got) != 0 {
				t.Errorf("GetBuildsByID(%q) = %v, %v; want an empty map", ids, got, err)
			}
		}
	})
}

func TestGetBuildsByIDReportsAFailedRead(t *testing.T) {
	st := schematest.SQLite(t)
	ctx := context.Background()
	if _, err := st.DB().ExecContext(ctx, "DROP TABLE builds"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetBuildsByID(ctx, []string{"b1"}); err == nil {
		t.Fatal("GetBuildsByID on a dropped table succeeded")
	}
}
