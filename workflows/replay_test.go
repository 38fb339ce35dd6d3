package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestReplayRecordedHistories replays every history recorded from real runs (see
// recordHistories in cmd/teletraan/e2e_test.go) against today's workflow code, so that a
// change that would break running workflows fails here instead of in production.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/histories")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(workflows.StageWorkflow)
			r.RegisterWorkflow(workflows.DeployWorkflow)
			r.RegisterWorkflow(workflows.QualificationWorkflow)
			r.RegisterWorkflow(workflows.WebhookWorkflow)
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
