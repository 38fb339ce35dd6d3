package workflows_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

func TestAutoRollbackWanted(t *testing.T) {
	for _, tc := range []struct {
		policy, deployType string
		total              int
		want               bool
	}{
		{core.FailureRollback, core.TypeRegular, 3, true},
		{core.FailureRollback, core.TypeHotfix, 3, true},
		{core.FailureRollback, core.TypeRestart, 3, true},
		{core.FailureRollback, core.TypeRollback, 3, false}, // never roll a rollback back
		{core.FailureRollback, core.TypeRegular, 0, false},  // no hosts: nothing to fix
		{core.FailureWait, core.TypeRegular, 3, false},
		{"", core.TypeRegular, 3, false}, // deploys started before the policy existed
	} {
		if got := workflows.AutoRollbackWanted(tc.policy, tc.deployType, tc.total); got != tc.want {
			t.Errorf("AutoRollbackWanted(%q, %q, %d) = %v, want %v", tc.policy, tc.deployType, tc.total, got, tc.want)
		}
	}
}

func TestFiringAlarmReason(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []activities.AlarmStatus
		want     string
	}{
		{"none", nil, ""},
		{"all quiet", []activities.AlarmStatus{{Name: "a"}, {Name: "b"}}, ""},
		{"first firing wins", []activities.AlarmStatus{{Name: "a"}, {Name: "b", Firing: true, Detail: "HTTP 500"}, {Name: "c", Firing: true, Detail: "x"}}, "alarm b is firing: HTTP 500"},
	} {
		if got := workflows.FiringAlarmReason(tc.statuses); got != tc.want {
			t.Errorf("%s: FiringAlarmReason = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// runFailingDeploy starts deploy d1 on a stage of two hosts whose first host fails, so
// that d1 goes FAILING in its first wave, and returns the store once the stage stops. The
// test environment then cancels the deploys still open, which records a last ABORTED.
func runFailingDeploy(t *testing.T, policy string, target activities.FindRollbackTargetResult) (*fakeStore, updateResult) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, fail: map[int]bool{0: true}, target: target,
		settings: activities.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600, OnFailure: policy}}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)
	var started updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &started) }, time.Second)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)
	if started.failed != nil || started.rejected != nil {
		t.Fatalf("start d1: %+v", started)
	}
	return store, started
}

func TestFailingDeployRollsBackUnderRollbackPolicy(t *testing.T) {
	store, _ := runFailingDeploy(t, core.FailureRollback, activities.FindRollbackTargetResult{DeployID: "d0", BuildID: "build-good"})

	if len(store.targetQueries) != 1 || store.targetQueries[0].DeployID != "d1" || store.targetQueries[0].StageID != "stage-1" {
		t.Fatalf("rollback target lookups = %+v, want one for d1", store.targetQueries)
	}
	if len(store.created) != 2 {
		t.Fatalf("deploys created = %+v, want d1 and its rollback", store.created)
	}
	rb := store.created[1]
	if rb.DeployID != workflows.AutoRollbackDeployID("d1") || rb.Type != core.TypeRollback || rb.BuildID != "build-good" ||
		rb.Operator != workflows.AutoRollbackOperator || !strings.Contains(rb.Description, "deploy d0") {
		t.Errorf("rollback deploy = %+v, want a ROLLBACK of build-good", rb)
	}
	got := store.stateLog("d1")
	if len(got) != 2 || !strings.HasPrefix(got[0], "FAILING:1 of 2 hosts failed") || got[1] != "ABORTED:superseded by deploy d1-rollback" {
		t.Errorf("d1 states = %q, want FAILING then ABORTED by the rollback", got)
	}
	// The rollback fails too (the fake host stays failed), but a rollback is never rolled back.
	if len(store.targetQueries) != 1 {
		t.Errorf("a failing rollback asked for another rollback: %+v", store.targetQueries)
	}
}

func TestFailingDeployWaitsUnderWaitPolicy(t *testing.T) {
	store, _ := runFailingDeploy(t, core.FailureWait, activities.FindRollbackTargetResult{DeployID: "d0", BuildID: "build-good"})

	if len(store.targetQueries) != 0 || len(store.created) != 1 {
		t.Errorf("WAIT policy acted: lookups %+v, deploys %+v", store.targetQueries, store.created)
	}
	if got := store.stateLog("d1"); len(got) != 2 || !strings.HasPrefix(got[0], "FAILING:") || got[1] != "ABORTED:deploy workflow was cancelled" {
		t.Errorf("d1 states = %q, want FAILING until the test ends", got)
	}
}

func TestFailingDeployWithoutRollbackTargetSaysSo(t *testing.T) {
	store, _ := runFailingDeploy(t, core.FailureRollback, activities.FindRollbackTargetResult{})

	if len(store.targetQueries) != 1 || len(store.created) != 1 {
		t.Errorf("lookups %+v, deploys %+v; want one lookup and no rollback deploy", store.targetQueries, store.created)
	}
	got := store.stateLog("d1")
	if len(got) != 3 || !strings.HasPrefix(got[1], "FAILING:1 of 2 hosts failed") || !strings.Contains(got[1], "no rollback target exists") || !strings.HasSuffix(got[1], "waiting for a person") {
		t.Errorf("d1 states = %q, want the FAILING reason to say no rollback target exists", got)
	}
}

func TestFiringAlarmStopsAdmissionAndFailsTheDeploy(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	alarms := []activities.Alarm{{Name: "quiet", URL: "http://alarms/quiet"}, {Name: "errors", URL: "http://alarms/errors"}}
	// Wave 1 is admitted; the check before wave 2 finds the alarms firing.
	store := &fakeStore{hosts: 3, watchAct: actFrom(2, core.FiringFail),
		settings: activities.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600, Alarms: alarms, Guarded: true}}
	store.register(env)
	expectFinished(env, core.StateAborted)
	env.RegisterDelayedCallback(func() {
		if p := queryProgress(t, env); p.State != core.StateFailing || p.Succeeded != 1 || p.Remaining != 2 {
			t.Errorf("progress while the alarm fires = %+v, want FAILING after one host", p)
		}
		abortByBob(env)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}

	if len(store.admits) != 1 || store.admits[0] != 1 {
		t.Errorf("admissions = %v, want only wave 1", store.admits)
	}
	if before := watchesFrom(store, activities.GuardBeforeWave); len(before) != 2 || before[0].DeployID != "d1" {
		t.Errorf("alarm checks before waves = %+v, want one before each of two waves", before)
	}
	want := []string{"FAILING:alarm errors is firing (before-wave check): http://alarms/errors answered HTTP 503", "ABORTED:aborted by bob"}
	if got := store.stateLog("d1"); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("states = %q, want %q", got, want)
	}
	env.AssertExpectations(t)
}
