package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// DeployReason is one state a deploy was put in and why, kept for ever and in order, so
// that why a deploy failed is still there after a newer deploy superseded it.
type DeployReason struct {
	bun.BaseModel `bun:"table:deploy_reasons"`

	DeployID  string    `bun:"deploy_id,pk" json:"-"`
	Seq       int       `bun:"seq,pk" json:"seq"`
	State     string    `bun:"state,notnull" json:"state"`
	Reason    string    `bun:"reason,notnull" json:"reason"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"createdAt"`
}

// appendReason records state and reason as the deploy's next reason, in tx, which holds the
// deploy row locked so that two writers cannot take the same seq.
func (s *Store) appendReason(ctx context.Context, tx bun.Tx, deployID, state, reason string, now time.Time) error {
	var last int
	err := tx.NewSelect().Model((*DeployReason)(nil)).ColumnExpr("COALESCE(MAX(seq), 0)").Where("deploy_id = ?", deployID).Scan(ctx, &last)
	if err != nil {
		return fmt.Errorf("read reasons of deploy %s: %w", deployID, err)
	}
	r := &DeployReason{DeployID: deployID, Seq: last + 1, State: state, Reason: reason, CreatedAt: now}
	if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("record reason of deploy %s: %w", deployID, err)
	}
	return nil
}

// ListDeployReasons returns every state the deploy was put in with its reason, oldest first.
func (s *Store) ListDeployReasons(ctx context.Context, deployID string) ([]DeployReason, error) {
	var out []DeployReason
	if err := s.db.NewSelect().Model(&out).Where("deploy_id = ?", deployID).Order("seq").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list reasons of deploy %s: %w", deployID, err)
	}
	return out, nil
}

// SetDeployBaking records that the deploy bakes until until (nil: it stopped baking), with
// reason as its state reason when given. A deploy that ended is left alone.
func (s *Store) SetDeployBaking(ctx context.Context, id string, until *time.Time, reason string) error {
	q := s.db.NewUpdate().Model((*Deploy)(nil)).Set("baking_until = ?", until).Set("updated_at = ?", s.now())
	if reason != "" {
		q = q.Set("state_reason = ?", reason)
	}
	res, err := q.Where("id = ? AND state NOT IN (?, ?)", id, core.StateSucceeded, core.StateAborted).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set bake of deploy %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if _, err := s.GetDeploy(ctx, id); err != nil {
			return err
		}
	}
	return nil
}
