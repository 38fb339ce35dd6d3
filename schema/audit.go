package schema

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// AuditEntry is one call that tried to change something: who made it, from where, what it
// asked and how it was answered. The trail is append-only: the store can add entries and
// read them, and nothing updates or deletes them.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID         int64     `bun:"id,pk,autoincrement"`
	At         time.Time `bun:"at,notnull"`
	Actor      string    `bun:"actor,notnull"` // the token's name; "" when no valid token came
	Role       string    `bun:"role,notnull"`
	RemoteAddr string    `bun:"remote_addr,notnull"`
	Method     string    `bun:"method,notnull"`
	Route      string    `bun:"route,notnull"` // the route pattern, such as /v1/envs/:env/:stage/deploys
	Path       string    `bun:"path,notnull"`
	EnvName    string    `bun:"env_name,notnull"`
	StageName  string    `bun:"stage_name,notnull"`
	Status     int       `bun:"status,notnull"`
	ErrorCode  string    `bun:"error_code,notnull"` // the refusal's code; "" when it succeeded
	RequestID  string    `bun:"request_id,notnull"`
	// Detail says what a workflow-driven change did (the deploy it started, why); API
	// calls leave it empty, their path says what they asked.
	Detail string `bun:"detail,notnull"`
}

// AuditFilter narrows ListAudit; zero fields do not filter.
type AuditFilter struct {
	EnvName, StageName, Actor string
	Since, Until              time.Time
	Limit, Offset             int
}

// maxAuditPage bounds one page of the trail.
const maxAuditPage = 500

// RecordAudit appends e to the trail, stamping it with the store's clock when it has no time.
func (s *Store) RecordAudit(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.Path = truncate(e.Path, 1024)
	e.RemoteAddr = truncate(e.RemoteAddr, 64)
	e.Actor = truncate(e.Actor, 255)
	e.Detail = truncate(e.Detail, 1024)
	if _, err := s.db.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("record audit entry for %s %s: %w", e.Method, e.Path, err)
	}
	return nil
}

// WorkflowMethod is the Method of the audit entries of changes workflows made by
// themselves; their Route names the change (automatic-rollback, promotion, hosts-stuck).
const WorkflowMethod = "WORKFLOW"

// RecordWorkflowAudit appends e (a change a workflow made) once per e.RequestID: an
// activity that is retried after it recorded finds the entry and adds none.
func (s *Store) RecordWorkflowAudit(ctx context.Context, e *AuditEntry) error {
	if e.RequestID == "" {
		return core.Errorf(core.EINVALID, "a workflow's audit entry needs a request id to be recorded once")
	}
	n, err := s.db.NewSelect().Model((*AuditEntry)(nil)).Where("request_id = ?", e.RequestID).Count(ctx)
	if err != nil {
		return fmt.Errorf("look for audit entry %s: %w", e.RequestID, err)
	}
	if n > 0 {
		return nil
	}
	e.Method = WorkflowMethod
	return s.RecordAudit(ctx, e)
}

// ListAudit returns the trail's entries matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, core.Errorf(core.EINVALID, "limit and offset must not be negative")
	}
	if f.Limit == 0 || f.Limit > maxAuditPage {
		f.Limit = min(max(f.Limit, 100), maxAuditPage)
	}
	out := []AuditEntry{}
	q := s.db.NewSelect().Model(&out).OrderExpr("id DESC").Limit(int64(f.Limit)).Offset(int64(f.Offset))
	if f.EnvName != "" {
		q = q.Where("env_name = ?", f.EnvName)
	}
	if f.StageName != "" {
		q = q.Where("stage_name = ?", f.StageName)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until.UTC())
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read the audit trail: %w", err)
	}
	return out, nil
}

// truncate cuts s to at most n bytes on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
