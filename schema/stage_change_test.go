package schema_test

import (
	"context"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestStageChangeMarkSeesEveryWrite holds the mark to its promise on both databases: any
// write of a stage's agent row stamped at or after the moment changes it, even one stamped
// earlier than a write already seen (writers' clocks and commit order disagree), and
// nothing else does.
func TestStageChangeMarkSeesEveryWrite(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		stage := newStage(t, st, "hello", "prod")
		other := newStage(t, st, "hello", "canary")
		base := time.Now().UTC().Truncate(time.Millisecond)
		write := func(stageID, host, deployStage string, at time.Time) {
			t.Helper()
			a := schema.Agent{HostID: host, StageID: stageID, HostName: host, DeployID: "d1", DeployStage: deployStage,
				Status: "SUCCEEDED", State: core.AgentNormal, StartedAt: at, StageStartedAt: at, UpdatedAt: at}
			if err := st.RecordPing(ctx, schema.PingHost{ID: host}, func(core.PingState) (core.PingWrites, error) {
				return core.PingWrites{Agents: []schema.Agent{a}}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		mark := func() schema.StageChangeMark {
			t.Helper()
			m, err := st.StageChangeMark(ctx, stage.ID, base.Add(-time.Second))
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		empty := mark()
		if empty != (schema.StageChangeMark{}) {
			t.Fatalf("a stage without agent rows has mark %+v", empty)
		}
		write(stage.ID, "h-1", "PRE_DOWNLOAD", base.Add(2*time.Second))
		write(stage.ID, "h-2", "PRE_DOWNLOAD", base.Add(3*time.Second))
		m1 := mark()
		if m1.Rows != 2 {
			t.Fatalf("two rows written, mark %+v", m1)
		}
		// h-1 reports again with a stamp older than h-2's: the newest stamp is unchanged.
		write(stage.ID, "h-1", "DOWNLOADING", base.Add(2500*time.Millisecond))
		m2 := mark()
		if m2 == m1 {
			t.Fatalf("an update stamped before the newest one left the mark at %+v", m2)
		}
		// Another stage's writes, and rows stamped before the moment, do not count.
		write(other.ID, "h-9", "PRE_DOWNLOAD", base.Add(4*time.Second))
		write(stage.ID, "h-3", "PRE_DOWNLOAD", base.Add(-time.Hour))
		if m3 := mark(); m3 != m2 {
			t.Fatalf("writes the mark does not cover moved it from %+v to %+v", m2, m3)
		}
		// An operator's action on a host is a write too.
		if _, err := st.SetAgentState(ctx, stage.ID, "h-2", core.AgentPausedByUser); err != nil {
			t.Fatal(err)
		}
		if m4 := mark(); m4 == m2 {
			t.Fatalf("pausing a host left the mark at %+v", m4)
		}
	})
}
