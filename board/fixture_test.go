package board_test

import (
	"context"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// xss is user data that must come out of every page as text, never as markup.
const xss = "<script>alert(1)</script>"

// fixture is a stage with a running deploy, builds and hosts of every grid colour.
type fixture struct {
	store  *schema.Store
	stage  *schema.Stage
	deploy *schema.Deploy
}

// hostColors are the fixture's hosts and the grid colour each must get, in name order.
var hostColors = []struct{ name, color string }{
	{"h1-serving", "serving"},
	{"h2-deploying", "deploying"},
	{"h3-failed", "failed"},
	{"h4-paused", "excluded"},
	{"h5-other", "other"},
	{"h6-silent", "unreachable"},
	{"h7-never", "unreachable"},
}

func newFixture(t *testing.T, st *schema.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	s := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(ctx, s, "alice"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	// Builds are inserted directly: the build ID carries markup that publishing would refuse.
	for i, id := range []string{"b-old", xss} {
		b := &schema.Build{ID: id, Name: s.BuildName, ArtifactURL: "https://example.com/" + id, CommitShort: "abc123", Branch: "main",
			CommitInfo: "fix " + xss, Publisher: "ci", PublishedAt: now.Add(time.Duration(i-2) * time.Minute)}
		if _, err := st.DB().NewInsert().Model(b).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	old := &schema.Deploy{ID: "d0", StageID: s.ID, EnvName: "hello", StageName: "prod", BuildID: "b-old", Type: core.TypeRegular, Operator: "bob", WorkflowID: "deploy/d0"}
	if err := st.CreateDeploy(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDeployState(ctx, "d0", core.StateSucceeded, "all hosts serve the build"); err != nil {
		t.Fatal(err)
	}
	d := &schema.Deploy{ID: "d1", StageID: s.ID, EnvName: "hello", StageName: "prod", BuildID: xss, Type: core.TypeRegular,
		Operator: xss, Description: "ship " + xss, WorkflowID: "deploy/d1"}
	if err := st.CreateDeploy(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().NewUpdate().Model((*schema.Deploy)(nil)).
		Set("total = 7, succeeded = 1, in_flight = 1, failed = 1, remaining = 4").Where("id = ?", "d1").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(hostColors))
	for i, h := range hostColors {
		names[i] = h.name
	}
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: names}, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, h := range hostColors[:6] {
		if err := st.RecordHost(ctx, &schema.Host{ID: h.name, HostName: h.name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.DB().NewUpdate().Model((*schema.Host)(nil)).Set("last_ping_at = ?", now.Add(-10*time.Minute)).Where("id = ?", "h6-silent").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	agent := func(host, deployID, stage, status, state string) schema.Agent {
		return schema.Agent{HostID: host, StageID: s.ID, HostName: host, DeployID: deployID, DeployStage: stage, Status: status, State: state,
			StartedAt: now, StageStartedAt: now, UpdatedAt: now}
	}
	agents := []schema.Agent{
		agent("h1-serving", "d1", "SERVING_BUILD", "SUCCEEDED", core.AgentNormal),
		agent("h2-deploying", "d1", "DOWNLOADING", "SUCCEEDED", core.AgentNormal),
		agent("h3-failed", "d1", "RESTARTING", "SCRIPT_FAILED", core.AgentPausedBySystem),
		agent("h4-paused", "d1", "PRE_DOWNLOAD", "SUCCEEDED", core.AgentPausedByUser),
		agent("h5-other", "d0", "SERVING_BUILD", "SUCCEEDED", core.AgentNormal),
	}
	if _, err := st.DB().NewInsert().Model(&agents).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	errRow := &schema.AgentError{HostID: "h3-failed", StageID: s.ID, HostName: "h3-failed", ErrorMessage: "boom " + xss, UpdatedAt: now}
	if _, err := st.DB().NewInsert().Model(errRow).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return &fixture{store: st, stage: s, deploy: d}
}
