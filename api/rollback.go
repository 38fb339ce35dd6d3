package api

import "github.com/teletraan-on-temporal/teletraan/schema"

// rollbackSearchDepth is how many of a stage's latest deploys a rollback looks through
// for its default target; older ones must be named with toDeployId.
const rollbackSearchDepth = schema.RollbackSearchDepth
