package schema_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestListDeploysFiltersByTypeAndStateAndPages(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		clock := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { clock = clock.Add(time.Second); return clock })
		s := newStage(t, st, "hello", "prod")
		other := newStage(t, st, "hello", "canary")
		// Oldest first: d1..d5 on prod, one on canary that no prod filter may return.
		for _, d := range []struct{ id, stageID, typ, state string }{
			{"d1", s.ID, core.TypeRegular, core.StateSucceeded},
			{"d2", s.ID, core.TypeRollback, core.StateSucceeded},
			{"d3", s.ID, core.TypeRegular, core.StateAborted},
			{"d4", other.ID, core.TypeRegular, core.StateSucceeded},
			{"d5", s.ID, core.TypeHotfix, core.StateRunning},
			{"d6", s.ID, core.TypeRegular, core.StateRunning},
		} {
			if err := st.CreateDeploy(ctx, &schema.Deploy{ID: d.id, StageID: d.stageID, BuildID: "b-" + d.id, Type: d.typ}); err != nil {
				t.Fatal(err)
			}
			if d.state != core.StateRunning {
				if _, err := st.SetDeployState(ctx, d.id, d.state, "test"); err != nil {
					t.Fatal(err)
				}
			}
		}
		ids := func(list []schema.Deploy) []string {
			out := []string{}
			for _, d := range list {
				out = append(out, d.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    schema.DeployFilter
			want []string
		}{
			{"all, newest first", schema.DeployFilter{}, []string{"d6", "d5", "d3", "d2", "d1"}},
			{"by type", schema.DeployFilter{Type: core.TypeRegular}, []string{"d6", "d3", "d1"}},
			{"by state", schema.DeployFilter{State: core.StateSucceeded}, []string{"d2", "d1"}},
			{"by both", schema.DeployFilter{Type: core.TypeRegular, State: core.StateRunning}, []string{"d6"}},
			{"nothing matches", schema.DeployFilter{Type: core.TypeRestart}, []string{}},
			{"a page", schema.DeployFilter{Limit: 2, Offset: 2}, []string{"d3", "d2"}},
			{"a filtered page", schema.DeployFilter{Type: core.TypeRegular, Limit: 1, Offset: 1}, []string{"d3"}},
			{"past the end", schema.DeployFilter{Offset: 10}, []string{}},
		} {
			got, err := st.ListDeploys(ctx, "hello", "prod", tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if g := ids(got); !slices.Equal(g, tc.want) {
				t.Errorf("%s: ListDeploys = %v, want %v", tc.name, g, tc.want)
			}
		}
		_, err := st.ListDeploys(ctx, "hello", "prod", schema.DeployFilter{Type: "SIDEWAYS"})
		mustCode(t, err, core.EINVALID)
		_, err = st.ListDeploys(ctx, "hello", "prod", schema.DeployFilter{State: "DANCING"})
		mustCode(t, err, core.EINVALID)
	})
}

func TestValidDeployState(t *testing.T) {
	for _, tc := range []struct {
		state string
		want  bool
	}{
		{core.StateRunning, true}, {core.StateFailing, true}, {core.StateSucceeding, true},
		{core.StateSucceeded, true}, {core.StateAborted, true},
		{"", false}, {"succeeded", false}, {"DANCING", false},
	} {
		if got := core.ValidDeployState(tc.state); got != tc.want {
			t.Errorf("ValidDeployState(%q) = %v, want %v", tc.state, got, tc.want)
		}
	}
}
