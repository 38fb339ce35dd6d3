package schema

import "github.com/teletraan-on-temporal/teletraan/core"

// RollbackSearchDepth is how many of a stage's latest deploys a rollback looks through
// for its default target; older ones must be named explicitly.
const RollbackSearchDepth = 500

// RollbackTarget is the deploy of history (newest first) that core.RollbackTarget picks
// as the target of a rollback from current, or nil when there is none. The API's rollback
// and the automatic rollback of a FAILING deploy both use it, so that they agree.
func RollbackTarget(history []Deploy, current *Deploy) *Deploy {
	outcomes := make([]core.DeployOutcome, len(history))
	for i, d := range history {
		outcomes[i] = core.DeployOutcome{ID: d.ID, BuildID: d.BuildID, State: d.State}
	}
	var cur *core.DeployOutcome
	if current != nil {
		cur = &core.DeployOutcome{ID: current.ID, BuildID: current.BuildID, State: current.State}
	}
	if i := core.RollbackTarget(outcomes, cur); i >= 0 {
		return &history[i]
	}
	return nil
}
