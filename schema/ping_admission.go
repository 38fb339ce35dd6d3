package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// HostAdmission records that a deploy let a host start: a host idle on an older deploy
// installs the stage's current deploy only once that deploy has admitted it. One row per
// host and stage; a newer deploy's admission replaces an older one.
type HostAdmission struct {
	bun.BaseModel `bun:"table:host_admissions"`

	StageID    string    `bun:"stage_id,pk" json:"stageId"`
	HostID     string    `bun:"host_id,pk" json:"hostId"`
	DeployID   string    `bun:"deploy_id,notnull" json:"deployId"`
	AdmittedAt time.Time `bun:"admitted_at,notnull" json:"admittedAt"`
}

// AdmitHosts lets hosts of a stage start installing deploy deployID at their next ping.
// The deploy workflow calls it for each wave; admitting a host twice is harmless, so a
// retried activity may call it again. It also records the wave in deploy_hosts, which
// keeps the deploy's hosts after newer deploys replace their admissions.
func (s *Store) AdmitHosts(ctx context.Context, stageID, deployID string, hostIDs []string) error {
	if stageID == "" || deployID == "" {
		return core.Errorf(core.EINVALID, "admit hosts: stage id and deploy id are required (got stage %q, deploy %q)", stageID, deployID)
	}
	hostIDs = sortedUnique(hostIDs)
	if len(hostIDs) == 0 {
		return nil
	}
	now := s.now()
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for _, chunk := range chunks(hostIDs, 500) {
			rows := make([]HostAdmission, len(chunk))
			for i, h := range chunk {
				rows[i] = HostAdmission{StageID: stageID, HostID: h, DeployID: deployID, AdmittedAt: now}
			}
			q := onConflictUpdate(tx.NewInsert().Model(&rows), s.dialect, "stage_id, host_id", "deploy_id", "admitted_at")
			if _, err := q.Exec(ctx); err != nil {
				return fmt.Errorf("admit %d hosts to deploy %s of stage %s: %w", len(chunk), deployID, stageID, err)
			}
		}
		return s.recordWave(ctx, tx, deployID, hostIDs, now)
	})
}

// StageChange is a stage whose row changed, typically because it got a new current deploy.
type StageChange struct {
	StageID         string    `bun:"id"`
	CurrentDeployID string    `bun:"current_deploy_id"`
	UpdatedAt       time.Time `bun:"updated_at"`
}

// PingChanges are the events that may give a waiting ping a goal.
type PingChanges struct {
	Admissions []HostAdmission
	Stages     []StageChange
}

// PingChangesSince returns the admissions and stage changes stamped at or after since.
// Timestamps come from the writers' clocks and commits land out of order, so callers ask
// with some lookback and de-duplicate what they have already seen.
func (s *Store) PingChangesSince(ctx context.Context, since time.Time) (PingChanges, error) {
	var out PingChanges
	if err := s.db.NewSelect().Model(&out.Admissions).Where("admitted_at >= ?", since).Scan(ctx); err != nil {
		return PingChanges{}, fmt.Errorf("read host admissions since %s: %w", since.Format(time.RFC3339Nano), err)
	}
	err := s.db.NewSelect().Model((*Stage)(nil)).Column("id", "current_deploy_id", "updated_at").
		Where("updated_at >= ?", since).Scan(ctx, &out.Stages)
	if err != nil {
		return PingChanges{}, fmt.Errorf("read stage changes since %s: %w", since.Format(time.RFC3339Nano), err)
	}
	return out, nil
}
