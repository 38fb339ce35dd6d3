package schema_test

import (
	"context"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
	"github.com/uptrace/bun"
)

func TestPruneSilentHostsRemovesOnlyTheSilentOnes(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newStage(t, st, "web", "prod")
		setCapacity(t, st, prod, schema.Capacity{Hosts: []string{"named"}, Groups: []string{"asg"}})
		for _, h := range []schema.PingHost{{ID: "i-named", Name: "named"}, {ID: "i-grouped", Name: "grouped", Groups: []string{"asg"}}, {ID: "i-live", Name: "live", Groups: []string{"asg"}}} {
			err := st.RecordPing(ctx, h, func(core.PingState) (core.PingWrites, error) {
				now := time.Now().UTC()
				return core.PingWrites{Agents: []core.Agent{{HostID: h.ID, StageID: prod.ID, HostName: h.Name, DeployID: "d1",
					DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded, State: core.AgentNormal, UpdatedAt: now}}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().UTC().Add(-30 * 24 * time.Hour)
		if _, err := st.DB().NewUpdate().Table("hosts").Set("last_ping_at = ?", old).Where("id IN (?)", bun.In([]string{"i-named", "i-grouped"})).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		n, err := st.PruneSilentHosts(ctx, time.Now().UTC().Add(-7*24*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("PruneSilentHosts = %d, %v; want 2", n, err)
		}
		hosts, err := st.ListStageHosts(ctx, "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, h := range hosts {
			got[h.HostName] = h.HostID
		}
		// The named host stays in the stage by name, never seen; the grouped one is gone.
		if len(got) != 2 || got["live"] != "i-live" || got["named"] != "" {
			t.Fatalf("hosts after pruning = %+v, want live (i-live) and named (never seen)", hosts)
		}
		if _, err := st.HostDetail(ctx, "grouped"); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("HostDetail(grouped) after pruning: %v, want not found", err)
		}
		if n, err := st.PruneSilentHosts(ctx, time.Now().UTC().Add(-7*24*time.Hour)); err != nil || n != 0 {
			t.Fatalf("pruning again = %d, %v; want nothing", n, err)
		}
	})
}
