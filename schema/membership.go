package schema

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// membershipScope narrows the one membership read. The winner rule always looks at every
// stage of a host's environment, whatever the scope: a stage's host set depends on its
// sibling stages' capacities.
type membershipScope struct {
	env      string // "" for every environment
	stageID  string // "" for every stage of the scope; else only its agent rows are read
	hostName string // "" for every host; else only the hosts of that name
}

// stageMember is one host id that a stage's capacity claims and that, by the winner rule,
// serves the stage; HostID is "" for a name in the capacity that never pinged.
type stageMember struct {
	HostID   string
	HostName string
	MemberBy string // "host" or "group:<name>"
}

// membership is the result of the one membership read: the winning members of every
// stage in scope, and the agent rows and errors of the stages in scope.
type membership struct {
	members  map[string][]stageMember // by stage id
	agents   []Agent
	errors   []AgentError
	lastPing map[string]time.Time // by host id
}

// errorsToRead says which agent errors a membership read returns.
type errorsToRead int

const (
	noErrors     errorsToRead = iota // none: the caller classifies hosts only
	pausedErrors                     // of hosts the system paused: what a deploy reports
	allErrors                        // every error of the stages in scope
)

// membershipRow is one row of the membership read's first statement: a capacity claim
// (kind "n" for a name, "g" for a group) or a host id that a claim may concern (kind "h"
// with its name, "m" with one of its groups that a capacity lists).
type membershipRow struct {
	Kind       string     `bun:"kind"`
	StageID    string     `bun:"stage_id"`
	EnvName    string     `bun:"env_name"`
	StageName  string     `bun:"stage_name"`
	HostName   string     `bun:"host_name"`
	GroupName  string     `bun:"group_name"`
	HostID     string     `bun:"host_id"`
	LastPingAt *time.Time `bun:"last_ping_at"`
}

// agentWithHost is an agent row with what its host row says, if it has one.
type agentWithHost struct {
	Agent
	HostRowID      *string    `bun:"host_row_id"`
	HostLastPingAt *time.Time `bun:"host_last_ping_at"`
}

