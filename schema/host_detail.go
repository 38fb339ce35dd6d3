package schema

import (
	"context"
	"fmt"
	"sort"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// HostDetail is what the store knows about one host name: the host rows reporting it (a
// re-imaged machine can come back under a new id with the same name), and every stage the
// name belongs to or one of its host rows holds an agent row or an error in.
type HostDetail struct {
	HostName string
	// Hosts are the host rows with that name, most recent ping first, groups filled in.
	Hosts []Host
	// Stages are sorted by env, stage and host id.
	Stages []HostStage
}

// HostStage is one host's place in one stage.
type HostStage struct {
	StageID   string
	EnvName   string // empty when the stage no longer exists
	StageName string
	// HostID is the host row the agent row belongs to; empty when the stage lists the host
	// but no host row of it has an agent row there yet.
	HostID string
	// MemberBy says why the host is in the stage, as StageHost.MemberBy does: "host",
	// "group:<name>", or "removed" for a row left by a stage the host no longer belongs to.
	MemberBy  string
	Agent     *Agent
	LastError *AgentError
}

// HostDetail returns everything about the host named name, or an core.ENOTFOUND error when no
// host row, capacity entry or agent row knows that name.
func (s *Store) HostDetail(ctx context.Context, name string) (*HostDetail, error) {
	d := &HostDetail{HostName: name}
	if err := s.db.NewSelect().Model(&d.Hosts).Where("host_name = ?", name).OrderExpr("last_ping_at DESC, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read hosts named %s: %w", name, err)
	}
	ids := make([]string, 0, len(d.Hosts))
	for _, h := range d.Hosts {
		ids = append(ids, h.ID)
	}
	groups, err := s.groupsOfHosts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read groups of host %s: %w", name, err)
	}
	var allGroups []string
	for i := range d.Hosts {
		d.Hosts[i].Groups = append([]string{}, groups[d.Hosts[i].ID]...)
		allGroups = append(allGroups, d.Hosts[i].Groups...)
	}
	m, err := s.readMembership(ctx, s.db, membershipScope{hostName: name}, noErrors)
	if err != nil {
		return nil, fmt.Errorf("read stages of host %s: %w", name, err)
	}
	memberBy := map[string]string{}
	for stageID, members := range m.members {
		for _, mb := range members {
			if core.BetterMemberBy(mb.MemberBy, memberBy[stageID]) {
				memberBy[stageID] = mb.MemberBy
			}
		}
	}
	var agents []Agent
	var agentErrors []AgentError
	if len(ids) > 0 {
		if err := s.db.NewSelect().Model(&agents).Where("host_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read agent rows of host %s: %w", name, err)
		}
		if err := s.db.NewSelect().Model(&agentErrors).Where("host_id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read agent errors of host %s: %w", name, err)
		}
	}
	if len(d.Hosts) == 0 && len(memberBy) == 0 && len(agents) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, "no host named %s has pinged the server or is named in a stage's capacity", name)
	}

	type key struct{ stageID, hostID string }
	rows := map[key]*HostStage{}
	row := func(stageID, hostID string) *HostStage {
		k := key{stageID, hostID}
		if r, ok := rows[k]; ok {
			return r
		}
		r := &HostStage{StageID: stageID, HostID: hostID}
		rows[k] = r
		return r
	}
	withRow := map[string]bool{}
	for i := range agents {
		row(agents[i].StageID, agents[i].HostID).Agent = &agents[i]
		withRow[agents[i].StageID] = true
	}
	for i := range agentErrors {
		row(agentErrors[i].StageID, agentErrors[i].HostID).LastError = &agentErrors[i]
		withRow[agentErrors[i].StageID] = true
	}
	for stageID := range memberBy {
		if !withRow[stageID] {
			row(stageID, "")
		}
	}
	stageIDs := make([]string, 0, len(rows))
	seen := map[string]bool{}
	for k := range rows {
		if !seen[k.stageID] {
			seen[k.stageID] = true
			stageIDs = append(stageIDs, k.stageID)
		}
	}
	names, err := s.stageNamesByID(ctx, stageIDs)
	if err != nil {
		return nil, fmt.Errorf("read stages of host %s: %w", name, err)
	}
	for _, r := range rows {
		st := names[r.StageID]
		r.EnvName, r.StageName = st.EnvName, st.StageName
		r.MemberBy = memberBy[r.StageID]
		if r.MemberBy == "" {
			r.MemberBy = "removed"
		}
		d.Stages = append(d.Stages, *r)
	}
	sort.Slice(d.Stages, func(i, j int) bool {
		a, b := d.Stages[i], d.Stages[j]
		if a.EnvName != b.EnvName {
			return a.EnvName < b.EnvName
		}
		if a.StageName != b.StageName {
			return a.StageName < b.StageName
		}
		if a.StageID != b.StageID {
			return a.StageID < b.StageID
		}
		return a.HostID < b.HostID
	})
	return d, nil
}

// groupsOfHosts returns the groups each of the host ids reported, sorted by name.
func (s *Store) groupsOfHosts(ctx context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []hostGroup
	if err := s.db.NewSelect().Model(&rows).Where("host_id IN (?)", bun.In(ids)).Order("host_id", "group_name").Scan(ctx); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.HostID] = append(out[r.HostID], r.GroupName)
	}
	return out, nil
}

// stageNamesByID returns the env and stage names of the stages with the given ids; ids of
// stages that no longer exist are absent.
func (s *Store) stageNamesByID(ctx context.Context, ids []string) (map[string]Stage, error) {
	out := map[string]Stage{}
	if len(ids) == 0 {
		return out, nil
	}
	var stages []Stage
	if err := s.db.NewSelect().Model(&stages).Column("id", "env_name", "stage_name").Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, st := range stages {
		out[st.ID] = st
	}
	return out, nil
}
