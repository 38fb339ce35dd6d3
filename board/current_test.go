package board

import (
	"context"
	"log/slog"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestCurrentDeploy(t *testing.T) {
	_, st := buildsFixture(t)
	ctx := context.Background()
	b := &Board{Store: st, Logger: slog.New(slog.DiscardHandler)}
	prod, err := st.GetStage(ctx, "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		stage    *schema.Stage
		want     string
		wantFail bool
	}{
		{"never deployed", &schema.Stage{EnvName: "hello", StageName: "empty"}, "", false},
		{"deployed", prod, prod.CurrentDeployID, false},
		{"a current deploy that cannot be read", &schema.Stage{EnvName: "hello", StageName: "gone", CurrentDeployID: "nope"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var failed []string
			d := b.currentDeploy(ctx, tc.stage, func(what string, err error) { failed = append(failed, what) })
			got := ""
			if d != nil {
				got = d.ID
			}
			if got != tc.want || (len(failed) > 0) != tc.wantFail {
				t.Errorf("currentDeploy = %q, failures %q; want %q, failure %v", got, failed, tc.want, tc.wantFail)
			}
		})
	}
	if prod.CurrentDeployID == "" {
		t.Fatal("the fixture's prod stage has no current deploy")
	}
}
