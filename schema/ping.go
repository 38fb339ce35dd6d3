package schema

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// PingHost is what a ping says about the host that sent it.
type PingHost struct {
	ID               string
	Name             string // defaults to ID, as in Teletraan
	IP               string
	AvailabilityZone string
	AgentVersion     string
	Groups           []string
	// ReportedStageIDs are the stages the agent reports on. They are loaded even when the
	// host has left them, so that the decision can tell the agent to forget them.
	ReportedStageIDs []string
}

// PingDecider turns a host's state into the agent rows to write. RecordPing may call it
// twice, so it must not have side effects beyond its return value.
type PingDecider func(core.PingState) (core.PingWrites, error)

// LastPingResolution is how stale hosts.last_ping_at may be while its host keeps pinging:
// a ping within this long of the stored time does not write it again, which makes the
// steady-state ping read-only. Anything that judges hosts by their last ping (dead-host
// detection, the board) must allow this much slack, plus the clock skew between replicas.
const LastPingResolution = 5 * time.Second

// RecordPing records that a host pinged and applies what decide makes of its state.
//
// The common ping changes nothing, so it runs without a transaction: one SELECT of the
// host's state, which also tells whether the host's identity and groups are as stored and
// when it last pinged. When that was less than LastPingResolution ago the ping is done;
// otherwise one UPDATE, guarded by the same identity check, moves last_ping_at. Only when
// decide wants to write (or the host is new or changed) does RecordPing open a
// transaction, lock the host row, read the state again and decide again, so that
// concurrent pings of one host write one after the other, each on the state the previous
// one left.
func (s *Store) RecordPing(ctx context.Context, h PingHost, decide PingDecider) error {
	return s.RecordAuthorizedPing(ctx, h, nil, decide)
}

// PingAuthorizer decides, from who may speak for the host, whether a ping may: an error
// refuses it, and RecordAuthorizedPing then writes nothing.
type PingAuthorizer func(core.HostBinding) error

// RecordAuthorizedPing is RecordPing that first asks authorize (nil: no one) whether the
// ping may speak for its host. The host's identity rides in the ping's state SELECT, so the
// check costs no statement of its own, except for a host that is in no stage yet.
func (s *Store) RecordAuthorizedPing(ctx context.Context, h PingHost, authorize PingAuthorizer, decide PingDecider) error {
	h = normalizePingHost(h)
	if h.ID == "" {
		return core.FieldErrorf("hostId", "is required")
	}
	now := s.now()
	state, host, err := s.loadPingState(ctx, s.db, h, now)
	if err != nil {
		return err
	}
	if authorize != nil {
		b := host.binding
		if host.unknown {
			if b, err = s.HostBinding(ctx, h.ID); err != nil {
				return err
			}
		}
		if err := authorize(b); err != nil {
			return err
		}
	}
	touched := host.unchanged && host.lastPingAt != nil && now.Sub(*host.lastPingAt) < LastPingResolution
	if !touched && (host.unchanged || host.unknown) {
		// A host without stage rows tells nothing about itself; the guarded UPDATE does.
		if touched, err = s.touchHost(ctx, s.db, h, now); err != nil {
			return err
		}
	}
	if touched {
		// The state was read before the UPDATE, which changed nothing the decision reads.
		w, err := decide(state)
		if err != nil {
			return err
		}
		if w.IsEmpty() {
			return nil
		}
	}
	for attempt := 1; ; attempt++ {
		err = s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return s.recordPingLocked(ctx, tx, h, now, touched, decide)
		})
		// InnoDB resolves lock cycles between pings (hosts registering together) by
		// failing one of them; the loser's work was rolled back, so it can simply run again.
		if err == nil || attempt == maxPingAttempts || !isDeadlock(err) {
			return err
		}
	}
}

// maxPingAttempts bounds the retries of a ping that lost a deadlock.
const maxPingAttempts = 3

// isDeadlock reports whether err is MySQL's "deadlock found" or "lock wait timeout".
func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// recordPingLocked is the transactional half of RecordPing.
func (s *Store) recordPingLocked(ctx context.Context, tx bun.Tx, h PingHost, now time.Time, touched bool, decide PingDecider) error {
	if touched {
		// Updating the row takes its lock on MySQL; on SQLite the first write takes the
		// database's write lock. Either way the next ping of this host waits here.
		if _, err := tx.NewUpdate().Model((*Host)(nil)).Set("last_ping_at = ?", now).Where("id = ?", h.ID).Exec(ctx); err != nil {
			return fmt.Errorf("lock host %s for its ping: %w", h.ID, err)
		}
	} else if err := s.upsertPingHost(ctx, tx, h, now); err != nil {
		return err
	}
	state, _, err := s.loadPingState(ctx, tx, h, now)
	if err != nil {
		return err
	}
	w, err := decide(state)
	if err != nil {
		return err
	}
	return applyPingWrites(ctx, tx, s.dialect, h.ID, w)
}

