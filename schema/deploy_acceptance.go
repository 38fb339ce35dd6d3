package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// maxEvidence bounds the evidence kept on a deploy, so that a qualification cannot grow
// a row without end; the newest entries are kept.
const maxEvidence = 100

// isFinalAcceptance reports whether an acceptance status is a verdict.
func isFinalAcceptance(status string) bool {
	switch status {
	case core.AcceptanceAccepted, core.AcceptanceRejected, core.AcceptanceSuperseded, core.AcceptanceTerminated:
		return true
	}
	return false
}

// SetAcceptance records a deploy's acceptance status with why, its evidence and who
// decided. A verdict is final: setting another status on a deploy that has one is an
// ECONFLICT naming it, and setting the same verdict again (a retried activity) changes
// nothing.
func (s *Store) SetAcceptance(ctx context.Context, id, status, reason string, evidence []core.AcceptanceEvidence, by string) (*Deploy, error) {
	switch status {
	case core.AcceptancePendingAccept, core.AcceptanceAccepted, core.AcceptanceRejected, core.AcceptanceSuperseded:
	default:
		return nil, core.FieldErrorf("status", "%q is not an acceptance status a qualification sets", status)
	}
	if len(evidence) > maxEvidence {
		evidence = evidence[len(evidence)-maxEvidence:]
	}
	out := new(Deploy)
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.forUpdate(tx.NewSelect().Model(out).Where("id = ?", id)).Scan(ctx); errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "deploy %s does not exist", id)
		} else if err != nil {
			return fmt.Errorf("read deploy %s: %w", id, err)
		}
		if isFinalAcceptance(out.AcceptanceStatus) {
			if out.AcceptanceStatus == status {
				return nil
			}
			return core.Errorf(core.ECONFLICT, "deploy %s's acceptance is %s already (%s); a verdict is final", id, out.AcceptanceStatus, out.AcceptanceReason)
		}
		now := s.now()
		out.AcceptanceStatus, out.AcceptanceReason, out.AcceptanceEvidence, out.AcceptanceBy = status, truncate(reason, 1024), evidence, truncate(by, 255)
		q := tx.NewUpdate().Model(out).Column("acceptance_status", "acceptance_reason", "acceptance_evidence", "acceptance_by").WherePK()
		if isFinalAcceptance(status) {
			out.AcceptanceAt = &now
			q = q.Column("acceptance_at")
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("record the acceptance of deploy %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
