package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// DeployHost is one host's part in one deploy: the wave that admitted it and how it ended.
// Wave 0 holds hosts that joined the stage and installed without an admission. Unlike
// host_admissions, these rows stay when a newer deploy admits the host.
type DeployHost struct {
	bun.BaseModel `bun:"table:deploy_hosts"`

	DeployID     string     `bun:"deploy_id,pk" json:"deployId"`
	HostID       string     `bun:"host_id,pk" json:"hostId"`
	HostName     string     `bun:"host_name,notnull" json:"hostName"`
	Wave         int        `bun:"wave,notnull" json:"wave"`
	AdmittedAt   time.Time  `bun:"admitted_at,notnull" json:"admittedAt"`
	Outcome      string     `bun:"outcome,notnull" json:"outcome"`
	ErrorMessage string     `bun:"error_message,notnull" json:"errorMessage"`
	FinishedAt   *time.Time `bun:"finished_at" json:"finishedAt,omitempty"`
}

// HostOutcome is how one host of a deploy stands, as the deploy's activities last saw it.
type HostOutcome = core.HostOutcome

// recordWave gives the hosts deployID admits that it has not recorded yet the deploy's next
// wave number, in the admission's transaction. Hosts already recorded keep theirs, so a
// retried admission that adds nobody uses no new number.
func (s *Store) recordWave(ctx context.Context, tx bun.Tx, deployID string, hostIDs []string, now time.Time) error {
	recorded, err := deployHostsByID(ctx, tx, deployID, hostIDs)
	if err != nil {
		return err
	}
	var fresh []string
	for _, h := range hostIDs {
		if _, ok := recorded[h]; !ok {
			fresh = append(fresh, h)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	var last sql.NullInt64
	if err := tx.NewSelect().Model((*DeployHost)(nil)).ColumnExpr("MAX(wave)").Where("deploy_id = ?", deployID).Scan(ctx, &last); err != nil {
		return fmt.Errorf("read the last wave of deploy %s: %w", deployID, err)
	}
	wave := int(last.Int64) + 1
	names, err := hostNames(ctx, tx, fresh)
	if err != nil {
		return err
	}
	rows := make([]DeployHost, len(fresh))
	for i, h := range fresh {
		rows[i] = DeployHost{DeployID: deployID, HostID: h, HostName: names[h], Wave: wave, AdmittedAt: now}
	}
	_, err = insertDeployHosts(ctx, tx, rows)
	return err
}

// RecordHostOutcomes records how hosts of deploy deployID stand and returns how many rows
// it wrote: only rows whose outcome or error text changed. A host marked Joined (one that
// joined the stage and installed without an admission) gets a wave-0 row if it has none.
// A final outcome stamps finished_at; a host back in flight (retried) has it cleared.
// Nothing is read first: each distinct outcome is one UPDATE that skips rows already
// holding it, because this runs every second of a deploy on the database the pings share.
func (s *Store) RecordHostOutcomes(ctx context.Context, deployID string, outcomes []HostOutcome) (int, error) {
	if deployID == "" {
		return 0, core.Errorf(core.EINVALID, "record host outcomes: deploy id is required")
	}
	latest := map[string]HostOutcome{}
	for _, o := range outcomes {
		if o.HostID != "" {
			latest[o.HostID] = o
		}
	}
	if len(latest) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(latest))
	for id := range latest {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	now := s.now()
	// Hosts that change to the same outcome and text share one UPDATE: a wave that
	// finishes together is one statement, not one per host.
	type change struct{ outcome, message string }
	changed := map[change][]string{}
	var order []change
	var joined []DeployHost
	for _, id := range ids {
		o := latest[id]
		if o.Joined {
			h := DeployHost{DeployID: deployID, HostID: id, HostName: o.HostName, AdmittedAt: now, Outcome: o.Outcome, ErrorMessage: o.ErrorMessage}
			if h.HostName == "" {
				h.HostName = id
			}
			if core.IsFinalOutcome(o.Outcome) {
				h.FinishedAt = &now
			}
			joined = append(joined, h)
		}
		k := change{o.Outcome, o.ErrorMessage}
		if _, seen := changed[k]; !seen {
			order = append(order, k)
		}
		changed[k] = append(changed[k], id)
	}
	written := 0
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		inserted, err := insertDeployHosts(ctx, tx, joined)
		if err != nil {
			return err
		}
		written = inserted
		for _, k := range order {
			var finished *time.Time
			if core.IsFinalOutcome(k.outcome) {
				finished = &now
			}
			for _, chunk := range chunks(changed[k], 500) {
				if k.outcome == core.OutcomeStuck {
					if err := auditStuckHosts(ctx, tx, deployID, chunk, k.message, now); err != nil {
						return err
					}
				}
				res, err := tx.NewUpdate().Model((*DeployHost)(nil)).
					Set("outcome = ?", k.outcome).Set("error_message = ?", k.message).Set("finished_at = ?", finished).
					Where("deploy_id = ? AND host_id IN (?)", deployID, bun.In(chunk)).
					Where("(outcome <> ? OR error_message <> ?)", k.outcome, k.message).Exec(ctx)
				if err != nil {
					return fmt.Errorf("record outcome %q of %d hosts of deploy %s: %w", k.outcome, len(chunk), deployID, err)
				}
				n, err := res.RowsAffected()
				if err != nil {
					return fmt.Errorf("record outcome %q of %d hosts of deploy %s: %w", k.outcome, len(chunk), deployID, err)
				}
				written += int(n)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return written, nil
}

// wave and host name; none (not an error) for an unknown deploy.
func (s *Store) ListDeployHosts(ctx context.Context, deployID string) ([]DeployHost, error) {
	out := []DeployHost{}
	if err := s.db.NewSelect().Model(&out).Where("deploy_id = ?", deployID).Order("wave", "host_name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list hosts of deploy %s: %w", deployID, err)
	}
	return out, nil
}

// DeployWave is the hosts one admission of a deploy let start, with a tally of how they
// stand. Wave 0 holds the hosts that installed without an admission.
type DeployWave struct {
	Wave int
	// AdmittedAt is the wave's earliest admission (for wave 0, when a host was first seen).
	AdmittedAt                         time.Time
	Hosts                              []DeployHost
	Succeeded, Failed, Stuck, InFlight int
}

// DeployWaves groups a deploy's hosts into waves in wave order, each wave's hosts by name.
func DeployWaves(hosts []DeployHost) []DeployWave {
	sorted := append([]DeployHost(nil), hosts...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Wave != sorted[j].Wave {
			return sorted[i].Wave < sorted[j].Wave
		}
		return sorted[i].HostName < sorted[j].HostName
	})
	var out []DeployWave
	for _, h := range sorted {
		if len(out) == 0 || out[len(out)-1].Wave != h.Wave {
			out = append(out, DeployWave{Wave: h.Wave, AdmittedAt: h.AdmittedAt})
		}
		w := &out[len(out)-1]
		w.Hosts = append(w.Hosts, h)
		if h.AdmittedAt.Before(w.AdmittedAt) {
			w.AdmittedAt = h.AdmittedAt
		}
		switch h.Outcome {
		case core.OutcomeSucceeded:
			w.Succeeded++
		case core.OutcomeFailed:
			w.Failed++
		case core.OutcomeStuck:
			w.Stuck++
		default:
			w.InFlight++
		}
	}
	return out
}

// deployHostsByID reads the rows deployID holds for hostIDs, by host id.
func deployHostsByID(ctx context.Context, db bun.IDB, deployID string, hostIDs []string) (map[string]DeployHost, error) {
	out := make(map[string]DeployHost, len(hostIDs))
	for _, chunk := range chunks(hostIDs, 500) {
		var rows []DeployHost
		if err := db.NewSelect().Model(&rows).Where("deploy_id = ? AND host_id IN (?)", deployID, bun.In(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read %d hosts of deploy %s: %w", len(chunk), deployID, err)
		}
		for _, r := range rows {
			out[r.HostID] = r
		}
	}
	return out, nil
}

// hostNames maps host ids to names; a host that never pinged is named by its id.
func hostNames(ctx context.Context, db bun.IDB, hostIDs []string) (map[string]string, error) {
	out := make(map[string]string, len(hostIDs))
	for _, id := range hostIDs {
		out[id] = id
	}
	for _, chunk := range chunks(hostIDs, 500) {
		var rows []Host
		if err := db.NewSelect().Model(&rows).Column("id", "host_name").Where("id IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read names of %d hosts: %w", len(chunk), err)
		}
		for _, h := range rows {
			out[h.ID] = h.HostName
		}
	}
	return out, nil
}

// insertDeployHosts inserts rows in chunks and returns how many it inserted; a row that
// exists already (a concurrent attempt of the same activity, a host seen before) is left
// as it is.
func insertDeployHosts(ctx context.Context, db bun.IDB, rows []DeployHost) (int, error) {
	inserted := 0
	for len(rows) > 0 {
		n := min(500, len(rows))
		chunk := rows[:n]
		rows = rows[n:]
		res, err := db.NewInsert().Model(&chunk).Ignore().Exec(ctx)
		if err != nil {
			return inserted, fmt.Errorf("record %d hosts of deploy %s: %w", len(chunk), chunk[0].DeployID, err)
		}
		if k, err := res.RowsAffected(); err == nil {
			inserted += int(k)
		}
	}
	return inserted, nil
}

// auditStuckHosts records in the audit trail, in the transaction that marks them, the hosts
// of ids that are about to be marked stuck on deployID: the system's change, made by the
// deploy's wait for its hosts. Hosts already marked are left out, so a retried wait that
// marks nobody new records nothing.
func auditStuckHosts(ctx context.Context, tx bun.Tx, deployID string, ids []string, message string, now time.Time) error {
	var fresh []string
	if err := tx.NewSelect().Model((*DeployHost)(nil)).Column("host_id").
		Where("deploy_id = ? AND host_id IN (?) AND outcome <> ?", deployID, bun.In(ids), core.OutcomeStuck).
		Order("host_id").Scan(ctx, &fresh); err != nil {
		return fmt.Errorf("find the hosts of deploy %s newly stuck: %w", deployID, err)
	}
	if len(fresh) == 0 {
		return nil
	}
	d := new(Deploy)
	if err := tx.NewSelect().Model(d).Column("env_name", "stage_name").Where("id = ?", deployID).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read deploy %s: %w", deployID, err)
	}
	names := fresh
	more := ""
	if len(names) > 10 {
		names, more = names[:10], fmt.Sprintf(" and %d more", len(fresh)-10)
	}
	detail := fmt.Sprintf("deploy %s marked %d host(s) stuck: %s%s", deployID, len(fresh), strings.Join(names, ", "), more)
	if message != "" {
		detail += " (" + message + ")"
	}
	e := &AuditEntry{At: now, Actor: core.SystemActor, Role: core.SystemActor, Method: WorkflowMethod, Route: "hosts-stuck",
		Path: "/v1/deploys/" + deployID + "/hosts", EnvName: d.EnvName, StageName: d.StageName, Status: 200,
		RequestID: "stuck:" + deployID + ":" + fresh[0], Detail: truncate(detail, 1024)}
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("record the stuck hosts of deploy %s in the audit trail: %w", deployID, err)
	}
	return nil
}
