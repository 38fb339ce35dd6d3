package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// HistoryStageDeleted marks the config history entry of a deleted stage: its last config
// is the entry's "before", and nothing is "after".
const HistoryStageDeleted = "STAGE_DELETED"

// DeleteStage removes a stage and its capacity, recording the deletion (with the last
// config) in the config history under operator. A stage whose current deploy has not
// ended is refused (core.ECONFLICT): its workflow still drives hosts, and deleting the
// stage under it would strand them mid-deploy. The stage's deploys, config history and
// its hosts' agent rows stay, so the audit trail and the host pages still tell what ran
// there; a host that pings again is no longer a member of the stage.
func (s *Store) DeleteStage(ctx context.Context, env, stage, operator string) (*Stage, error) {
	var out *Stage
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		st := new(Stage)
		err := s.forUpdate(tx.NewSelect().Model(st).Where("env_name = ? AND stage_name = ?", env, stage)).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "stage %s/%s does not exist", env, stage)
		}
		if err != nil {
			return fmt.Errorf("get stage %s/%s: %w", env, stage, err)
		}
		if st.CurrentDeployID != "" {
			d := new(Deploy)
			err := tx.NewSelect().Model(d).Where("id = ?", st.CurrentDeployID).Scan(ctx)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("get the current deploy of %s/%s: %w", env, stage, err)
			}
			if err == nil && !core.IsFinalState(d.State) {
				return core.Errorf(core.ECONFLICT, "stage %s/%s has a %s deploy (%s): abort it, or wait for it to end, before deleting the stage",
					env, stage, d.State, d.ID)
			}
		}
		if next, err := promotedFrom(ctx, tx, env, stage); err != nil {
			return err
		} else if next != "" {
			return core.Errorf(core.ECONFLICT, "stage %s/%s promotes from %s/%s: change or remove its promote config before deleting the stage", env, next, env, stage)
		}
		for _, m := range []any{(*stageHost)(nil), (*stageGroup)(nil), (*HostAdmission)(nil)} {
			if _, err := tx.NewDelete().Model(m).Where("stage_id = ?", st.ID).Exec(ctx); err != nil {
				return fmt.Errorf("delete the capacity of %s/%s: %w", env, stage, err)
			}
		}
		if _, err := tx.NewDelete().Model((*Stage)(nil)).Where("id = ?", st.ID).Exec(ctx); err != nil {
			return fmt.Errorf("delete stage %s/%s: %w", env, stage, err)
		}
		out = st
		return recordHistory(ctx, tx, st.ID, HistoryStageDeleted, operator, st.StageConfig, nil, s.now())
	})
	return out, err
}
