package api

import "github.com/teletraan-on-temporal/teletraan/schema"

// rollbackSearchDepth is how many of a stage's latest deploys a rollback looks through
// for its default target; older ones must be named with toDeployId.
const rollbackSearchDepth = 500

// RollbackTarget picks the deploy a rollback returns to, as Teletraan does: the newest
// SUCCEEDED deploy in history (newest first) whose build differs from the current
// deploy's. SUCCEEDED includes a deploy that was SUCCEEDING when a newer one superseded
// it. nil when there is none.
func RollbackTarget(history []schema.Deploy, current *schema.Deploy) *schema.Deploy {
	for i := range history {
		d := &history[i]
		if current != nil && (d.ID == current.ID || d.BuildID == current.BuildID) {
			continue
		}
		if d.State == schema.StateSucceeded {
			return d
		}
	}
	return nil
}
