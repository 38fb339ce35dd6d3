package schema

import (
	"context"
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// DeployCounts are a deploy's host counts as its workflow last saw them.
type DeployCounts struct {
	Total     int
	Succeeded int
	// Failed includes hosts stuck for longer than the stage's stuck timeout.
	Failed    int
	InFlight  int
	Remaining int
}

// SetDeployWaveCounts records all host counts of a deploy, so that readers (the CLI's
// progress bar, the board) see how many hosts are deploying and how many wait.
func (s *Store) SetDeployWaveCounts(ctx context.Context, id string, c DeployCounts) error {
	_, err := s.db.NewUpdate().Model((*Deploy)(nil)).
		Set("total = ?", c.Total).Set("succeeded = ?", c.Succeeded).Set("failed = ?", c.Failed).
		Set("in_flight = ?", c.InFlight).Set("remaining = ?", c.Remaining).
		Set("updated_at = ?", s.now()).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set counts of deploy %s: %w", id, err)
	}
	return nil
}

// SetDeployPaused records that an operator paused or resumed a deploy; a non-empty reason
// replaces the state reason. A deploy in a final state is left as it is.
func (s *Store) SetDeployPaused(ctx context.Context, id string, paused bool, reason string) error {
	q := s.db.NewUpdate().Model((*Deploy)(nil)).Set("paused = ?", paused).Set("updated_at = ?", s.now())
	if reason != "" {
		q = q.Set("state_reason = ?", reason)
	}
	res, err := q.Where("id = ? AND state NOT IN (?, ?)", id, core.StateSucceeded, core.StateAborted).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set pause of deploy %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if _, err := s.GetDeploy(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
