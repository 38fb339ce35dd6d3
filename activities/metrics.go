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
	// QualificationFinished counts a verdict (telemetry.QualificationAccepted, ...).
	QualificationFinished(ctx context.Context, outcome string, took time.Duration)
}

// metrics returns the recorder, one that records nothing when none is set.
func (a *Activities) metrics() Recorder {
	if a.Metrics != nil {
		return a.Metrics
	}
	return (*telemetry.Metrics)(nil)
}

// rolloutOutcome is the outcome a deploy's rollout ended with when its state went from
// before to after, "" when the rollout did not end by that change. It ends once: when the
// deploy first reaches SUCCEEDING (or SUCCEEDED directly), or ABORTED before that;
// rolledOut says it had reached SUCCEEDING before (a SUCCEEDING deploy can go FAILING and
// back while its hosts are watched), and a deploy already SUCCEEDED or ABORTED ended before.
func rolloutOutcome(before string, rolledOut bool, after string) string {
	if rolledOut || core.IsFinalState(before) {
		return ""
	}
	switch after {
	case core.StateSucceeding, core.StateSucceeded:
		return telemetry.DeployRolledOut
	case core.StateAborted:
		return telemetry.DeployAborted
	}
	return ""
}

// recordRolloutEnd records the deploy's duration when the change from before to after
// ended its rollout; the database's clock stamped both ends.
func (a *Activities) recordRolloutEnd(ctx context.Context, before, after *schema.Deploy) {
	if before == nil || after == nil {
		return
	}
	if outcome := rolloutOutcome(before.State, before.SucceededAt != nil, after.State); outcome != "" {
		a.metrics().DeployFinished(ctx, after.Type, outcome, after.UpdatedAt.Sub(after.CreatedAt))
	}
}

// qualificationOutcome is the outcome a qualification ended with when the deploy's
// acceptance went from before to after, "" when this change is not its verdict (not final,
// or final already: a retried activity).
func qualificationOutcome(before, after string) string {
	final := map[string]string{core.AcceptanceAccepted: telemetry.QualificationAccepted,
		core.AcceptanceRejected: telemetry.QualificationRejected, core.AcceptanceSuperseded: telemetry.QualificationSuperseded}
	if _, done := final[before]; done || before == core.AcceptanceTerminated {
		return ""
	}
	return final[after]
}

// recordVerdict counts the qualification's verdict when the change from before to after
// is one, timed from the deploy reaching its success threshold.
func (a *Activities) recordVerdict(ctx context.Context, before, after *schema.Deploy) {
	if before == nil || after == nil {
		return
	}
	outcome := qualificationOutcome(before.AcceptanceStatus, after.AcceptanceStatus)
	if outcome == "" {
		return
	}
	var took time.Duration
	if after.SucceededAt != nil && after.AcceptanceAt != nil {
		took = after.AcceptanceAt.Sub(*after.SucceededAt)
	}
	a.metrics().QualificationFinished(ctx, outcome, took)
}
