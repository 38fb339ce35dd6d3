package schema

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// StageSummary is one stage as an overview of all stages lists it: the stage, its current
// deploy (nil when it was never deployed) and that deploy's build (nil when the build row
// is missing).
type StageSummary struct {
	Stage   Stage
	Current *Deploy
	Build   *Build
}

// ListStageSummaries returns every stage, ordered by environment and stage name, with its
// current deploy and build. It runs a fixed handful of queries however many stages there
// are, so that the board's home page stays fast for a large fleet.
func (s *Store) ListStageSummaries(ctx context.Context) ([]StageSummary, error) {
	stages, err := s.ListStages(ctx, StageFilter{})
	if err != nil {
		return nil, err
	}
	var deployIDs []string
	for _, st := range stages {
		if st.CurrentDeployID != "" {
			deployIDs = append(deployIDs, st.CurrentDeployID)
		}
	}
	deploys := map[string]*Deploy{}
	var buildIDs []string
	for _, chunk := range chunks(deployIDs, 500) {
		var part []Deploy
		if err := s.db.NewSelect().Model(&part).Where("id IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("list current deploys of all stages: %w", err)
		}
		for i := range part {
			deploys[part[i].ID] = &part[i]
			buildIDs = append(buildIDs, part[i].BuildID)
		}
	}
	builds := map[string]*Build{}
	for _, chunk := range chunks(buildIDs, 500) {
		var part []Build
		if err := s.db.NewSelect().Model(&part).Where("id IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("list current builds of all stages: %w", err)
		}
		for i := range part {
			builds[part[i].ID] = &part[i]
		}
	}
	out := make([]StageSummary, len(stages))
	for i, st := range stages {
		out[i] = StageSummary{Stage: st, Current: deploys[st.CurrentDeployID]}
		if out[i].Current != nil {
			out[i].Build = builds[out[i].Current.BuildID]
		}
	}
	return out, nil
}

// HostClassifier names the condition of one host of the stage with id stageID, for example
// its colour on the board's host grid. The StageHost it gets carries the host's name, id,
// last ping, membership and agent row, but not its groups or last error.
type HostClassifier func(stageID string, h StageHost) string

// HostCounts is how many hosts of a stage fall in each class a HostClassifier named.
type HostCounts map[string]int

// Total is the number of hosts counted.
func (c HostCounts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// CountStageHosts classifies every host of every stage and returns the counts by stage id;
// stages without hosts are absent. A stage's hosts are the ones ListStageHosts lists, from
// the same membership read, done once for all stages.
func (s *Store) CountStageHosts(ctx context.Context, classify HostClassifier) (map[string]HostCounts, error) {
	m, err := s.readMembership(ctx, s.db, membershipScope{}, noErrors)
	if err != nil {
		return nil, fmt.Errorf("count stage hosts: %w", err)
	}
	byStage := m.hostsByStage()
	lastPing := m.lastPing
	out := make(map[string]HostCounts, len(byStage))
	for stageID, hosts := range byStage {
		if len(hosts) == 0 {
			continue
		}
		counts := HostCounts{}
		for _, h := range hosts {
			if t, ok := lastPing[h.HostID]; ok {
				h.LastPingAt = &t
			}
			h.LastError = nil
			counts[classify(stageID, h)]++
		}
		out[stageID] = counts
	}
	return out, nil
}
