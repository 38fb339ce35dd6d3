package board_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestBuildsPageWarnsOfBuildsThePredecessorNeverRan: on a stage promoting from another, a
// build that never succeeded there is marked, and its Deploy button says so before the
// operator confirms; once it succeeded there, neither.
func TestBuildsPageWarnsOfBuildsThePredecessorNeverRan(t *testing.T) {
	st := schematest.SQLite(t)
	ctx := t.Context()
	for _, name := range []string{"staging", "prod"} {
		s := &schema.Stage{EnvName: "web", StageName: name, StageConfig: schema.DefaultStageConfig("web", name)}
		if name == "prod" {
			s.Promote = &core.PromoteConfig{Source: "staging", OnEvent: true}
		}
		if err := st.CreateStage(ctx, s, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	b := &schema.Build{Name: "web", ArtifactURL: "https://builds.example.com/web.tar.gz", Branch: "main", Commit: "abcdef1", Publisher: "ci"}
	if err := st.PublishBuild(ctx, b); err != nil {
		t.Fatal(err)
	}
	want := "build " + b.ID + " has no successful deploy in the predecessor stage staging"
	code, body := getConfigPage(t, st, "/envs/web/prod/builds")
	if code != http.StatusOK || !strings.Contains(body, "⚠ not on staging") || !strings.Contains(body, `data-branch-warning="`+want+`"`) {
		t.Fatalf("prod's builds page (%d) lacks the predecessor warning %q:\n%s", code, want, body)
	}
	staging, _ := st.GetStage(ctx, "web", "staging")
	d := &schema.Deploy{ID: "d1", StageID: staging.ID, EnvName: "web", StageName: "staging", BuildID: b.ID, Type: core.TypeRegular, Operator: "alice"}
	if err := st.CreateDeploy(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDeployState(ctx, "d1", core.StateSucceeding, "all serving"); err != nil {
		t.Fatal(err)
	}
	if _, body = getConfigPage(t, st, "/envs/web/prod/builds"); strings.Contains(body, "not on staging") || strings.Contains(body, "predecessor stage") {
		t.Errorf("a build that succeeded on staging is still marked on prod's builds page")
	}
	if _, body = getConfigPage(t, st, "/envs/web/staging/builds"); strings.Contains(body, "predecessor") {
		t.Errorf("staging promotes from nothing, yet its builds page warns")
	}
}
