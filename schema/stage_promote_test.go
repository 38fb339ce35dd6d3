package schema_test

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestPromoteConfigIsStoredAndChecked stores promote configs on SQLite and MySQL, checks
// the chain in the store's transaction, finds the stages a build or a qualified deploy
// goes to, and refuses to delete a stage another promotes from.
func TestPromoteConfigIsStoredAndChecked(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := t.Context()
		mk := func(name string, p *core.PromoteConfig) error {
			s := &schema.Stage{EnvName: "web", StageName: name, StageConfig: schema.DefaultStageConfig("web", name)}
			s.BuildName, s.Promote = "web", p
			return st.CreateStage(ctx, s, "alice")
		}
		window := &core.PromoteWindow{Days: []string{"Mon", "Fri"}, Start: "22:00", End: "02:00"}
		for _, c := range []struct {
			name string
			p    *core.PromoteConfig
		}{
			{"canary", &core.PromoteConfig{Source: "BUILD", Branch: "main", OnEvent: true}},
			{"staging", &core.PromoteConfig{Source: "canary", OnEvent: true}},
			{"prod", &core.PromoteConfig{Source: "staging", Cron: "0 9 * * mon-fri", TimeZone: "Europe/Berlin", Window: window, FailPolicy: core.PromoteFailRollback}},
			{"adhoc", nil},
		} {
			if err := mk(c.name, c.p); err != nil {
				t.Fatalf("create %s: %v", c.name, err)
			}
		}
		got, err := st.GetStage(ctx, "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if p := got.Promote; p == nil || p.Source != "staging" || p.QueueSize != 1 || p.DisablePolicy != core.PromoteDisableOnManual ||
			p.Window == nil || strings.Join(p.Window.Days, ",") != "Mon,Fri" || p.TimeZone != "Europe/Berlin" {
			t.Fatalf("prod's promote config read back as %+v", got.Promote)
		}
		if adhoc, _ := st.GetStage(ctx, "web", "adhoc"); adhoc.Promote != nil {
			t.Errorf("adhoc has promote %+v, want none", adhoc.Promote)
		}
		if err := mk("loop", &core.PromoteConfig{Source: "nowhere", OnEvent: true}); core.ErrorField(err) != "promote.source" {
			t.Errorf("a missing predecessor: %v", err)
		}
		_, err = st.UpdateStageConfig(ctx, "web", "canary", func(c *schema.StageConfig) { c.Promote = &core.PromoteConfig{Source: "prod", OnEvent: true} }, "bob")
		if err == nil || !strings.Contains(err.Error(), "canary ← prod ← staging ← canary") {
			t.Errorf("a cycle: %v", err)
		}
		if c, _ := st.GetStage(ctx, "web", "canary"); c.Promote.Source != "BUILD" {
			t.Errorf("a refused update changed canary's source to %s", c.Promote.Source)
		}
		next, err := st.PromotionTargets(ctx, "web", "staging")
		if err != nil || len(next) != 1 || next[0].StageName != "prod" {
			t.Errorf("stages promoting from staging: %v %v", next, err)
		}
		for branch, want := range map[string]int{"main": 1, "feature/x": 0} {
			if got, err := st.StagesPromotingBuild(ctx, "web", branch); err != nil || len(got) != want {
				t.Errorf("stages promoting builds of web on %s: %d %v, want %d", branch, len(got), err, want)
			}
		}
		if _, err := st.DeleteStage(ctx, "web", "staging", "alice"); core.ErrorCode(err) != core.ECONFLICT || !strings.Contains(err.Error(), "web/prod promotes from web/staging") {
			t.Errorf("delete a predecessor: %v", err)
		}
		if _, err := st.UpdateStageConfig(ctx, "web", "prod", func(c *schema.StageConfig) { c.Promote = nil }, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DeleteStage(ctx, "web", "staging", "alice"); err != nil {
			t.Errorf("delete staging once nothing promotes from it: %v", err)
		}
	})
}
