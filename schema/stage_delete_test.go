package schema_test

import (
	"context"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestDeleteStage(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		s := &schema.Stage{EnvName: "web", StageName: "canary", StageConfig: schema.DefaultStageConfig("web", "canary")}
		if err := st.CreateStage(ctx, s, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetCapacity(ctx, "web", "canary", schema.Capacity{Hosts: []string{"h1"}, Groups: []string{"g"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		d := &schema.Deploy{ID: "dd1", StageID: s.ID, EnvName: "web", StageName: "canary", BuildID: "b1", Type: core.TypeRegular, Operator: "alice", WorkflowID: "deploy/dd1"}
		if err := st.CreateDeploy(ctx, d); err != nil {
			t.Fatal(err)
		}

		// A running deploy keeps the stage.
		if _, err := st.DeleteStage(ctx, "web", "canary", "bob"); core.ErrorCode(err) != core.ECONFLICT {
			t.Fatalf("delete with a RUNNING deploy: %v, want ECONFLICT", err)
		}
		if _, err := st.GetStage(ctx, "web", "canary"); err != nil {
			t.Fatalf("the refused delete removed the stage: %v", err)
		}

		// Once it ended, the stage and its capacity go; the deploy and the audit trail stay.
		if _, err := st.SetDeployState(ctx, "dd1", core.StateAborted, "aborted by alice"); err != nil {
			t.Fatal(err)
		}
		gone, err := st.DeleteStage(ctx, "web", "canary", "bob")
		if err != nil || gone.ID != s.ID {
			t.Fatalf("delete: %+v, %v", gone, err)
		}
		if _, err := st.GetStage(ctx, "web", "canary"); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("deleted stage still read: %v", err)
		}
		if _, err := st.GetDeploy(ctx, "dd1"); err != nil {
			t.Fatalf("the deleted stage's deploy: %v", err)
		}
		var kinds []string
		if err := st.DB().NewSelect().Model((*schema.ConfigChange)(nil)).Column("change_type").Where("stage_id = ? AND operator = ?", s.ID, "bob").Scan(ctx, &kinds); err != nil {
			t.Fatal(err)
		}
		if len(kinds) != 1 || kinds[0] != schema.HistoryStageDeleted {
			t.Fatalf("audit entries by bob: %v, want one %s", kinds, schema.HistoryStageDeleted)
		}
		// The name is free again, with empty capacity.
		again := &schema.Stage{EnvName: "web", StageName: "canary", StageConfig: schema.DefaultStageConfig("web", "canary")}
		if err := st.CreateStage(ctx, again, "carol"); err != nil {
			t.Fatal(err)
		}
		if c, err := st.GetCapacity(ctx, "web", "canary"); err != nil || len(c.Hosts)+len(c.Groups) != 0 {
			t.Fatalf("capacity of the new stage: %+v, %v", c, err)
		}
		if _, err := st.DeleteStage(ctx, "web", "nope", "bob"); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("delete of an unknown stage: %v, want ENOTFOUND", err)
		}
	})
}
