package schema

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// checkPromoteChain validates a stage's new promote config p (nil: none) against its
// environment's other stages, read in tx: its own fields, then that its predecessor
// exists in the environment and that no chain of predecessors comes back to it.
func checkPromoteChain(ctx context.Context, tx bun.IDB, env, stage string, p *core.PromoteConfig) error {
	if p == nil {
		return nil
	}
	if err := p.Validate(env, stage); err != nil {
		return err
	}
	configs, err := promoteConfigs(ctx, tx, env)
	if err != nil {
		return err
	}
	configs[stage] = p
	return core.PromoteChainError(env, stage, configs)
}

// promoteConfigs maps each stage of env to its promote config (nil for none).
func promoteConfigs(ctx context.Context, db bun.IDB, env string) (map[string]*core.PromoteConfig, error) {
	var stages []Stage
	if err := db.NewSelect().Model(&stages).Column("stage_name", "promote").Where("env_name = ?", env).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read the promote configs of %s: %w", env, err)
	}
	out := make(map[string]*core.PromoteConfig, len(stages))
	for _, st := range stages {
		out[st.StageName] = st.Promote
	}
	return out, nil
}

// PromoteConfigs maps each stage of env to its promote config (nil for none), for the
// pipeline's order.
func (s *Store) PromoteConfigs(ctx context.Context, env string) (map[string]*core.PromoteConfig, error) {
	return promoteConfigs(ctx, s.db, env)
}

// PromotionTargets lists the stages that promote what env/stage qualifies: those of env
// whose promote source is stage.
func (s *Store) PromotionTargets(ctx context.Context, env, stage string) ([]Stage, error) {
	var stages []Stage
	if err := s.db.NewSelect().Model(&stages).Where("env_name = ?", env).Where("promote IS NOT NULL").Order("stage_name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list the stages promoting from %s/%s: %w", env, stage, err)
	}
	out := stages[:0]
	for _, st := range stages {
		if st.Promote.FromStage() == stage {
			out = append(out, st)
		}
	}
	return out, nil
}

// StagesPromotingBuild lists the stages whose promote source is BUILD for builds named
// name (and, when they name one, of branch).
func (s *Store) StagesPromotingBuild(ctx context.Context, name, branch string) ([]Stage, error) {
	var stages []Stage
	if err := s.db.NewSelect().Model(&stages).Where("build_name = ?", name).Where("promote IS NOT NULL").Order("env_name", "stage_name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list the stages promoting builds of %s: %w", name, err)
	}
	out := stages[:0]
	for _, st := range stages {
		if p := st.Promote; p.Source == core.PromoteSourceBuild && (p.Branch == "" || p.Branch == branch) {
			out = append(out, st)
		}
	}
	return out, nil
}

// promotedFrom is the stage of env that promotes from stage, if any, so that deleting
// stage is refused while a successor depends on it.
func promotedFrom(ctx context.Context, tx bun.IDB, env, stage string) (string, error) {
	configs, err := promoteConfigs(ctx, tx, env)
	if err != nil {
		return "", err
	}
	for _, name := range core.PipelineOrder(configs) {
		if configs[name].FromStage() == stage {
			return name, nil
		}
	}
	return "", nil
}

// BuildSucceededIn reports whether build buildID ever reached its success threshold on
// env/stage (a deploy of it SUCCEEDING or SUCCEEDED there), for the predecessor warning.
func (s *Store) BuildSucceededIn(ctx context.Context, env, stage, buildID string) (bool, error) {
	ok, err := s.db.NewSelect().Model((*Deploy)(nil)).
		Where("env_name = ? AND stage_name = ? AND build_id = ?", env, stage, buildID).
		Where("state IN (?)", bun.In([]string{core.StateSucceeding, core.StateSucceeded})).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("did build %s succeed on %s/%s: %w", buildID, env, stage, err)
	}
	return ok, nil
}

// BuildsSucceededIn is, of ids, the builds that reached their success threshold on
// env/stage, for the predecessor warnings of a page of builds.
func (s *Store) BuildsSucceededIn(ctx context.Context, env, stage string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var found []string
	err := s.db.NewSelect().Model((*Deploy)(nil)).Column("build_id").Distinct().
		Where("env_name = ? AND stage_name = ?", env, stage).Where("build_id IN (?)", bun.In(ids)).
		Where("state IN (?)", bun.In([]string{core.StateSucceeding, core.StateSucceeded})).Scan(ctx, &found)
	if err != nil {
		return nil, fmt.Errorf("which builds succeeded on %s/%s: %w", env, stage, err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