func normalizePingHost(h PingHost) PingHost {
	if h.Name == "" {
		h.Name = h.ID
	}
	h.Groups = sortedUnique(h.Groups)
	h.ReportedStageIDs = sortedUnique(h.ReportedStageIDs)
	return h
}

func sortedUnique(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	uniq := out[:0]
	for i, v := range out {
		if v == "" || (i > 0 && out[i-1] == v) {
			continue
		}
		uniq = append(uniq, v)
	}
	return uniq
}

// touchHost moves the host's last-ping time in one statement when its identity and groups
// are as stored, and reports whether it did; false means the host is new or changed.
func (s *Store) touchHost(ctx context.Context, db bun.IDB, h PingHost, now time.Time) (bool, error) {
	cond, args := hostUnchanged("", h)
	res, err := db.NewUpdate().Model((*Host)(nil)).Set("last_ping_at = ?", now).Where(cond, args...).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("record ping of host %s: %w", h.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record ping of host %s: %w", h.ID, err)
	}
	// MySQL counts changed rows only, so a second ping within the same microsecond reads as
	// "changed" and takes the slow path, which is still correct.
	return n == 1, nil
}

// hostUnchanged is the condition, on the hosts row under alias (may be empty), that h's
// identity and groups are as stored. touchHost and the state query share it so that they
// agree on what "unchanged" means.
func hostUnchanged(alias string, h PingHost) (string, []any) {
	if alias != "" {
		alias += "."
	}
	cond := alias + "id = ? AND " + alias + "host_name = ? AND " + alias + "ip = ? AND " +
		alias + "availability_zone = ? AND " + alias + "agent_version = ? AND " +
		"(SELECT COUNT(*) FROM host_groups WHERE host_id = ?) = ?"
	args := []any{h.ID, h.Name, h.IP, h.AvailabilityZone, h.AgentVersion, h.ID, len(h.Groups)}
	if len(h.Groups) > 0 {
		cond += " AND (SELECT COUNT(*) FROM host_groups WHERE host_id = ? AND group_name IN (" + placeholders(len(h.Groups)) + ")) = ?"
		args = append(args, h.ID)
		for _, g := range h.Groups {
			args = append(args, g)
		}
		args = append(args, len(h.Groups))
	}
	return cond, args
}

// upsertPingHost stores a new or changed host and replaces its groups.
func (s *Store) upsertPingHost(ctx context.Context, tx bun.Tx, h PingHost, now time.Time) error {
	row := &Host{ID: h.ID, HostName: h.Name, IP: h.IP, AvailabilityZone: h.AvailabilityZone,
		AgentVersion: h.AgentVersion, CreatedAt: now, LastPingAt: now}
	q := tx.NewInsert().Model(row)
	q = onConflictUpdate(q, s.dialect, "id", "host_name", "ip", "availability_zone", "agent_version", "last_ping_at")
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("record host %s: %w", h.ID, err)
	}
	// Only the difference is written: deleting a new host's (absent) groups would take gap
	// locks that deadlock hosts booting together.
	var stored []string
	if err := tx.NewSelect().Model((*hostGroup)(nil)).Column("group_name").Where("host_id = ?", h.ID).Scan(ctx, &stored); err != nil {
		return fmt.Errorf("read groups of host %s: %w", h.ID, err)
	}
	var removed []string
	for _, g := range stored {
		if !slices.Contains(h.Groups, g) {
			removed = append(removed, g)
		}
	}
	if len(removed) > 0 {
		if _, err := tx.NewDelete().Model((*hostGroup)(nil)).Where("host_id = ? AND group_name IN (?)", h.ID, bun.In(removed)).Exec(ctx); err != nil {
			return fmt.Errorf("record groups of host %s: %w", h.ID, err)
		}
	}
	var added []hostGroup
	for _, g := range h.Groups {
		if !slices.Contains(stored, g) {
			added = append(added, hostGroup{HostID: h.ID, GroupName: g})
		}
	}
	if len(added) > 0 {
		if _, err := tx.NewInsert().Model(&added).Exec(ctx); err != nil {
			return fmt.Errorf("record groups of host %s: %w", h.ID, err)
		}
	}
	return nil
}

// onConflictUpdate turns an insert into an upsert that overwrites cols; conflictKey is
// the comma-separated primary key, which SQLite needs spelled out.
func onConflictUpdate(q *bun.InsertQuery, d Dialect, conflictKey string, cols ...string) *bun.InsertQuery {
	if d == MySQL {
		q = q.On("DUPLICATE KEY UPDATE")
		for _, c := range cols {
			q = q.Set(c + " = VALUES(" + c + ")")
		}
		return q
	}
	q = q.On("CONFLICT (" + conflictKey + ") DO UPDATE")
	for _, c := range cols {
		q = q.Set(c + " = EXCLUDED." + c)
	}
	return q
}

