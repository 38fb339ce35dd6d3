package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// pruneBatch bounds one pruning statement, so that pruning a large fleet never holds a long
// transaction beside the pings.
const pruneBatch = 500

// PruneSilentHosts removes the hosts that have not pinged since before cutoff, with their
// groups, agent rows and errors, and returns how many it removed. A host named in a stage's
// capacity stays in it by name (it shows as never seen until it pings again); one that only
// belonged by a group is gone from its stage. Without this, every host id that ever pinged,
// including ids a misbehaving client made up, would be kept for ever.
func (s *Store) PruneSilentHosts(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		var ids []string
		if err := s.db.NewSelect().Table("hosts").Column("id").Where("last_ping_at < ?", cutoff).
			OrderExpr("last_ping_at").Limit(pruneBatch).Scan(ctx, &ids); err != nil {
			return total, fmt.Errorf("find hosts silent since %s: %w", cutoff.Format(time.RFC3339), err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			for _, table := range []string{"agent_errors", "agents", "host_admissions", "host_groups"} {
				if _, err := tx.NewDelete().Table(table).Where("host_id IN (?)", bun.In(ids)).Exec(ctx); err != nil {
					return fmt.Errorf("prune %d silent hosts from %s: %w", len(ids), table, err)
				}
			}
			// Checked again inside the transaction: a host that pinged meanwhile stays.
			if _, err := tx.NewDelete().Table("hosts").Where("id IN (?) AND last_ping_at < ?", bun.In(ids), cutoff).Exec(ctx); err != nil {
				return fmt.Errorf("prune %d silent hosts: %w", len(ids), err)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(ids)
		if len(ids) < pruneBatch {
			return total, nil
		}
	}
}
