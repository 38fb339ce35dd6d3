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

// ListStageHosts returns every host of a stage, as the one membership read
// (readMembership) finds them: hosts named in its capacity (whether or not they ever
// pinged) and hosts that reported one of its groups, unless a sibling stage of the
// environment wins them, and hosts that still hold an agent row for it ("removed").
// Sorted by host name, with each host's IP, groups and last ping.
func (s *Store) ListStageHosts(ctx context.Context, env, stage string) ([]StageHost, error) {
	st, err := s.GetStage(ctx, env, stage)
	if err != nil {
		return nil, err
	}
	m, err := s.readMembership(ctx, s.db, membershipScope{env: st.EnvName, stageID: st.ID}, allErrors)
	if err != nil {
		return nil, fmt.Errorf("list hosts of %s/%s: %w", env, stage, err)
	}
	out := stageHosts(m.members[st.ID], m.agents, m.errors)
	var ids []string
	for _, h := range out {
		if h.HostID != "" {
			ids = append(ids, h.HostID)
		}
	}
	hosts := map[string]Host{}
	for _, chunk := range chunks(ids, 500) {
		var part []Host
		if err := s.db.NewSelect().Model(&part).Where("id IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("list hosts of %s/%s: %w", env, stage, err)
		}
		for _, h := range part {
			hosts[h.ID] = h
		}
	}
	groups, err := s.groupsOfHosts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("list host groups of %s/%s: %w", env, stage, err)
	}
	for i := range out {
		h, ok := hosts[out[i].HostID]
		if !ok {
			continue
		}
		out[i].IP = h.IP
		t := h.LastPingAt
		out[i].LastPingAt = &t
		out[i].Groups = append([]string{}, groups[h.ID]...)
	}
	return out, nil
}
