package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// Deploy is one rollout of a build to a stage.
type Deploy struct {
	bun.BaseModel `bun:"table:deploys"`

	ID               string     `bun:"id,pk" json:"id"`
	StageID          string     `bun:"stage_id,notnull" json:"stageId"`
	EnvName          string     `bun:"env_name,notnull" json:"envName"`
	StageName        string     `bun:"stage_name,notnull" json:"stageName"`
	BuildID          string     `bun:"build_id,notnull" json:"buildId"`
	FromBuildID      string     `bun:"from_build_id,notnull" json:"fromBuildId"`
	FromDeployID     string     `bun:"from_deploy_id,notnull" json:"fromDeployId"`
	AliasDeployID    string     `bun:"alias_deploy_id,notnull" json:"aliasDeployId"`
	Type             string     `bun:"type,notnull" json:"type"`
	State            string     `bun:"state,notnull" json:"state"`
	StateReason      string     `bun:"state_reason,notnull" json:"stateReason"`
	AcceptanceStatus string     `bun:"acceptance_status,notnull" json:"acceptanceStatus"`
	Operator         string     `bun:"operator,notnull" json:"operator"`
	Description      string     `bun:"description,notnull" json:"description"`
	WorkflowID       string     `bun:"workflow_id,notnull" json:"workflowId"`
	Total            int        `bun:"total,notnull" json:"total"`
	Succeeded        int        `bun:"succeeded,notnull" json:"succeeded"`
	Failed           int        `bun:"failed,notnull" json:"failed"`
	InFlight         int        `bun:"in_flight,notnull" json:"inFlight"`
	Remaining        int        `bun:"remaining,notnull" json:"remaining"`
	Paused           bool       `bun:"paused,notnull" json:"paused"`
	CreatedAt        time.Time  `bun:"created_at,notnull" json:"createdAt"`
	UpdatedAt        time.Time  `bun:"updated_at,notnull" json:"updatedAt"`
	SucceededAt      *time.Time `bun:"succeeded_at" json:"succeededAt,omitempty"`
	EndedAt          *time.Time `bun:"ended_at" json:"endedAt,omitempty"`
	// BakingUntil is when the deploy's bake between waves ends, nil while it is not baking.
	BakingUntil *time.Time `bun:"baking_until" json:"bakingUntil,omitempty"`
	// FailureReason is why the deploy last went FAILING, kept after a newer deploy
	// superseded it so that a history says both facts.
	FailureReason string `bun:"failure_reason,notnull" json:"failureReason,omitempty"`
	// AcceptanceReason says why the acceptance stands as it does (a check that failed, who
	// accepted); AcceptanceEvidence is what the qualification saw; AcceptanceBy and
	// AcceptanceAt say who decided and when.
	AcceptanceReason   string                    `bun:"acceptance_reason,notnull" json:"acceptanceReason"`
	AcceptanceEvidence []core.AcceptanceEvidence `bun:"acceptance_evidence,type:text" json:"acceptanceEvidence,omitempty"`
	AcceptanceBy       string                    `bun:"acceptance_by,notnull" json:"acceptanceBy"`
	AcceptanceAt       *time.Time                `bun:"acceptance_at" json:"acceptanceAt,omitempty"`
}

// CreateDeploy inserts d as the stage's new current deploy. The caller chooses d.ID (so a
// retried activity inserts once); an existing row with that id is returned unchanged.
func (s *Store) CreateDeploy(ctx context.Context, d *Deploy) error {
	if d.ID == "" {
		return core.Errorf(core.EINVALID, "deploy id is required")
	}
	if !core.ValidDeployType(d.Type) {
		return core.FieldErrorf("type", "%q is not a deploy type: use REGULAR, HOTFIX, ROLLBACK or RESTART", d.Type)
	}
	if len(d.Description) > 1024 {
		return core.FieldErrorf("description", "is longer than 1024 characters")
	}
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		existing := new(Deploy)
		err := tx.NewSelect().Model(existing).Where("id = ?", d.ID).Scan(ctx)
		if err == nil {
			*d = *existing
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("create deploy %s: %w", d.ID, err)
		}
		now := s.now()
		d.CreatedAt, d.UpdatedAt = now, now
		if d.State == "" {
			d.State = core.StateRunning
		}
		if d.AcceptanceStatus == "" {
			d.AcceptanceStatus = core.AcceptancePendingDeploy
		}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			return fmt.Errorf("create deploy %s: %w", d.ID, err)
		}
		res, err := tx.NewUpdate().Model((*Stage)(nil)).
			Set("current_deploy_id = ?", d.ID).Set("updated_at = ?", now).
			Where("id = ?", d.StageID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("point stage at deploy %s: %w", d.ID, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return core.Errorf(core.ENOTFOUND, "stage with id %s does not exist", d.StageID)
		}
		return nil
	})
}

// GetDeploy returns a deploy by id, or an core.ENOTFOUND error.
func (s *Store) GetDeploy(ctx context.Context, id string) (*Deploy, error) {
	d := new(Deploy)
	err := s.db.NewSelect().Model(d).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ENOTFOUND, "deploy %s does not exist", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get deploy %s: %w", id, err)
	}
	return d, nil
}

