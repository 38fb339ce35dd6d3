package schema_test

import (
	"context"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestDeployAdmissionsListsOnlyThatDeploysHosts(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		stage := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
		if err := st.CreateStage(ctx, stage, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := st.AdmitHosts(ctx, stage.ID, "d1", []string{"i-3", "i-1", "i-2"}); err != nil {
			t.Fatal(err)
		}
		// A newer deploy's admission replaces d1's for i-2.
		if err := st.AdmitHosts(ctx, stage.ID, "d2", []string{"i-2"}); err != nil {
			t.Fatal(err)
		}
		if err := st.AdmitHosts(ctx, "other-stage", "d1", []string{"i-9"}); err != nil {
			t.Fatal(err)
		}
		got, err := st.DeployAdmissions(ctx, stage.ID, "d1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].HostID != "i-1" || got[1].HostID != "i-3" || got[0].DeployID != "d1" || got[0].AdmittedAt.IsZero() {
			t.Fatalf("admissions of d1 = %+v, want i-1 and i-3", got)
		}
		if none, err := st.DeployAdmissions(ctx, stage.ID, "d3"); err != nil || len(none) != 0 {
			t.Fatalf("admissions of d3 = %+v, %v; want none", none, err)
		}
		if _, err := st.DeployAdmissions(ctx, "", "d1"); core.ErrorCode(err) != core.EINVALID {
			t.Fatalf("missing stage id: error %v, want EINVALID", err)
		}
	})
}
