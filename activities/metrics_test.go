package activities_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// recorded is a Recorder that keeps what it was told, one line per call.
type recorded struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorded) add(s string) { r.mu.Lock(); r.lines = append(r.lines, s); r.mu.Unlock() }

func (r *recorded) DeployStarted(_ context.Context, t string) { r.add("started " + t) }
func (r *recorded) DeployFinished(_ context.Context, t, o string, took time.Duration) {
	if took < 0 {
		o += " (negative)"
	}
	r.add("finished " + t + " " + o)
}
func (r *recorded) WaveFinished(_ context.Context, t string, _ time.Duration) { r.add("wave " + t) }
func (r *recorded) AlarmChecked(_ context.Context, result string)             { r.add("alarm " + result) }
func (r *recorded) QualificationFinished(_ context.Context, o string, _ time.Duration) {
	r.add("verdict " + o)
}

var _ activities.Recorder = (*telemetry.Metrics)(nil)

// A deploy is counted once when created, however often the activity is retried, and its
// rollout's end once, at the first state that ends it; later states record nothing.
func TestActivitiesRecordDeploysOnce(t *testing.T) {
	st, stage, _ := setup(t)
	rec := &recorded{}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: st, Metrics: rec})
	in := activities.CreateDeployInput{DeployID: "d1", StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeHotfix, WorkflowID: "deploy/d1"}
	for range 2 {
		if _, err := env.ExecuteActivity(acts.CreateDeploy, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, state := range []string{core.StateRunning, core.StateSucceeding, core.StateSucceeding, core.StateSucceeded} {
		if _, err := env.ExecuteActivity(acts.SetDeployState, activities.SetDeployStateInput{DeployID: "d1", State: state, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	got := rec.lines
	want := []string{"started HOTFIX", "finished HOTFIX succeeded"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("recorded %q, want %q", got, want)
	}
}
