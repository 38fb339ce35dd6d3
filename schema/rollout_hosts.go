package schema

import (
	"context"
	"fmt"
	"sort"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// rolloutMember is one reason a host belongs to a stage: named in its capacity (Group
// empty; HostID empty when no host of that name has pinged) or in one of its groups.
type rolloutMember struct {
	HostName string `bun:"host_name"`
	HostID   string `bun:"host_id"`
	Group    string `bun:"group_name"`
}

// RolloutHosts returns a stage's hosts as ListStageHosts does, with only what a deploy's
// admission loop reads: name, id, why the host belongs ("host", "group:<name>" or
// "removed"), its agent row and, for a host the system paused, its last error. It runs
// three queries where ListStageHosts runs one per table and chunk, because the deploy
// workflow's activities call it every second on the database the pings share. IP, groups
// and last ping are left empty. A host is named by its agent row's id even when no host
// row exists, and where one name has several host ids (a re-imaged host) the id with an
// agent row in the stage wins, else the smallest.
func (s *Store) RolloutHosts(ctx context.Context, stageID string) ([]StageHost, error) {
	var members []rolloutMember
	err := s.db.NewRaw(`SELECT sh.host_name AS host_name, COALESCE(h.id, '') AS host_id, '' AS group_name
  FROM stage_hosts sh LEFT JOIN hosts h ON h.host_name = sh.host_name
 WHERE sh.stage_id = ?
UNION ALL
SELECT h.host_name AS host_name, h.id AS host_id, sg.group_name AS group_name
  FROM stage_groups sg
  JOIN host_groups hg ON hg.group_name = sg.group_name
  JOIN hosts h ON h.id = hg.host_id
 WHERE sg.stage_id = ?`, stageID, stageID).Scan(ctx, &members)
	if err != nil {
		return nil, fmt.Errorf("read the hosts of stage %s: %w", stageID, err)
	}
	var agents []Agent
	if err := s.db.NewSelect().Model(&agents).Where("stage_id = ?", stageID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read the agents of stage %s: %w", stageID, err)
	}

	byName := map[string]*StageHost{}
	ids := map[string][]string{} // host name → its host ids among the members
	nameOfID := map[string]string{}
	for _, m := range members {
		sh, ok := byName[m.HostName]
		if !ok {
			sh = &StageHost{HostName: m.HostName, Groups: []string{}}
			byName[m.HostName] = sh
		}
		switch {
		case m.Group == "":
			sh.MemberBy = "host"
		case sh.MemberBy == "" || (sh.MemberBy != "host" && "group:"+m.Group < sh.MemberBy):
			sh.MemberBy = "group:" + m.Group
		}
		if m.HostID != "" {
			if _, seen := nameOfID[m.HostID]; !seen {
				ids[m.HostName] = append(ids[m.HostName], m.HostID)
				nameOfID[m.HostID] = m.HostName
			}
		}
	}
	var paused []string
	for i := range agents {
		a := agents[i]
		name, ok := nameOfID[a.HostID]
		if !ok {
			// An agent row whose host is no member by id counts for the member of its name,
			// as in ListStageHosts; with no such member it is a host that left the stage.
			name = a.HostName
		}
		sh, member := byName[name]
		if !member {
			sh = &StageHost{HostName: name, Groups: []string{}, MemberBy: "removed"}
			byName[name] = sh
		}
		sh.Agent = &a
		sh.HostID = a.HostID
		if a.State == core.AgentPausedBySystem {
			paused = append(paused, a.HostID)
		}
	}
	for name, sh := range byName {
		if sh.HostID == "" && len(ids[name]) > 0 {
			sort.Strings(ids[name])
			sh.HostID = ids[name][0]
		}
	}
	if len(paused) > 0 {
		byID := map[string]*StageHost{}
		for _, sh := range byName {
			if sh.HostID != "" {
				byID[sh.HostID] = sh
			}
		}
		for _, chunk := range chunks(paused, 500) {
			var errs []AgentError
			if err := s.db.NewSelect().Model(&errs).Where("stage_id = ? AND host_id IN (?)", stageID, bun.In(chunk)).Scan(ctx); err != nil {
				return nil, fmt.Errorf("read the errors of %d paused hosts of stage %s: %w", len(chunk), stageID, err)
			}
			for i := range errs {
				if sh, ok := byID[errs[i].HostID]; ok {
					sh.LastError = &errs[i]
				}
			}
		}
	}
	out := make([]StageHost, 0, len(byName))
	for _, sh := range byName {
		out = append(out, *sh)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HostName < out[j].HostName })
	return out, nil
}
