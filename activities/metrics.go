package activities

import (
	"context"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// Recorder is what the activities record in the worker's metrics; *telemetry.Metrics
// satisfies it, and its names and label sets are documented there.
type Recorder interface {
	// DeployStarted counts a deploy created.
	DeployStarted(ctx context.Context, deployType string)
	// DeployFinished records a rollout's end (telemetry.DeployRolledOut, DeployAborted).
	DeployFinished(ctx context.Context, deployType, outcome string, took time.Duration)
	// WaveFinished records a wave's admission to the deploy's next decision on it.
	WaveFinished(ctx context.Context, deployType string, took time.Duration)
	// AlarmChecked counts an alarm check (telemetry.AlarmOK, AlarmFiring, AlarmError).
	AlarmChecked(ctx context.Context, result string)
}

// metrics returns the recorder, one that records nothing when none is set.
func (a *Activities) metrics() Recorder {
	if a.Metrics != nil {
		return a.Metrics
	}
	return (*telemetry.Metrics)(nil)
}

// rolloutOutcome is the outcome a deploy's rollout ended with when its state went from
// before to after, "" when the rollout did not end by that change: it ends once, when the
// deploy first reaches SUCCEEDING (or SUCCEEDED directly) or ABORTED.
func rolloutOutcome(before, after string) string {
	ended := func(s string) bool {
		return s == core.StateSucceeding || s == core.StateSucceeded || s == core.StateAborted
	}
	switch {
	case ended(before) || !ended(after):
		return ""
	case after == core.StateAborted:
		return telemetry.DeployAborted
	default:
		return telemetry.DeployRolledOut
	}
}

// recordRolloutEnd records the deploy's duration when the state change before → d.State
// ended its rollout; the database's clock stamped both ends.
func (a *Activities) recordRolloutEnd(ctx context.Context, before string, d *schema.Deploy) {
	if d == nil {
		return
	}
	if outcome := rolloutOutcome(before, d.State); outcome != "" {
		a.metrics().DeployFinished(ctx, d.Type, outcome, d.UpdatedAt.Sub(d.CreatedAt))
	}
}
