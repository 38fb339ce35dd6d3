package schema

import (
	"context"
)

// RolloutHosts returns a stage's hosts as ListStageHosts does, with only what a deploy's
// admission loop reads: name, id, why the host belongs ("host", "group:<name>" or
// "removed"), its agent row and its last error. IP, groups and last ping are left empty,
// because the deploy workflow's activities call it every second on the database the pings
// share.
func (s *Store) RolloutHosts(ctx context.Context, stageID string) ([]StageHost, error) {
	m, err := s.readMembership(ctx, s.db, membershipScope{stageID: stageID}, pausedErrors)
	if err != nil {
		return nil, err
	}
	return stageHosts(m.members[stageID], m.agents, m.errors), nil
}
