package schema

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// Host is a machine running the agent, as last reported by its ping.
type Host struct {
	bun.BaseModel `bun:"table:hosts"`

	ID               string    `bun:"id,pk" json:"hostId"`
	HostName         string    `bun:"host_name,notnull" json:"hostName"`
	IP               string    `bun:"ip,notnull" json:"ip"`
	AvailabilityZone string    `bun:"availability_zone,notnull" json:"availabilityZone"`
	AgentVersion     string    `bun:"agent_version,notnull" json:"agentVersion"`
	CreatedAt        time.Time `bun:"created_at,notnull" json:"createdAt"`
	LastPingAt       time.Time `bun:"last_ping_at,notnull" json:"lastPingAt"`
	Groups           []string  `bun:"-" json:"groups"`
}

type hostGroup struct {
	bun.BaseModel `bun:"table:host_groups"`
	HostID        string `bun:"host_id,pk"`
	GroupName     string `bun:"group_name,pk"`
}

// Agent is the deploy status of one host in one stage. The core owns the row's shape
// because the ping decision computes it; bun maps it to the agents table by its name.
type Agent = core.Agent

// AgentError holds the tail of the last failing script's output of a host in a stage; bun
// maps it to the agent_errors table by its name.
type AgentError = core.AgentError

// RecordHost registers a host or refreshes its identity, groups and last-ping time.
func (s *Store) RecordHost(ctx context.Context, h *Host) error {
	if h.ID == "" {
		return core.FieldErrorf("hostId", "is required")
	}
	if h.HostName == "" {
		h.HostName = h.ID
	}
	now := s.now()
	h.LastPingAt = now
	if h.CreatedAt.IsZero() {
		h.CreatedAt = now
	}
	groups := append([]string(nil), h.Groups...)
	sort.Strings(groups)
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewInsert().Model(h)
		if s.dialect == MySQL {
			q = q.On("DUPLICATE KEY UPDATE").
				Set("host_name = VALUES(host_name)").Set("ip = VALUES(ip)").
				Set("availability_zone = VALUES(availability_zone)").Set("agent_version = VALUES(agent_version)").
				Set("last_ping_at = VALUES(last_ping_at)")
		} else {
			q = q.On("CONFLICT (id) DO UPDATE").
				Set("host_name = EXCLUDED.host_name").Set("ip = EXCLUDED.ip").
				Set("availability_zone = EXCLUDED.availability_zone").Set("agent_version = EXCLUDED.agent_version").
				Set("last_ping_at = EXCLUDED.last_ping_at")
		}
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("record host %s: %w", h.ID, err)
		}
		if _, err := tx.NewDelete().Model((*hostGroup)(nil)).Where("host_id = ?", h.ID).Exec(ctx); err != nil {
			return fmt.Errorf("record groups of host %s: %w", h.ID, err)
		}
		if len(groups) > 0 {
			rows := make([]hostGroup, 0, len(groups))
			for i, g := range groups {
				if i > 0 && groups[i-1] == g {
					continue
				}
				rows = append(rows, hostGroup{HostID: h.ID, GroupName: g})
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("record groups of host %s: %w", h.ID, err)
			}
		}
		return nil
	})
}

// StageHost is one host of a stage, as the store's one membership read assembles it.
type StageHost = core.StageHost

// ListStageHosts returns every host of a stage: hosts named in its capacity (whether or not
// they ever pinged), hosts that reported one of its groups, and hosts that still hold an
// agent row for it. Sorted by host name.
func (s *Store) ListStageHosts(ctx context.Context, env, stage string) ([]StageHost, error) {
	st, err := s.GetStage(ctx, env, stage)
	if err != nil {
		return nil, err
	}
	capacity, err := getCapacity(ctx, s.db, st.ID)
	if err != nil {
		return nil, err
	}
	byName := map[string]*StageHost{}
	get := func(name string) *StageHost {
		if h, ok := byName[name]; ok {
			return h
		}
		h := &StageHost{HostName: name, Groups: []string{}}
		byName[name] = h
		return h
	}
	for _, name := range capacity.Hosts {
		get(name).MemberBy = "host"
	}
	var hosts []Host
	if len(capacity.Hosts) > 0 {
		for _, chunk := range chunks(capacity.Hosts, 500) {
			var part []Host
			if err := s.db.NewSelect().Model(&part).Where("host_name IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
				return nil, fmt.Errorf("list hosts of %s/%s: %w", env, stage, err)
			}
			hosts = append(hosts, part...)
		}
	}
	if len(capacity.Groups) > 0 {
		var part []Host
		err := s.db.NewSelect().Model(&part).
			Where("id IN (?)", s.db.NewSelect().Model((*hostGroup)(nil)).Column("host_id").Where("group_name IN (?)", bun.In(capacity.Groups))).
			Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("list hosts of %s/%s: %w", env, stage, err)
		}
		hosts = append(hosts, part...)
	}
	var agents []Agent
	if err := s.db.NewSelect().Model(&agents).Where("stage_id = ?", st.ID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list agents of %s/%s: %w", env, stage, err)
	}
	var agentErrors []AgentError
	if err := s.db.NewSelect().Model(&agentErrors).Where("stage_id = ?", st.ID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list agent errors of %s/%s: %w", env, stage, err)
	}
	hostIDs := map[string]bool{}
	for _, h := range hosts {
		hostIDs[h.ID] = true
	}
	for _, a := range agents {
		if !hostIDs[a.HostID] {
			var part []Host
			if err := s.db.NewSelect().Model(&part).Where("id = ?", a.HostID).Scan(ctx); err != nil {
				return nil, fmt.Errorf("list hosts of %s/%s: %w", env, stage, err)
			}
			hosts = append(hosts, part...)
			hostIDs[a.HostID] = true
		}
	}
	groupsOf := map[string][]string{}
	if len(hosts) > 0 {
		ids := make([]string, 0, len(hosts))
		for _, h := range hosts {
			ids = append(ids, h.ID)
		}
		for _, chunk := range chunks(ids, 500) {
			var rows []hostGroup
			if err := s.db.NewSelect().Model(&rows).Where("host_id IN (?)", bun.In(chunk)).Order("group_name").Scan(ctx); err != nil {
				return nil, fmt.Errorf("list host groups: %w", err)
			}
			for _, r := range rows {
				groupsOf[r.HostID] = append(groupsOf[r.HostID], r.GroupName)
			}
		}
	}
	inGroup := map[string]bool{}
	for _, g := range capacity.Groups {
		inGroup[g] = true
	}
	byID := map[string]*StageHost{}
	for i := range hosts {
		h := hosts[i]
		sh := get(h.HostName)
		sh.HostID, sh.IP = h.ID, h.IP
		t := h.LastPingAt
		sh.LastPingAt = &t
		sh.Groups = append([]string{}, groupsOf[h.ID]...)
		if sh.MemberBy == "" {
			for _, g := range sh.Groups {
				if inGroup[g] {
					sh.MemberBy = "group:" + g
					break
				}
			}
		}
		byID[h.ID] = sh
	}
	for i := range agents {
		a := agents[i]
		sh, ok := byID[a.HostID]
		if !ok {
			sh = get(a.HostName)
		}
		sh.Agent = &a
	}
	for i := range agentErrors {
		e := agentErrors[i]
		if sh, ok := byID[e.HostID]; ok {
			sh.LastError = &e
		}
	}
	out := make([]StageHost, 0, len(byName))
	for _, h := range byName {
		if h.MemberBy == "" {
			h.MemberBy = "removed"
		}
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HostName < out[j].HostName })
	return out, nil
}