// CurrentDeploy returns the stage's current deploy, or an core.ENOTFOUND error when the stage has
// never been deployed.
func (s *Store) CurrentDeploy(ctx context.Context, env, stage string) (*Deploy, error) {
	st, err := s.GetStage(ctx, env, stage)
	if err != nil {
		return nil, err
	}
	if st.CurrentDeployID == "" {
		return nil, core.Errorf(core.ENOTFOUND, "stage %s/%s has no deploy yet", env, stage)
	}
	return s.GetDeploy(ctx, st.CurrentDeployID)
}

// DeployFilter selects deploys in ListDeploys.
type DeployFilter struct {
	Limit  int // default 50, at most 500
	Offset int
	Type   string // one deploy type, or "" for all
	State  string // one deploy state, or "" for all
}

// ListDeploys returns a stage's deploys, newest first.
func (s *Store) ListDeploys(ctx context.Context, env, stage string, f DeployFilter) ([]Deploy, error) {
	st, err := s.GetStage(ctx, env, stage)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		return nil, core.FieldErrorf("limit", "must be at most 500, got %d", f.Limit)
	}
	if f.Offset < 0 {
		return nil, core.FieldErrorf("offset", "must not be negative")
	}
	if f.Type != "" && !core.ValidDeployType(f.Type) {
		return nil, core.FieldErrorf("type", "%q is not a deploy type: use REGULAR, HOTFIX, ROLLBACK or RESTART", f.Type)
	}
	if f.State != "" && !core.ValidDeployState(f.State) {
		return nil, core.FieldErrorf("state", "%q is not a deploy state: use RUNNING, FAILING, SUCCEEDING, SUCCEEDED or ABORTED", f.State)
	}
	out := []Deploy{}
	q := s.db.NewSelect().Model(&out).Where("stage_id = ?", st.ID)
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	err = q.Order("created_at DESC", "id DESC").Limit(int64(f.Limit)).Offset(int64(f.Offset)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list deploys of %s/%s: %w", env, stage, err)
	}
	return out, nil
}

// SetDeployState moves a deploy to state with a human-readable reason. Final states are
// sticky: a deploy that is SUCCEEDED or ABORTED is left as it is, so a late or replayed
// activity cannot resurrect it.
func (s *Store) SetDeployState(ctx context.Context, id, state, reason string) (*Deploy, error) {
	switch state {
	case core.StateRunning, core.StateFailing, core.StateSucceeding, core.StateSucceeded, core.StateAborted:
	default:
		return nil, core.Errorf(core.EINVALID, "%q is not a deploy state", state)
	}
	var out *Deploy
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		d := new(Deploy)
		err := s.forUpdate(tx.NewSelect().Model(d).Where("id = ?", id)).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "deploy %s does not exist", id)
		}
		if err != nil {
			return fmt.Errorf("read deploy %s: %w", id, err)
		}
		out = d
		if core.IsFinalState(d.State) {
			return nil
		}
		now := s.now()
		if d.State != state || d.StateReason != reason {
			if err := s.appendReason(ctx, tx, id, state, reason, now); err != nil {
				return err
			}
		}
		d.State, d.StateReason, d.UpdatedAt = state, reason, now
		if state == core.StateFailing {
			d.FailureReason = reason
		}
		if state != core.StateRunning {
			d.BakingUntil = nil
		}
		if (state == core.StateSucceeding || state == core.StateSucceeded) && d.SucceededAt == nil {
			d.SucceededAt = &now
		}
		if core.IsFinalState(state) {
			d.EndedAt = &now
		}
		if state == core.StateAborted && d.AcceptanceStatus == core.AcceptancePendingDeploy {
			d.AcceptanceStatus = core.AcceptanceTerminated
		}
		_, err = tx.NewUpdate().Model(d).WherePK().Exec(ctx)
		if err != nil {
			return fmt.Errorf("set state of deploy %s: %w", id, err)
		}
		return nil
	})
	return out, err
}

// SetDeployCounts records the host totals of a deploy.
func (s *Store) SetDeployCounts(ctx context.Context, id string, total, succeeded, failed int) error {
	_, err := s.db.NewUpdate().Model((*Deploy)(nil)).
		Set("total = ?", total).Set("succeeded = ?", succeeded).Set("failed = ?", failed).
		Set("updated_at = ?", s.now()).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set counts of deploy %s: %w", id, err)
	}
	return nil
}

// DeployCount is how many deploys have one type and state.
type DeployCount struct {
	Type  string `bun:"type"`
	State string `bun:"state"`
	N     int64  `bun:"n"`
}

// CountDeploys counts every stage's deploys by type and state, for the metrics.
func (s *Store) CountDeploys(ctx context.Context) ([]DeployCount, error) {
	var out []DeployCount
	if err := s.db.NewSelect().Model((*Deploy)(nil)).ColumnExpr("type, state, COUNT(*) AS n").Group("type", "state").Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("count deploys by type and state: %w", err)
	}
	return out, nil
}