// pingStageRow is one row of the ping's state query; the embed prefixes keep the joined
// tables' columns apart.
type pingStageRow struct {
	Stage            Stage  `bun:"embed:s_"`
	Deploy           Deploy `bun:"embed:d_"`
	Build            Build  `bun:"embed:b_"`
	Agent            Agent  `bun:"embed:a_"`
	Tier             int    `bun:"member_tier"`
	AdmittedDeployID string `bun:"admitted_deploy_id"`
	// HostLastPingAt is the host's last_ping_at when its identity and groups are as the
	// ping says, else NULL; every row carries the same value.
	HostLastPingAt *time.Time `bun:"host_last_ping_at"`
	// The host row's identity columns (NULL when it has no row), the same on every row.
	BindingHostID  *string `bun:"hb_id"`
	BindingSecret  *string `bun:"hb_secret_hash"`
	BindingPending *string `bun:"hb_pending_secret_hash"`
	BindingToken   *string `bun:"hb_bound_token"`
}

// binding is the host identity the row carries.
func (r *pingStageRow) binding() core.HostBinding {
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return core.HostBinding{SecretHash: deref(r.BindingSecret), PendingHash: deref(r.BindingPending),
		BoundToken: deref(r.BindingToken), Known: r.BindingHostID != nil}
}

// pingHostProbe is what the state query learnt about the host row.
type pingHostProbe struct {
	unknown    bool             // the query returned no rows, so it says nothing about the host
	unchanged  bool             // the host exists with the ping's identity and groups
	lastPingAt *time.Time       // its last_ping_at when unchanged
	binding    core.HostBinding // who may speak for the host, unless unknown
}

// loadPingState reads the host's stages with their current deploy and build, its agent
// rows and its admissions, in one prepared statement. It also reads whether the host row is
// unchanged and when it last pinged, saving the steady-state ping a statement.
func (s *Store) loadPingState(ctx context.Context, db bun.IDB, h PingHost, now time.Time) (core.PingState, pingHostProbe, error) {
	var (
		candidates = []string{"SELECT stage_id, 2 AS tier FROM stage_hosts WHERE host_name = ?"}
		args       = []any{h.Name}
	)
	if len(h.Groups) > 0 {
		candidates = append(candidates, "SELECT stage_id, 1 AS tier FROM stage_groups WHERE group_name IN ("+placeholders(len(h.Groups))+")")
		for _, g := range h.Groups {
			args = append(args, g)
		}
	}
	candidates = append(candidates, "SELECT stage_id, 0 AS tier FROM agents WHERE host_id = ?")
	args = append(args, h.ID)
	if len(h.ReportedStageIDs) > 0 {
		candidates = append(candidates, "SELECT id AS stage_id, 0 AS tier FROM stages WHERE id IN ("+placeholders(len(h.ReportedStageIDs))+")")
		for _, id := range h.ReportedStageIDs {
			args = append(args, id)
		}
	}
	// The host probe is read inside transactions too, where it is not needed, so that both
	// calls share one statement text and so one prepared statement.
	cond, condArgs := hostUnchanged("h", h)
	hostColumn := "(SELECT h.last_ping_at FROM hosts AS h WHERE " + cond + ") AS host_last_ping_at"
	args = append(condArgs, args...)
	bindingColumns := "hb.id AS hb_id, hb.secret_hash AS hb_secret_hash, hb.pending_secret_hash AS hb_pending_secret_hash, hb.bound_token AS hb_bound_token"
	query := "SELECT " + s.pingStateColumns() + ", " + hostColumn + ", " + bindingColumns +
		" FROM (SELECT stage_id, MAX(tier) AS tier FROM (" + strings.Join(candidates, " UNION ALL ") + ") AS c GROUP BY stage_id) AS m" +
		" JOIN stages AS s ON s.id = m.stage_id" +
		" LEFT JOIN deploys AS d ON d.id = s.current_deploy_id" +
		" LEFT JOIN builds AS b ON b.id = d.build_id" +
		" LEFT JOIN agents AS a ON a.host_id = ? AND a.stage_id = s.id" +
		" LEFT JOIN host_admissions AS ha ON ha.stage_id = s.id AND ha.host_id = ?" +
		" LEFT JOIN hosts AS hb ON hb.id = ?" +
		" ORDER BY s.env_name, s.stage_name"
	args = append(args, h.ID, h.ID, h.ID)

	// Prepared: this runs on every ping, and its text depends only on the list lengths.
	var rows []pingStageRow
	if err := s.scanPrepared(ctx, db, query, args, &rows); err != nil {
		return core.PingState{}, pingHostProbe{}, fmt.Errorf("read the stages of host %s: %w", h.ID, err)
	}
	host := pingHostProbe{unknown: len(rows) == 0}
	if len(rows) > 0 {
		host.binding = rows[0].binding()
		if rows[0].HostLastPingAt != nil {
			host.unchanged, host.lastPingAt = true, rows[0].HostLastPingAt
		}
	}
	state := core.PingState{Now: now, Stages: make([]core.PingStage, len(rows))}
	for i := range rows {
		r := &rows[i]
		r.Stage.normalize()
		ps := core.PingStage{Stage: r.Stage.Ref(), Membership: core.Membership(r.Tier), AdmittedDeployID: r.AdmittedDeployID}
		if r.Deploy.ID != "" {
			ps.Deploy = &core.DeployRef{ID: r.Deploy.ID, Type: r.Deploy.Type, State: r.Deploy.State, Alias: r.Deploy.AliasDeployID}
			if r.Build.ID != "" {
				ps.Build = r.Build.Ref()
			}
		}
		if r.Agent.HostID != "" {
			a := r.Agent
			ps.Agent = &a
		}
		state.Stages[i] = ps
	}
	core.ResolveMembership(state.Stages)
	return state, host, nil
}

