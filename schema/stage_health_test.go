package schema_test

import (
	"context"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// queryCounter counts the statements a store runs, to hold the overview functions to a
// fixed number of queries however many stages there are.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	q.n.Add(1)
	return ctx
}

func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

func newHealthStage(t *testing.T, st *schema.Store, env, name string) *schema.Stage {
	t.Helper()
	s := &schema.Stage{EnvName: env, StageName: name, StageConfig: schema.DefaultStageConfig(env, name)}
	if err := st.CreateStage(context.Background(), s, "alice"); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestListStageSummaries(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newHealthStage(t, st, "web", "prod")
		canary := newHealthStage(t, st, "web", "canary")
		newHealthStage(t, st, "api", "prod")
		b := &schema.Build{Name: "web", ArtifactURL: "https://example.com/web-1.tar.gz", Branch: "main", Commit: "abc1234def"}
		if err := st.PublishBuild(ctx, b); err != nil {
			t.Fatal(err)
		}
		for _, d := range []*schema.Deploy{
			{ID: "d-prod", StageID: prod.ID, EnvName: "web", StageName: "prod", BuildID: b.ID, Type: core.TypeRegular, Operator: "bob"},
			// A build that was never published: the summary keeps the deploy and has no build.
			{ID: "d-canary", StageID: canary.ID, EnvName: "web", StageName: "canary", BuildID: "gone", Type: core.TypeHotfix},
		} {
			if err := st.CreateDeploy(ctx, d); err != nil {
				t.Fatal(err)
			}
		}

		counter := &queryCounter{}
		st.DB().AddQueryHook(counter)
		got, err := st.ListStageSummaries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := counter.n.Load(); n > 3 {
			t.Errorf("ListStageSummaries ran %d queries, want at most 3", n)
		}
		var names []string
		for _, s := range got {
			names = append(names, s.Stage.EnvName+"/"+s.Stage.StageName)
		}
		if want := []string{"api/prod", "web/canary", "web/prod"}; !slices.Equal(names, want) {
			t.Fatalf("stages %v, want %v", names, want)
		}
		if got[0].Current != nil || got[0].Build != nil {
			t.Errorf("api/prod was never deployed, got deploy %+v build %+v", got[0].Current, got[0].Build)
		}
		if got[1].Current == nil || got[1].Current.ID != "d-canary" || got[1].Build != nil {
			t.Errorf("web/canary: deploy %+v build %+v, want d-canary and no build", got[1].Current, got[1].Build)
		}
		if got[2].Current == nil || got[2].Current.Operator != "bob" || got[2].Build == nil || got[2].Build.CommitShort != "abc1234" {
			t.Errorf("web/prod: deploy %+v build %+v, want d-prod by bob on %s", got[2].Current, got[2].Build, b.ID)
		}
	})
}

func TestCountStageHosts(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newHealthStage(t, st, "web", "prod")
		canary := newHealthStage(t, st, "web", "canary")
		newHealthStage(t, st, "web", "empty")
		if _, err := st.SetCapacity(ctx, "web", "prod", schema.Capacity{Hosts: []string{"named-1", "named-2", "never"}, Groups: []string{"g-a", "g-b"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetCapacity(ctx, "web", "canary", schema.Capacity{Groups: []string{"g-canary"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		for _, h := range []schema.Host{
			{ID: "i-named-1", HostName: "named-1"},
			{ID: "i-named-2", HostName: "named-2", Groups: []string{"g-a"}},        // named wins over its group
			{ID: "i-grouped", HostName: "grouped", Groups: []string{"g-b", "g-a"}}, // the first group by name
			{ID: "i-left", HostName: "left"},                                       // only an agent row ties it to prod
			{ID: "i-canary", HostName: "canary-1", Groups: []string{"g-canary"}},
			{ID: "i-stranger", HostName: "stranger", Groups: []string{"g-other"}},
		} {
			if err := st.RecordHost(ctx, &h); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().UTC()
		agent := func(host, name, stageID, state string) schema.Agent {
			return schema.Agent{HostID: host, StageID: stageID, HostName: name, DeployID: "d1", DeployStage: "SERVING_BUILD", Status: "SUCCEEDED",
				State: state, StartedAt: now, StageStartedAt: now, UpdatedAt: now}
		}
		agents := []schema.Agent{
			agent("i-named-1", "named-1", prod.ID, core.AgentNormal),
			agent("i-grouped", "grouped", prod.ID, core.AgentPausedBySystem),
			agent("i-left", "left", prod.ID, core.AgentNormal),
			agent("i-ghost", "ghost", prod.ID, core.AgentNormal), // no hosts row: never pinged
			agent("i-canary", "canary-1", canary.ID, core.AgentPausedByUser),
		}
		if _, err := st.DB().NewInsert().Model(&agents).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		// The classifier spells out everything the store handed it, so the counts check
		// membership, pings and agent rows at once.
		classify := func(stageID string, h schema.StageHost) string {
			ping := "never"
			if h.LastPingAt != nil {
				ping = "pinged"
			}
			agentState := "none"
			if h.Agent != nil {
				agentState = h.Agent.State
			}
			return h.HostName + " " + h.MemberBy + " " + ping + " " + agentState
		}
		counter := &queryCounter{}
		st.DB().AddQueryHook(counter)
		got, err := st.CountStageHosts(ctx, classify)
		if err != nil {
			t.Fatal(err)
		}
		if n := counter.n.Load(); n > 4 {
			t.Errorf("CountStageHosts ran %d queries, want at most 4", n)
		}
		want := map[string]schema.HostCounts{
			prod.ID: {
				"named-1 host pinged NORMAL":                1,
				"named-2 host pinged none":                  1,
				"never host never none":                     1,
				"grouped group:g-a pinged PAUSED_BY_SYSTEM": 1,
				"left removed pinged NORMAL":                1,
				"ghost removed never NORMAL":                1,
			},
			canary.ID: {"canary-1 group:g-canary pinged PAUSED_BY_USER": 1},
		}
		if !maps.EqualFunc(got, want, maps.Equal) {
			t.Fatalf("counts\n got %v\nwant %v", got, want)
		}
		if n := got[prod.ID].Total(); n != 6 {
			t.Errorf("prod total %d, want 6", n)
		}

		// The counts agree with the per-stage listing the stage page draws.
		listed, err := st.ListStageHosts(ctx, "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		fromList := schema.HostCounts{}
		for _, h := range listed {
			fromList[classify(prod.ID, h)]++
		}
		if !maps.Equal(fromList, got[prod.ID]) {
			t.Fatalf("ListStageHosts gives %v, CountStageHosts %v", fromList, got[prod.ID])
		}
	})
}
