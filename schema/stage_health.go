package schema

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// capacityHostRow is a host named in a stage's capacity, joined to its hosts row if it
// ever pinged.
type capacityHostRow struct {
	StageID    string     `bun:"stage_id"`
	HostName   string     `bun:"host_name"`
	HostID     *string    `bun:"host_id"`
	LastPingAt *time.Time `bun:"last_ping_at"`
}

// groupHostRow is a host that reported a group of a stage's capacity.
type groupHostRow struct {
	StageID    string    `bun:"stage_id"`
	GroupName  string    `bun:"group_name"`
	HostID     string    `bun:"host_id"`
	HostName   string    `bun:"host_name"`
	LastPingAt time.Time `bun:"last_ping_at"`
}

// CountStageHosts classifies every host of every stage and returns the counts by stage id;
// stages without hosts are absent. A stage's hosts are the ones ListStageHosts lists (named
// in its capacity, reporting one of its groups, or holding an agent row for it), read for
// all stages at once in four queries instead of several per stage.
func (s *Store) CountStageHosts(ctx context.Context, classify HostClassifier) (map[string]HostCounts, error) {
	var named []capacityHostRow
	if err := s.db.NewSelect().TableExpr("stage_hosts AS sh").
		ColumnExpr("sh.stage_id, sh.host_name, h.id AS host_id, h.last_ping_at").
		Join("LEFT JOIN hosts AS h ON h.host_name = sh.host_name").
		OrderExpr("sh.stage_id, sh.host_name, h.id").
		Scan(ctx, &named); err != nil {
		return nil, fmt.Errorf("count stage hosts: read capacity hosts: %w", err)
	}
	var grouped []groupHostRow
	if err := s.db.NewSelect().TableExpr("stage_groups AS sg").
		ColumnExpr("sg.stage_id, sg.group_name, h.id AS host_id, h.host_name, h.last_ping_at").
		Join("JOIN host_groups AS hg ON hg.group_name = sg.group_name").
		Join("JOIN hosts AS h ON h.id = hg.host_id").
		OrderExpr("sg.stage_id, h.id, sg.group_name").
		Scan(ctx, &grouped); err != nil {
		return nil, fmt.Errorf("count stage hosts: read capacity groups: %w", err)
	}
	var agents []Agent
	if err := s.db.NewSelect().Model(&agents).Order("stage_id", "host_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("count stage hosts: read agents: %w", err)
	}
	var agentHosts []Host
	if err := s.db.NewSelect().Model(&agentHosts).
		Where("id IN (?)", s.db.NewSelect().Model((*Agent)(nil)).Column("host_id")).
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("count stage hosts: read hosts of agents: %w", err)
	}
	hostByID := make(map[string]Host, len(agentHosts))
	for _, h := range agentHosts {
		hostByID[h.ID] = h
	}

	sets := map[string]*stageHostSet{}
	set := func(stageID string) *stageHostSet {
		if hs, ok := sets[stageID]; ok {
			return hs
		}
		hs := &stageHostSet{byName: map[string]*StageHost{}, byID: map[string]*StageHost{}}
		sets[stageID] = hs
		return hs
	}
	// Named hosts first, so that a host both named and in a group counts as named, as in
	// ListStageHosts.
	for _, r := range named {
		hs := set(r.StageID)
		hs.get(r.HostName).MemberBy = "host"
		if r.HostID != nil && r.LastPingAt != nil {
			hs.addHost(*r.HostID, r.HostName, *r.LastPingAt, "")
		}
	}
	for _, r := range grouped {
		set(r.StageID).addHost(r.HostID, r.HostName, r.LastPingAt, r.GroupName)
	}
	for i := range agents {
		a := agents[i]
		hs := set(a.StageID)
		sh, ok := hs.byID[a.HostID]
		if !ok {
			if h, known := hostByID[a.HostID]; known {
				sh = hs.addHost(h.ID, h.HostName, h.LastPingAt, "")
			} else {
				sh = hs.get(a.HostName)
			}
		}
		sh.Agent = &a
	}

	out := make(map[string]HostCounts, len(sets))
	for stageID, hs := range sets {
		counts := HostCounts{}
		for _, sh := range hs.byName {
			if sh.MemberBy == "" {
				sh.MemberBy = "removed"
			}
			counts[classify(stageID, *sh)]++
		}
		out[stageID] = counts
	}
	return out, nil
}

// stageHostSet gathers one stage's hosts by name, the way ListStageHosts merges its
// capacity names, group members and agent rows into one entry per host name.
type stageHostSet struct {
	byName map[string]*StageHost
	byID   map[string]*StageHost
}

func (hs *stageHostSet) get(name string) *StageHost {
	if h, ok := hs.byName[name]; ok {
		return h
	}
	h := &StageHost{HostName: name, Groups: []string{}}
	hs.byName[name] = h
	return h
}

// addHost records a hosts row as a member of the stage; group is the capacity group it
// belongs by, or "" when it belongs by name or by an agent row. Of several groups the
// first by name wins, as ListStageHosts picks from the host's sorted groups.
func (hs *stageHostSet) addHost(id, name string, lastPing time.Time, group string) *StageHost {
	sh := hs.get(name)
	sh.HostID = id
	ping := lastPing
	sh.LastPingAt = &ping
	if group != "" {
		by := "group:" + group
		if sh.MemberBy == "" || (strings.HasPrefix(sh.MemberBy, "group:") && by < sh.MemberBy) {
			sh.MemberBy = by
		}
	}
	hs.byID[id] = sh
	return sh
}