// pingColumns caches the state query's column list, built on first use.
var (
	pingColumnsOnce sync.Once
	pingColumns     string
)

// pingStateColumns is the column list of the state query. Column names come from the
// models' bun tags alone, the same for every store and dialect, so the list is built once
// per process rather than by reflection on every ping.
func (s *Store) pingStateColumns() string {
	pingColumnsOnce.Do(func() {
		pingColumns = strings.Join([]string{
			s.prefixedColumns(reflect.TypeFor[Stage](), "s"),
			s.prefixedColumns(reflect.TypeFor[Deploy](), "d"),
			s.prefixedColumns(reflect.TypeFor[Build](), "b"),
			s.prefixedColumns(reflect.TypeFor[Agent](), "a"),
			"m.tier AS member_tier",
			"COALESCE(ha.deploy_id, '') AS admitted_deploy_id",
		}, ", ")
	})
	return pingColumns
}

// prefixedColumns lists a model's columns as "alias.col AS alias_col" for an embed scan.
func (s *Store) prefixedColumns(model reflect.Type, alias string) string {
	fields := s.db.Table(model).Fields
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = alias + "." + f.Name + " AS " + alias + "_" + f.Name
	}
	return strings.Join(cols, ", ")
}

// agentColumns lists the agents table's model columns under alias a, built once.
func (s *Store) agentColumns() string {
	agentColumnsOnce.Do(func() {
		var cols []string
		for _, f := range s.db.Table(reflect.TypeFor[Agent]()).Fields {
			cols = append(cols, "a."+f.Name)
		}
		agentColumnList = strings.Join(cols, ", ")
	})
	return agentColumnList
}

var (
	agentColumnsOnce sync.Once
	agentColumnList  string
)

// bumpChangeSeq makes an upsert of agent rows count as a change of each row it updates
// (see Store.StageChangeMark); an inserted row starts at the column's default, 1.
func bumpChangeSeq(q *bun.InsertQuery) *bun.InsertQuery {
	// In both dialects' upsert an unqualified column names the stored row.
	return q.Set("change_seq = change_seq + 1")
}

// applyPingWrites stores a ping's agent rows and errors and forgets left stages, one
// statement per kind.
func applyPingWrites(ctx context.Context, tx bun.Tx, d Dialect, hostID string, w core.PingWrites) error {
	if len(w.Agents) > 0 {
		q := bumpChangeSeq(onConflictUpdate(tx.NewInsert().Model(&w.Agents), d, "host_id, stage_id",
			"host_name", "deploy_id", "deploy_stage", "status", "state", "fail_count", "error_code",
			"first_deploy", "started_at", "stage_started_at", "updated_at"))
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("record agent status of host %s: %w", hostID, err)
		}
	}
	if len(w.Errors) > 0 {
		q := onConflictUpdate(tx.NewInsert().Model(&w.Errors), d, "host_id, stage_id",
			"host_name", "error_message", "updated_at")
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("record agent errors of host %s: %w", hostID, err)
		}
	}
	if len(w.Forget) > 0 {
		if _, err := tx.NewDelete().Model((*Agent)(nil)).Where("host_id = ? AND stage_id IN (?)", hostID, bun.In(w.Forget)).Exec(ctx); err != nil {
			return fmt.Errorf("forget left stages of host %s: %w", hostID, err)
		}
		if _, err := tx.NewDelete().Model((*AgentError)(nil)).Where("host_id = ? AND stage_id IN (?)", hostID, bun.In(w.Forget)).Exec(ctx); err != nil {
			return fmt.Errorf("forget errors of left stages of host %s: %w", hostID, err)
		}
	}
	return nil
}
