package schema_test

import (
	"context"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// Every state a deploy was put in keeps its reason, in order, after the deploy ended; the
// bake's end time shows while it bakes.
func TestDeployKeepsItsReasonsAndShowsItsBake(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		stage := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
		if err := st.CreateStage(ctx, stage, "alice"); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateDeploy(ctx, &schema.Deploy{ID: "d1", StageID: stage.ID, BuildID: "b1", Type: core.TypeRegular}); err != nil {
			t.Fatal(err)
		}
		until := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
		if err := st.SetDeployBaking(ctx, "d1", &until, "baking"); err != nil {
			t.Fatal(err)
		}
		if d, err := st.GetDeploy(ctx, "d1"); err != nil || d.BakingUntil == nil || !d.BakingUntil.Equal(until) || d.StateReason != "baking" {
			t.Fatalf("deploy while baking = %+v, %v; want baking until %s", d, err, until)
		}
		steps := []struct{ state, reason string }{
			{core.StateFailing, "1 of 2 hosts failed"},
			{core.StateFailing, "1 of 2 hosts failed"}, // the same again adds nothing
			{core.StateRunning, "running again"},
			{core.StateFailing, "2 of 2 hosts failed"},
			{core.StateAborted, "superseded by deploy d2"},
			{core.StateRunning, "too late: the deploy ended"},
		}
		for _, s := range steps {
			if _, err := st.SetDeployState(ctx, "d1", s.state, s.reason); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.ListDeployReasons(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"FAILING 1 of 2 hosts failed", "RUNNING running again", "FAILING 2 of 2 hosts failed", "ABORTED superseded by deploy d2"}
		if len(got) != len(want) {
			t.Fatalf("reasons = %+v, want %q", got, want)
		}
		for i, r := range got {
			if r.State+" "+r.Reason != want[i] || r.Seq != i+1 || r.CreatedAt.IsZero() {
				t.Errorf("reason %d = %+v, want %q", i, r, want[i])
			}
		}
		if d, _ := st.GetDeploy(ctx, "d1"); d.BakingUntil != nil {
			t.Errorf("an ended deploy still shows a bake until %s", d.BakingUntil)
		}
	})
}
