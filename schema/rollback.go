package schema

import (
	"context"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// RollbackSearchDepth is how many of a stage's latest deploys a rollback looks through
// for its default target; older ones must be named explicitly.
const RollbackSearchDepth = 500

// RollbackTarget is the deploy of history (newest first) that core.RollbackTarget picks
// as the target of a rollback from current under rule, or nil when there is none; bad
// holds the builds tagged BAD (BadBuilds), which are never a target. Store.RollbackTarget
// reads them all for a stage.
func RollbackTarget(history []Deploy, current *Deploy, bad map[string]*core.BuildTag, rule core.RollbackRule) *Deploy {
	outcomes := make([]core.DeployOutcome, len(history))
	for i, d := range history {
		outcomes[i] = outcomeOf(&d, bad)
	}
	var cur *core.DeployOutcome
	if current != nil {
		o := outcomeOf(current, bad)
		cur = &o
	}
	if i := core.RollbackTarget(outcomes, cur, rule); i >= 0 {
		return &history[i]
	}
	return nil
}

// RollbackTarget reads the stage's latest deploys and the tags of their builds and
// returns the deploy a rollback from current returns to, or nil when there is none. The
// API's rollback and the automatic rollback of a FAILING deploy both use it, so that they
// agree.
func (s *Store) RollbackTarget(ctx context.Context, env, stage string, current *Deploy) (*Deploy, error) {
	history, err := s.ListDeploys(ctx, env, stage, DeployFilter{Limit: RollbackSearchDepth})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for _, d := range history {
		if !seen[d.BuildID] {
			seen[d.BuildID] = true
			ids = append(ids, d.BuildID)
		}
	}
	bad, err := s.BadBuilds(ctx, ids)
	if err != nil {
		return nil, err
	}
	st, err := s.GetStage(ctx, env, stage)
	if err != nil {
		return nil, err
	}
	return RollbackTarget(history, current, bad, st.RollbackRule()), nil
}

func outcomeOf(d *Deploy, bad map[string]*core.BuildTag) core.DeployOutcome {
	return core.DeployOutcome{ID: d.ID, BuildID: d.BuildID, State: d.State, Type: d.Type, AliasDeployID: d.AliasDeployID,
		Acceptance: d.AcceptanceStatus, BuildBad: bad[d.BuildID] != nil}
}

// RollbackRule is what the stage adds to the rollback target rule: with acceptance, a
// target must have been ACCEPTED.
func (c *StageConfig) RollbackRule() core.RollbackRule {
	return core.RollbackRule{RequireAccepted: c.Acceptance != nil}
}
