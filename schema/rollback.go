package schema

import "github.com/teletraan-on-temporal/teletraan/core"

// RollbackSearchDepth is how many of a stage's latest deploys a rollback looks through
// for its default target; older ones must be named explicitly.
const RollbackSearchDepth = 500

// RollbackTarget picks the deploy a rollback returns to, as Teletraan does: the newest
// SUCCEEDED deploy in history (newest first) whose build differs from the current
// deploy's. SUCCEEDED includes a deploy that was SUCCEEDING when a newer one superseded
// it. nil when there is none. The API's rollback and the automatic rollback of a FAILING
// deploy both use it, so that they agree on the target.
func RollbackTarget(history []Deploy, current *Deploy) *Deploy {
	for i := range history {
		d := &history[i]
		if current != nil && (d.ID == current.ID || d.BuildID == current.BuildID) {
			continue
		}
		if d.State == core.StateSucceeded {
			return d
		}
	}
	return nil
}