// readMembership is the store's one membership read: which hosts serve which stages. A
// host id claims every stage of its environment whose capacity names it or lists one of
// its groups, exactly as its ping does (loadPingState), and serves the winner of those
// claims (core.Winners). Host ids come from host rows and from agent rows without a host
// row (their claims are by name only); names in a capacity that never pinged are members
// without an id. Every reader of a stage's hosts (rollouts, the board's counts and pages,
// stage health, host detail) builds on it, so that they agree with the ping. It runs two
// statements, and a third for errors when asked.
func (s *Store) readMembership(ctx context.Context, db bun.IDB, sc membershipScope, errs errorsToRead) (*membership, error) {
	envCond, envArgs := "", []any{}
	switch {
	case sc.env != "":
		envCond, envArgs = " WHERE s.env_name = ?", []any{sc.env}
	case sc.stageID != "":
		envCond, envArgs = " WHERE s.env_name = (SELECT env_name FROM stages WHERE id = ?)", []any{sc.stageID}
	}
	var args []any
	parts := []string{
		`SELECT 'n' AS kind, s.id AS stage_id, s.env_name AS env_name, s.stage_name AS stage_name, sh.host_name AS host_name, '' AS group_name, '' AS host_id, NULL AS last_ping_at
  FROM stage_hosts sh JOIN stages s ON s.id = sh.stage_id` + envCond,
		`SELECT 'g', s.id, s.env_name, s.stage_name, '', sg.group_name, '', NULL
  FROM stage_groups sg JOIN stages s ON s.id = sg.stage_id` + envCond,
	}
	args = append(append(args, envArgs...), envArgs...)
	if sc.hostName != "" {
		parts = append(parts,
			`SELECT 'h', '', '', '', h.host_name, '', h.id, h.last_ping_at FROM hosts h WHERE h.host_name = ?`,
			`SELECT 'm', '', '', '', h.host_name, hg.group_name, h.id, h.last_ping_at
  FROM hosts h JOIN host_groups hg ON hg.host_id = h.id WHERE h.host_name = ?`)
		args = append(args, sc.hostName, sc.hostName)
	} else {
		parts = append(parts,
			`SELECT 'h', '', '', '', h.host_name, '', h.id, h.last_ping_at
  FROM hosts h WHERE h.host_name IN (SELECT sh.host_name FROM stage_hosts sh JOIN stages s ON s.id = sh.stage_id`+envCond+`)`,
			`SELECT 'm', '', '', '', h.host_name, sg.group_name, h.id, h.last_ping_at
  FROM stage_groups sg JOIN stages s ON s.id = sg.stage_id
  JOIN host_groups hg ON hg.group_name = sg.group_name
  JOIN hosts h ON h.id = hg.host_id`+envCond)
		args = append(append(args, envArgs...), envArgs...)
	}
	var rows []membershipRow
	if err := db.NewRaw(strings.Join(parts, "\nUNION ALL\n"), args...).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("read the capacities and hosts of %s: %w", sc, err)
	}

	agentCond, agentArgs := "", []any{}
	switch {
	case sc.stageID != "":
		agentCond, agentArgs = " WHERE a.stage_id = ?", []any{sc.stageID}
	case sc.hostName != "":
		agentCond, agentArgs = " WHERE a.host_name = ? OR a.host_id IN (SELECT id FROM hosts WHERE host_name = ?)", []any{sc.hostName, sc.hostName}
	case sc.env != "":
		agentCond, agentArgs = " WHERE a.stage_id IN (SELECT id FROM stages WHERE env_name = ?)", []any{sc.env}
	}
	var agents []agentWithHost
	// The agent columns are named, not a.*: the table has bookkeeping columns (change_seq)
	// that the model does not carry.
	q := "SELECT " + s.agentColumns() + ", h.id AS host_row_id, h.last_ping_at AS host_last_ping_at FROM agents a LEFT JOIN hosts h ON h.id = a.host_id" + agentCond
	if err := db.NewRaw(q, agentArgs...).Scan(ctx, &agents); err != nil {
		return nil, fmt.Errorf("read the agents of %s: %w", sc, err)
	}

	out := &membership{lastPing: map[string]time.Time{}}
	var ghosts []Agent
	var paused []string
	for _, a := range agents {
		out.agents = append(out.agents, a.Agent)
		switch {
		case a.HostRowID == nil:
			ghosts = append(ghosts, a.Agent)
		case a.HostLastPingAt != nil:
			out.lastPing[a.HostID] = *a.HostLastPingAt
		}
		if a.State == core.AgentPausedBySystem {
			paused = append(paused, a.HostID)
		}
	}
	for _, r := range rows {
		if r.HostID != "" && r.LastPingAt != nil {
			out.lastPing[r.HostID] = *r.LastPingAt
		}
	}
	out.members = resolveStageMembers(rows, ghosts, sc.hostName)

	if errs == noErrors || (errs == pausedErrors && len(paused) == 0) {
		return out, nil
	}
	eq := db.NewSelect().Model(&out.errors)
	switch {
	case errs == pausedErrors && sc.stageID != "":
		eq = eq.Where("stage_id = ? AND host_id IN (?)", sc.stageID, bun.In(sortedUnique(paused)))
	case sc.stageID != "":
		eq = eq.Where("stage_id = ?", sc.stageID)
	case sc.hostName != "":
		eq = eq.Where("host_name = ? OR host_id IN (SELECT id FROM hosts WHERE host_name = ?)", sc.hostName, sc.hostName)
	case sc.env != "":
		eq = eq.Where("stage_id IN (SELECT id FROM stages WHERE env_name = ?)", sc.env)
	}
	if err := eq.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read the agent errors of %s: %w", sc, err)
	}
	if errs == pausedErrors {
		// Only the errors of paused rows: a host id may be paused in one stage of the scope
		// and not in another.
		pausedIn := map[[2]string]bool{}
		for _, a := range out.agents {
			if a.State == core.AgentPausedBySystem {
				pausedIn[[2]string{a.HostID, a.StageID}] = true
			}
		}
		kept := out.errors[:0]
		for _, e := range out.errors {
			if pausedIn[[2]string{e.HostID, e.StageID}] {
				kept = append(kept, e)
			}
		}
		out.errors = kept
	}
	return out, nil
}

// String names a scope in error messages.
func (sc membershipScope) String() string {
	switch {
	case sc.hostName != "":
		return "host " + sc.hostName
	case sc.stageID != "":
		return "stage " + sc.stageID
	case sc.env != "":
		return "environment " + sc.env
	}
	return "every stage"
}

