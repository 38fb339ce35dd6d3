package schema

import "github.com/teletraan-on-temporal/teletraan/core"

// RollbackSearchDepth is how many of a stage's latest deploys a rollback looks through
// for its default target; older ones must be named explicitly.
const RollbackSearchDepth = 500

// BuildIsBad says whether a build is tagged bad; nil means no build is.
type BuildIsBad func(buildID string) bool

// RollbackTarget is the deploy of history (newest first) that core.RollbackTarget picks
// as the target of a rollback from current under rule, or nil when there is none; isBad
// answers for the build tags. The API's rollback, its preview and the automatic rollback
// of a FAILING deploy all use it, so that they agree.
func RollbackTarget(history []Deploy, current *Deploy, rule core.RollbackRule, isBad BuildIsBad) *Deploy {
	outcomes := make([]core.DeployOutcome, len(history))
	for i, d := range history {
		outcomes[i] = outcome(&d, isBad)
	}
	var cur *core.DeployOutcome
	if current != nil {
		o := outcome(current, isBad)
		cur = &o
	}
	if i := core.RollbackTarget(outcomes, cur, rule); i >= 0 {
		return &history[i]
	}
	return nil
}

func outcome(d *Deploy, isBad BuildIsBad) core.DeployOutcome {
	return core.DeployOutcome{ID: d.ID, BuildID: d.BuildID, State: d.State, Type: d.Type, AliasDeployID: d.AliasDeployID,
		AcceptanceStatus: d.AcceptanceStatus, BuildBad: isBad != nil && isBad(d.BuildID)}
}
