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

// A bake shows as its own phase with its end time, on the deploy row and in the progress,
// and is cleared when it ends.
func TestBakeIsShownWithItsEndTime(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, settings: activities.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600, BakeTimeSeconds: 600}}
	store.register(env)
	expectFinished(env, core.StateSucceeded)
	start := env.Now()
	env.RegisterDelayedCallback(func() {
		p := queryProgress(t, env)
		if p.BakingUntil == nil || !p.BakingUntil.Equal(start.Add(10*time.Minute)) || !strings.HasPrefix(p.Reason, "baking until ") {
			t.Errorf("progress during the bake = %+v, want baking until %s", p, start.Add(10*time.Minute))
		}
	}, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		if p := queryProgress(t, env); p.BakingUntil != nil || p.State != core.StateSucceeding {
			t.Errorf("progress after the bake = %+v, want SUCCEEDING and no bake", p)
		}
		supersede(env)
	}, time.Hour)
	env.ExecuteWorkflow(workflows.DeployWorkflow, deployInput())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(store.bakes) != 2 || store.bakes[0].Until == nil || !store.bakes[0].Until.Equal(start.Add(10*time.Minute)) ||
		!strings.Contains(store.bakes[0].Reason, "after wave 1 (1 of 2 hosts serving)") || store.bakes[1].Until != nil {
		t.Errorf("bakes recorded = %+v, want one bake after wave 1, then cleared", store.bakes)
	}
}
