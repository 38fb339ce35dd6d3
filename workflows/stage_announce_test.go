package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestStageAnnouncesDeploysAndRefusesStalePromotions checks the stage's side of
// auto-promotion: it announces each start and verdict, and it refuses a promotion's
// deploy request that was decided on another current deploy, or while one still runs.
func TestStageAnnouncesDeploysAndRefusesStalePromotions(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	promo := func(id, expect string) workflows.StartDeployRequest {
		r := deployRequest(id)
		r.Operator, r.Promotion, r.ExpectCurrent = core.PromotionOperator("hello", "prod"), true, expect
		return r
	}
	var first, stale, running, fresh updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, promo("p1", ""), &first) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, promo("p2", "d-old"), &stale) }, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		sendDeploy(env, deployRequest("d3"), &updateResult{})
	}, 30*time.Minute)
	env.RegisterDelayedCallback(func() { sendDeploy(env, promo("p4", "d3"), &running) }, 31*time.Minute)
	env.RegisterDelayedCallback(func() { sendDeploy(env, promo("p5", "d3"), &fresh) }, time.Hour)
	env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if first.rejected != nil || first.failed != nil {
		t.Fatalf("first promotion: %+v", first)
	}
	if stale.rejected == nil || !strings.Contains(stale.rejected.Error(), "stale promotion: the stage's current deploy is p1 now, not d-old") {
		t.Errorf("stale promotion: %+v, want refused as stale", stale)
	}
	if running.rejected == nil || !strings.Contains(running.rejected.Error(), "deploy d3 is still running") {
		t.Errorf("promotion over a running deploy: %+v, want refused", running)
	}
	if fresh.rejected != nil || fresh.failed != nil || fresh.result.Superseded != "d3" {
		t.Errorf("promotion once d3 had its verdict: %+v, want it to supersede d3", fresh)
	}
	var seen []string
	for _, a := range store.announced {
		seen = append(seen, a.Kind+":"+a.DeployID+":"+a.State)
	}
	joined := strings.Join(seen, " ")
	for _, want := range []string{
		activities.NoticeStarted + ":p1:RUNNING", activities.NoticeVerdict + ":p1:SUCCEEDING",
		activities.NoticeStarted + ":d3:RUNNING", activities.NoticeVerdict + ":d3:SUCCEEDING", activities.NoticeStarted + ":p5:RUNNING",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("announcements %s lack %s", joined, want)
		}
	}
	for _, a := range store.announced {
		if a.DeployID == "d3" && a.Kind == activities.NoticeStarted && a.Operator != "alice" {
			t.Errorf("d3's start announced operator %q, want alice", a.Operator)
		}
	}
}

// TestUnacknowledgedAnnouncementsCrossContinueAsNew: an announcement still under way when
// the stage continues as new goes into the next run's state, which sends it again.
func TestUnacknowledgedAnnouncementsCrossContinueAsNew(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, announceDelay: time.Hour}
	store.register(env)
	env.OnWorkflow(workflows.DeployWorkflow, mock.Anything, mock.Anything).Return(outlivingDeploy)
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &updateResult{}) }, time.Second)
	env.RegisterDelayedCallback(func() { env.SetContinueAsNewSuggested(true) }, time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next workflows.StageInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || len(next.State.Unannounced) != 1 || next.State.Unannounced[0].DeployID != "d1" || next.State.Unannounced[0].Kind != activities.NoticeStarted {
		t.Fatalf("carried announcements: %+v, want d1's start", next.State)
	}

	// The next run sends it again.
	env2 := s.NewTestWorkflowEnvironment()
	again := &fakeStore{hosts: 2}
	again.register(env2)
	env2.RegisterDelayedCallback(env2.CancelWorkflow, time.Minute)
	next.State.Current = nil
	env2.ExecuteWorkflow(workflows.StageWorkflow, next)
	if len(again.announced) != 1 || again.announced[0].DeployID != "d1" {
		t.Errorf("the next run announced %+v, want d1's start again", again.announced)
	}
}
