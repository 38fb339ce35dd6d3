package schema

import (
	"context"
	"fmt"
	"time"
)

// StageChangeMark is a cheap fingerprint of a stage's recently changed agent rows: the
// number of rows stamped at or after a moment and the sum of their change counters. Every
// write of an agent row stamps it with the writer's clock and adds one to its counter, so
// two marks taken with the same moment differ as soon as a row was written in between,
// whatever order writers committed in. AwaitWave takes one before it reads the stage and
// compares cheaper marks after, to read the stage again only when a host reported.
type StageChangeMark struct {
	Rows int64 `bun:"n"`
	Seq  int64 `bun:"seq"`
}

// StageChangeMark returns the mark of stage stageID's agent rows stamped at or after
// since. It reads only those rows (index agents_stage_updated). A row that was deleted, or
// stamped before since by a writer whose clock lags that far, is not seen: callers read
// the whole stage on a slower backstop interval too.
func (s *Store) StageChangeMark(ctx context.Context, stageID string, since time.Time) (StageChangeMark, error) {
	var m StageChangeMark
	err := s.db.NewRaw("SELECT COUNT(*) AS n, COALESCE(SUM(change_seq), 0) AS seq FROM agents WHERE stage_id = ? AND updated_at >= ?",
		stageID, since).Scan(ctx, &m)
	if err != nil {
		return m, fmt.Errorf("read the changes of stage %s: %w", stageID, err)
	}
	return m, nil
}
