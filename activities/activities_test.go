package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// acts names the activities by method value, as the workflows do; the test environment
// runs the registered Activities of that name.
var acts *activities.Activities

func setup(t *testing.T) (*schema.Store, *schema.Stage, *testsuite.TestActivityEnvironment) {
	st := schematest.SQLite(t)
	stage := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(context.Background(), stage, "alice"); err != nil {
		t.Fatal(err)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st})
	return st, stage, env
}

// TestAWorkflowsDeployIsInTheAuditTrailOnce checks that a deploy no API call asked for
// (an automatic rollback) is recorded with the system as its actor, once however often
// the activity is retried, and that a person's deploy is left to the API's trail.
func TestAWorkflowsDeployIsInTheAuditTrailOnce(t *testing.T) {
	st, stage, env := setup(t)
	in := activities.CreateDeployInput{DeployID: "r1", StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b1",
		Type: core.TypeRollback, Operator: "teletraan (onFailure ROLLBACK)", Description: "deploy d0 failed", WorkflowID: "deploy/r1"}
	for i := 0; i < 2; i++ {
		if _, err := env.ExecuteActivity(acts.CreateDeploy, in); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	person := in
	person.DeployID, person.Operator, person.WorkflowID = "r2", "alice@example.com", "deploy/r2"
	if _, err := env.ExecuteActivity(acts.CreateDeploy, person); err != nil {
		t.Fatal(err)
	}
	trail, err := st.ListAudit(context.Background(), schema.AuditFilter{EnvName: "hello"})
	if err != nil || len(trail) != 1 {
		t.Fatalf("audit trail: %v %+v; want one entry", err, trail)
	}
	e := trail[0]
	if e.Actor != core.SystemActor || e.Method != schema.WorkflowMethod || e.Route != "automatic-rollback" || e.StageName != "prod" ||
		!strings.Contains(e.Detail, "teletraan (onFailure ROLLBACK) started ROLLBACK deploy r1 of build b1: deploy d0 failed") {
		t.Fatalf("audit entry %+v", e)
	}
}

func TestRecordSystemChangeIsRecordedOnce(t *testing.T) {
	st, _, env := setup(t)
	in := activities.RecordSystemChangeInput{Key: "alert:d1:latency", Change: "alert-rollback", Operator: "system:alerts",
		EnvName: "hello", StageName: "prod", Detail: "alarm latency fired: rolled back d1"}
	for i := 0; i < 2; i++ {
		if _, err := env.ExecuteActivity(acts.RecordSystemChange, in); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	trail, err := st.ListAudit(context.Background(), schema.AuditFilter{Actor: core.SystemActor})
	if err != nil || len(trail) != 1 || trail[0].Route != "alert-rollback" || trail[0].Detail != "system:alerts: alarm latency fired: rolled back d1" {
		t.Fatalf("audit trail: %v %+v", err, trail)
	}
	if _, err := env.ExecuteActivity(acts.RecordSystemChange, activities.RecordSystemChangeInput{Change: "x"}); err == nil {
		t.Fatal("a change without a key was recorded")
	}
}

func TestCreateDeployIsIdempotentAndRemembersTheBuildBefore(t *testing.T) {
	st, stage, env := setup(t)
	in := activities.CreateDeployInput{DeployID: "d1", StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular, Operator: "alice", WorkflowID: "deploy/d1"}
	for i := 0; i < 2; i++ {
		if _, err := env.ExecuteActivity(acts.CreateDeploy, in); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	list, _ := st.ListDeploys(context.Background(), "hello", "prod", schema.DeployFilter{})
	if len(list) != 1 {
		t.Fatalf("%d deploy rows after a retried activity, want 1", len(list))
	}
	in2 := in
	in2.DeployID, in2.BuildID, in2.WorkflowID = "d2", "b2", "deploy/d2"
	v, err := env.ExecuteActivity(acts.CreateDeploy, in2)
	if err != nil {
		t.Fatal(err)
	}
	var res activities.CreateDeployResult
	if err := v.Get(&res); err != nil || res.FromBuildID != "b1" {
		t.Fatalf("FromBuildID = %q, %v; want b1", res.FromBuildID, err)
	}
	cur, _ := st.CurrentDeploy(context.Background(), "hello", "prod")
	if cur.ID != "d2" || cur.FromBuildID != "b1" {
		t.Fatalf("current deploy = %+v", cur)
	}
}

func TestMissingStageIsNotRetried(t *testing.T) {
	_, _, env := setup(t)
	_, err := env.ExecuteActivity(acts.CreateDeploy, activities.CreateDeployInput{DeployID: "d1", StageID: "nope", BuildID: "b", Type: core.TypeRegular})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != "NotFound" {
		t.Fatalf("error = %v; want a non-retryable NotFound", err)
	}
}

func TestStartRolloutRecordsHostsAndSetState(t *testing.T) {
	st, stage, env := setup(t)
	ctx := context.Background()
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"a", "b", "c"}}, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDeploy(ctx, &schema.Deploy{ID: "d1", StageID: stage.ID, BuildID: "b", Type: core.TypeRegular}); err != nil {
		t.Fatal(err)
	}
	v, err := env.ExecuteActivity(acts.StartRollout, activities.StartRolloutInput{DeployID: "d1", StageID: stage.ID, EnvName: "hello", StageName: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.StartRolloutResult
	if err := v.Get(&res); err != nil || res.Total != 3 {
		t.Fatalf("hosts = %d, %v; want 3", res.Total, err)
	}
	if _, err := env.ExecuteActivity(acts.SetDeployState, activities.SetDeployStateInput{DeployID: "d1", State: core.StateAborted, Reason: "superseded"}); err != nil {
		t.Fatal(err)
	}
	d, _ := st.GetDeploy(ctx, "d1")
	if d.Total != 3 || d.State != core.StateAborted || d.StateReason != "superseded" || d.EndedAt == nil {
		t.Fatalf("deploy row = %+v", d)
	}
}
