package schema_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// rolloutView is what the admission loop reads of a host, spelled out for comparison.
func rolloutView(hosts []schema.StageHost) string {
	var out []string
	for _, h := range hosts {
		agent, lastError := "none", "none"
		if h.Agent != nil {
			agent = h.Agent.HostID + "/" + h.Agent.DeployID + "/" + h.Agent.State
		}
		if h.LastError != nil {
			lastError = h.LastError.ErrorMessage
		}
		out = append(out, fmt.Sprintf("%s id=%s by=%s agent=%s error=%s", h.HostName, h.HostID, h.MemberBy, agent, lastError))
	}
	return strings.Join(out, "\n")
}

func TestRolloutHostsAgreesWithListStageHosts(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newStage(t, st, "web", "prod")
		other := newStage(t, st, "web", "canary")
		if _, err := st.SetCapacity(ctx, "web", "prod", schema.Capacity{Hosts: []string{"named-1", "named-2", "never"}, Groups: []string{"g-a", "g-b"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetCapacity(ctx, "web", "canary", schema.Capacity{Groups: []string{"g-canary"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		for _, h := range []schema.Host{
			{ID: "i-named-1", HostName: "named-1"},
			{ID: "i-named-2", HostName: "named-2", Groups: []string{"g-a"}},
			{ID: "i-grouped", HostName: "grouped", Groups: []string{"g-b", "g-a"}},
			{ID: "i-grouped-2", HostName: "grouped-2", Groups: []string{"g-b"}},
			{ID: "i-left", HostName: "left"},
			{ID: "i-canary", HostName: "canary-1", Groups: []string{"g-canary"}},
			{ID: "i-stranger", HostName: "stranger", Groups: []string{"g-other"}},
		} {
			if err := st.RecordHost(ctx, &h); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now().UTC()
		agent := func(host, name, stageID, deployID, state string) schema.Agent {
			return schema.Agent{HostID: host, StageID: stageID, HostName: name, DeployID: deployID, DeployStage: "RESTARTING", Status: "SCRIPT_FAILED",
				State: state, StartedAt: now, StageStartedAt: now, UpdatedAt: now}
		}
		agents := []schema.Agent{
			agent("i-named-1", "named-1", prod.ID, "d1", core.AgentNormal),
			agent("i-grouped", "grouped", prod.ID, "d1", core.AgentPausedBySystem),
			agent("i-grouped-2", "grouped-2", prod.ID, "d0", core.AgentPausedBySystem),
			agent("i-left", "left", prod.ID, "d1", core.AgentNormal),
			agent("i-ghost", "ghost", prod.ID, "d1", core.AgentNormal), // no hosts row: never pinged
			agent("i-canary", "canary-1", other.ID, "d9", core.AgentPausedBySystem),
		}
		if _, err := st.DB().NewInsert().Model(&agents).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		errs := []schema.AgentError{
			{HostID: "i-grouped", StageID: prod.ID, HostName: "grouped", ErrorMessage: "exit 3: cannot bind", UpdatedAt: now},
			{HostID: "i-grouped-2", StageID: prod.ID, HostName: "grouped-2", ErrorMessage: "exit 1", UpdatedAt: now},
			{HostID: "i-named-1", StageID: prod.ID, HostName: "named-1", ErrorMessage: "an old error", UpdatedAt: now},
		}
		if _, err := st.DB().NewInsert().Model(&errs).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		full, err := st.ListStageHosts(ctx, "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		// The lean read leaves out errors of hosts the system did not pause: the admission
		// loop reads only those.
		// and it names a host by its agent row's id when no host row exists (one that never
		// pinged this server, like ghost), so that such a host can still be admitted.
		for i := range full {
			if full[i].Agent == nil || full[i].Agent.State != core.AgentPausedBySystem {
				full[i].LastError = nil
			}
			if full[i].Agent != nil && full[i].HostID == "" {
				full[i].HostID = full[i].Agent.HostID
			}
		}
		lean, err := st.RolloutHosts(ctx, prod.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join([]string{
			"ghost id=i-ghost by=removed agent=i-ghost/d1/NORMAL error=none",
			"grouped id=i-grouped by=group:g-a agent=i-grouped/d1/PAUSED_BY_SYSTEM error=exit 3: cannot bind",
			"grouped-2 id=i-grouped-2 by=group:g-b agent=i-grouped-2/d0/PAUSED_BY_SYSTEM error=exit 1",
			"left id=i-left by=removed agent=i-left/d1/NORMAL error=none",
			"named-1 id=i-named-1 by=host agent=i-named-1/d1/NORMAL error=none",
			"named-2 id=i-named-2 by=host agent=none error=none",
			"never id= by=host agent=none error=none",
		}, "\n")
		if got := rolloutView(lean); got != want {
			t.Errorf("RolloutHosts:\n%s\nwant\n%s", got, want)
		}
		if got := rolloutView(full); got != rolloutView(lean) {
			t.Errorf("ListStageHosts and RolloutHosts disagree:\n%s\nvs\n%s", got, rolloutView(lean))
		}

		counter := &queryCounter{}
		st.DB().AddQueryHook(counter)
		if _, err := st.RolloutHosts(ctx, prod.ID); err != nil {
			t.Fatal(err)
		}
		if n := counter.n.Load(); n != 3 {
			t.Errorf("RolloutHosts ran %d queries, want 3", n)
		}
		empty, err := st.RolloutHosts(ctx, "no-such-stage")
		if err != nil || len(empty) != 0 {
			t.Errorf("unknown stage: %v, %v", empty, err)
		}
	})
}