// resolveStageMembers applies the winner rule to every host id's claims. Only names equal
// to onlyName count when it is set.
func resolveStageMembers(rows []membershipRow, ghosts []Agent, onlyName string) map[string][]stageMember {
	named := map[string][]membershipRow{}   // host name → stages naming it
	grouped := map[string][]membershipRow{} // group → stages listing it
	var ids []membershipRow
	for _, r := range rows {
		switch r.Kind {
		case "n":
			named[r.HostName] = append(named[r.HostName], r)
		case "g":
			grouped[r.GroupName] = append(grouped[r.GroupName], r)
		default:
			ids = append(ids, r)
		}
	}
	type identity struct {
		name   string
		groups []string
	}
	hosts := map[string]*identity{}
	for _, r := range ids {
		h := hosts[r.HostID]
		if h == nil {
			h = &identity{name: r.HostName}
			hosts[r.HostID] = h
		}
		if r.Kind == "m" {
			h.groups = append(h.groups, r.GroupName)
		}
	}
	for _, a := range ghosts {
		if hosts[a.HostID] == nil {
			hosts[a.HostID] = &identity{name: a.HostName}
		}
	}
	out := map[string][]stageMember{}
	claimOf := func(hostID, name string, groups []string) {
		if onlyName != "" && name != onlyName {
			return
		}
		// One claim per stage, with its best reason.
		type stageClaim struct {
			c  membershipRow
			by string
		}
		var per []stageClaim
		index := map[string]int{}
		add := func(c membershipRow, by string) {
			if i, ok := index[c.StageID]; ok {
				if core.BetterMemberBy(by, per[i].by) {
					per[i].by = by
				}
				return
			}
			index[c.StageID] = len(per)
			per = append(per, stageClaim{c, by})
		}
		for _, c := range named[name] {
			add(c, "host")
		}
		for _, g := range groups {
			for _, c := range grouped[g] {
				add(c, "group:"+g)
			}
		}
		mc := make([]core.MemberClaim, len(per))
		for i, p := range per {
			by := core.MemberByGroup
			if p.by == "host" {
				by = core.MemberByHost
			}
			mc[i] = core.MemberClaim{EnvName: p.c.EnvName, StageName: p.c.StageName, By: by}
		}
		for i, won := range core.Winners(mc) {
			if won {
				out[per[i].c.StageID] = append(out[per[i].c.StageID], stageMember{HostID: hostID, HostName: name, MemberBy: per[i].by})
			}
		}
	}
	hostIDs := make([]string, 0, len(hosts))
	for id := range hosts {
		hostIDs = append(hostIDs, id)
	}
	sort.Strings(hostIDs)
	seenName := map[string]bool{}
	for _, id := range hostIDs {
		h := hosts[id]
		seenName[h.name] = true
		claimOf(id, h.name, h.groups)
	}
	// Names in a capacity that no host id carries: never seen, claimed by name only.
	var unseen []string
	for name := range named {
		if !seenName[name] {
			unseen = append(unseen, name)
		}
	}
	sort.Strings(unseen)
	for _, name := range unseen {
		claimOf("", name, nil)
	}
	return out
}

// stageHosts assembles one stage's host set from its winning members and its agent rows
// and errors: one entry per host name, sorted by name. A name's entry stands for the id
// core.PickHostID chooses among its member ids; an agent row of a host id that is no
// member, under a name that is no member either, is a host that left ("removed").
func stageHosts(members []stageMember, agents []Agent, errors []AgentError) []StageHost {
	type entry struct {
		host   StageHost
		cands  []core.HostIDCandidate
		agents map[string]*Agent
	}
	byName := map[string]*entry{}
	memberName := map[string]string{} // member host id → its name
	get := func(name string) *entry {
		e := byName[name]
		if e == nil {
			e = &entry{host: StageHost{HostName: name, Groups: []string{}}, agents: map[string]*Agent{}}
			byName[name] = e
		}
		return e
	}
	for _, m := range members {
		e := get(m.HostName)
		if core.BetterMemberBy(m.MemberBy, e.host.MemberBy) {
			e.host.MemberBy = m.MemberBy
		}
		if m.HostID != "" {
			if _, dup := memberName[m.HostID]; !dup {
				memberName[m.HostID] = m.HostName
				e.cands = append(e.cands, core.HostIDCandidate{ID: m.HostID})
			}
		}
	}
	for i := range agents {
		a := &agents[i]
		name, member := memberName[a.HostID]
		if !member {
			if e, ok := byName[a.HostName]; ok && e.host.MemberBy != core.MemberRemoved {
				// Another id under a member's name that is no member itself: its ping is
				// told to forget the stage, and the name's entry stands for the member.
				continue
			}
			name = a.HostName
			get(name).host.MemberBy = core.MemberRemoved
			get(name).cands = append(get(name).cands, core.HostIDCandidate{ID: a.HostID})
		}
		e := byName[name]
		e.agents[a.HostID] = a
		for j := range e.cands {
			if e.cands[j].ID == a.HostID {
				at := a.UpdatedAt
				e.cands[j].AgentUpdatedAt = &at
			}
		}
	}
	errorOf := map[string]*AgentError{}
	for i := range errors {
		errorOf[errors[i].HostID] = &errors[i]
	}
	out := make([]StageHost, 0, len(byName))
	for _, e := range byName {
		h := e.host
		h.HostID = core.PickHostID(e.cands)
		h.Agent = e.agents[h.HostID]
		if h.HostID != "" {
			h.LastError = errorOf[h.HostID]
		}
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HostName < out[j].HostName })
	return out
}

// membersByStage groups a membership's agent rows and errors by stage and assembles every
// stage's host set.
func (m *membership) hostsByStage() map[string][]StageHost {
	agents := map[string][]Agent{}
	for _, a := range m.agents {
		agents[a.StageID] = append(agents[a.StageID], a)
	}
	errors := map[string][]AgentError{}
	for _, e := range m.errors {
		errors[e.StageID] = append(errors[e.StageID], e)
	}
	stages := map[string]bool{}
	for id := range m.members {
		stages[id] = true
	}
	for id := range agents {
		stages[id] = true
	}
	out := make(map[string][]StageHost, len(stages))
	for id := range stages {
		out[id] = stageHosts(m.members[id], agents[id], errors[id])
	}
	return out
}
