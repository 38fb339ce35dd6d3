package api

import "github.com/teletraan-on-temporal/teletraan/schema"

// rollbackSearchDepth is how many of a stage's latest deploys a rollback looks through
// for its default target; older ones must be named with toDeployId.
const rollbackSearchDepth = schema.RollbackSearchDepth

// RollbackTarget picks the deploy a rollback returns to: schema.RollbackTarget, which the
// automatic rollback of a FAILING deploy shares.
func RollbackTarget(history []schema.Deploy, current *schema.Deploy) *schema.Deploy {
	return schema.RollbackTarget(history, current)
}
