package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// auditStore is what the audit trail asks of the store.
type auditStore interface {
	RecordAudit(ctx context.Context, e *schema.AuditEntry) error
	ListAudit(ctx context.Context, f schema.AuditFilter) ([]schema.AuditEntry, error)
}

// audited reports whether a call goes into the audit trail: every call that asks to change
// something, refused or not, except agents' pings, which report on hosts rather than act
// (thousands a second) and are kept as each host's agent rows.
func audited(method, route string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return route != "/v1/system/ping"
	}
	// Signing in changes who may act: the callbacks that open sessions are kept too.
	return route == "/auth/oidc/callback" || route == "/auth/dev"
}

// audit appends every audited call to the trail once it has been answered: who (the
// person's email or the token's name, and the role, when someone authenticated), from where, what (method, route, path,
// environment and stage) and the answer (status and error code). It runs before
// authenticate, so that refused calls are recorded too. A failed write is logged and does
// not change the answer already given.
func (s *server) audit() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		route := c.FullPath()
		if !audited(c.Request.Method, route) {
			return
		}
		e := &schema.AuditEntry{RemoteAddr: c.ClientIP(), Method: c.Request.Method, Route: route,
			Path: c.Request.URL.Path, EnvName: c.Param("env"), StageName: c.Param("stage"), Status: c.Writer.Status(),
			RequestID: requestIDOf(c)}
		if route == "" {
			e.Route = "(no route)"
		}
		if caller := CallerFrom(c); caller != nil {
			e.Actor = caller.Name()
			// A token's role is its own; a person's, the one they hold where they acted.
			if caller.Token != nil {
				e.Role = caller.Token.Role
			} else {
				e.Role, _ = caller.roleIn(e.EnvName)
			}
		}
		if target, ok := c.Get(auditTargetKey{}); ok {
			st := target.([2]string)
			e.EnvName, e.StageName = st[0], st[1]
		}
		if code, ok := c.Get(errorCodeKey{}); ok {
			e.ErrorCode, _ = code.(string)
		}
		// The request's context may already be cancelled by a client that left.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
		defer cancel()
		if err := s.auditLog.RecordAudit(ctx, e); err != nil {
			s.logger.LogAttrs(ctx, slog.LevelError, "could not record the audit entry",
				slog.String("method", e.Method), slog.String("path", e.Path), slog.String("error", err.Error()))
		}
	}
}

// auditTargetKey holds the stage a call acts on when its path does not name it.
type auditTargetKey struct{}

// noteAuditTarget tells the audit trail which stage a call acts on, for the routes that
// name it in their body rather than their path (creating a stage).
func noteAuditTarget(c *gin.Context, env, stage string) {
	c.Set(auditTargetKey{}, [2]string{env, stage})
}

// AuditEntry is one entry of the audit trail as the API shows it.
type AuditEntry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	RemoteAddr string    `json:"remoteAddr"`
	Method     string    `json:"method"`
	Route      string    `json:"route"`
	Path       string    `json:"path"`
	EnvName    string    `json:"envName"`
	StageName  string    `json:"stageName"`
	Status     int       `json:"status"`
	ErrorCode  string    `json:"errorCode,omitempty"`
	RequestID  string    `json:"requestId"`
	// Detail says what a workflow-driven change did; empty for API calls.
	Detail string `json:"detail,omitempty"`
}

// auditList is the body of GET /v1/audit.
type auditList struct {
	Entries []AuditEntry `json:"entries"`
}

// listAudit answers GET /v1/audit: the trail, newest first, filtered by env, stage, actor
// and a time range (since, until: RFC 3339). A token scoped to one environment sees only
// that environment's entries and must say so with env.
func (s *server) listAudit(c *gin.Context) {
	limit, offset, err := queryPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := schema.AuditFilter{EnvName: c.Query("env"), StageName: c.Query("stage"), Actor: c.Query("actor"), Limit: limit, Offset: offset}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := strings.TrimSpace(c.Query(p.name)); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.fail(c, core.FieldErrorf(p.name, "must be an RFC 3339 time such as 2026-12-01T10:00:00Z, not %q", v))
				return
			}
			*p.dst = t
		}
	}
	if f.StageName != "" && f.EnvName == "" {
		s.fail(c, core.FieldErrorf("stage", "needs env: a stage name is unique only within its environment"))
		return
	}
	if caller := CallerFrom(c); caller != nil {
		if t := caller.Token; t != nil && t.Scope != "*" && t.Scope != "" && f.EnvName != t.Scope {
			s.fail(c, core.Errorf(core.EFORBIDDEN, "token %q may read only environment %s's audit trail: add env=%s", t.Name, t.Scope, t.Scope))
			return
		}
		if caller.Person != nil {
			if role, _ := caller.roleIn(f.EnvName); !allows(role, schema.RoleOperator) {
				where := "environment " + f.EnvName + "'s"
				if f.EnvName == "" {
					where = "every environment's"
				}
				s.fail(c, core.Errorf(core.EFORBIDDEN, "%s may not read %s audit trail: it needs OPERATOR there (filter with env= for an environment where you have it)", caller.Name(), where))
				return
			}
		}
	}
	entries, err := s.auditLog.ListAudit(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := auditList{Entries: make([]AuditEntry, len(entries))}
	for i, e := range entries {
		out.Entries[i] = auditEntryJSON(&e)
	}
	c.JSON(http.StatusOK, out)
}
