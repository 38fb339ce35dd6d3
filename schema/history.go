package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// Kinds of config history entries.
const (
	HistoryStageCreated = "STAGE_CREATED"
	HistoryStageConfig  = "STAGE_CONFIG"
	HistoryCapacity     = "CAPACITY"
)

// ConfigChange is one entry of a stage's config history: who changed what, when, with the
// JSON snapshots before and after.
type ConfigChange struct {
	bun.BaseModel `bun:"table:config_history"`

	ID         int64     `bun:"id,pk,autoincrement" json:"id"`
	StageID    string    `bun:"stage_id,notnull" json:"stageId"`
	ChangeType string    `bun:"change_type,notnull" json:"type"`
	Operator   string    `bun:"operator,notnull" json:"operator"`
	CreatedAt  time.Time `bun:"created_at,notnull" json:"createdAt"`
	BeforeJSON string    `bun:"before_json,notnull" json:"-"`
	AfterJSON  string    `bun:"after_json,notnull" json:"-"`

	Before json.RawMessage `bun:"-" json:"before"`
	After  json.RawMessage `bun:"-" json:"after"`
}

func recordHistory(ctx context.Context, tx bun.IDB, stageID, kind, operator string, before, after any, at time.Time) error {
	b, err := json.Marshal(before)
	if err != nil {
		return fmt.Errorf("record config history: %w", err)
	}
	a, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("record config history: %w", err)
	}
	ch := &ConfigChange{StageID: stageID, ChangeType: kind, Operator: operator, CreatedAt: at, BeforeJSON: string(b), AfterJSON: string(a)}
	if _, err := tx.NewInsert().Model(ch).Exec(ctx); err != nil {
		return fmt.Errorf("record config history: %w", err)
	}
	return nil
}

// ListConfigHistory returns a stage's config changes, newest first, at most limit of them.
func (s *Store) ListConfigHistory(ctx context.Context, env, stage string, limit int) ([]ConfigChange, error) {
	st, err := s.GetStage(ctx, env, stage)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	if limit > 500 {
		return nil, core.FieldErrorf("limit", "must be at most 500, got %d", limit)
	}
	out := []ConfigChange{}
	if err := s.db.NewSelect().Model(&out).Where("stage_id = ?", st.ID).Order("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list config history of %s/%s: %w", env, stage, err)
	}
	for i := range out {
		out[i].Before = redactedHistoryJSON(out[i].ChangeType, out[i].BeforeJSON)
		out[i].After = redactedHistoryJSON(out[i].ChangeType, out[i].AfterJSON)
	}
	return out, nil
}

// redactedHistoryJSON is a stored config of a history entry with its secrets hidden.
// Entries are written redacted; this also covers those written before secrets were
// write-only. A config that no longer decodes is shown as null rather than as stored.
func redactedHistoryJSON(changeType, stored string) json.RawMessage {
	if changeType != HistoryStageConfig && changeType != HistoryStageCreated {
		return json.RawMessage(stored)
	}
	if stored == "null" || stored == "" {
		return json.RawMessage("null")
	}
	var cfg StageConfig
	if err := json.Unmarshal([]byte(stored), &cfg); err != nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(cfg.Redacted(nil))
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
