package schema

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// How a session was opened.
const (
	// SessionViaOIDC sessions belong to a person who signed in at the OpenID provider.
	SessionViaOIDC = "oidc"
	// SessionViaProxy sessions belong to a person a trusted reverse proxy named.
	SessionViaProxy = "proxy"
	// SessionViaToken sessions act as an API token pasted on the sign-in page.
	SessionViaToken = "token"
	// SessionViaDev sessions belong to the local user of `teletraan dev`.
	SessionViaDev = "dev"
)

// Session is a signed-in browser. The cookie holds a random secret; only its SHA-256 is
// stored, so the table holds nothing a thief could send. A session either names a person
// (email, groups: their roles come from the server's role mapping at each request, so a
// changed mapping applies at once) or a token (TokenID: revoking the token ends it).
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID          string    `bun:"id,pk"` // the hash of the cookie's secret
	Subject     string    `bun:"subject,notnull"`
	Email       string    `bun:"email,notnull"`
	DisplayName string    `bun:"display_name,notnull"`
	GroupsJSON  string    `bun:"groups_json,notnull"`
	TokenID     string    `bun:"token_id,notnull"`
	Via         string    `bun:"via,notnull"`
	CSRF        string    `bun:"csrf,notnull"` // sent back by the board on every change
	CreatedAt   time.Time `bun:"created_at,notnull"`
	ExpiresAt   time.Time `bun:"expires_at,notnull"`
}

// Groups returns the identity provider's groups of the session's person.
func (s *Session) Groups() []string {
	var gs []string
	_ = json.Unmarshal([]byte(s.GroupsJSON), &gs)
	return gs
}

// SessionSpec describes a session to open.
type SessionSpec struct {
	Subject, Email, DisplayName string
	Groups                      []string
	TokenID                     string
	Via                         string
	TTL                         time.Duration
}

// maxSessionGroups bounds the groups kept per session: an identity provider that sends
// thousands is cut rather than let one row grow without bound.
const maxSessionGroups = 200

// CreateSession opens a session and returns the cookie's secret (shown once, never stored)
// with the session.
func (s *Store) CreateSession(ctx context.Context, spec SessionSpec) (string, *Session, error) {
	if spec.TTL <= 0 {
		return "", nil, core.Errorf(core.EINVALID, "a session needs a positive lifetime")
	}
	if spec.Email == "" && spec.TokenID == "" {
		return "", nil, core.Errorf(core.EINVALID, "a session needs a person's email or a token")
	}
	groups := spec.Groups
	if len(groups) > maxSessionGroups {
		groups = groups[:maxSessionGroups]
	}
	if groups == nil {
		groups = []string{}
	}
	gj, err := json.Marshal(groups)
	if err != nil {
		return "", nil, fmt.Errorf("encode session groups: %w", err)
	}
	secret := NewTokenSecret()
	now := s.now()
	sess := &Session{ID: HashTokenSecret(secret), Subject: truncate(spec.Subject, 255), Email: truncate(spec.Email, 255),
		DisplayName: truncate(spec.DisplayName, 255), GroupsJSON: string(gj), TokenID: spec.TokenID, Via: spec.Via,
		CSRF: HashTokenSecret(NewTokenSecret()), CreatedAt: now, ExpiresAt: now.Add(spec.TTL)}
	if _, err := s.db.NewInsert().Model(sess).Exec(ctx); err != nil {
		return "", nil, fmt.Errorf("open a session for %s: %w", spec.Email, err)
	}
	return secret, sess, nil
}

// SessionBySecret returns the open session whose cookie secret is given, or an
// core.EUNAUTHORIZED error saying why there is none (unknown, signed out, expired).
func (s *Store) SessionBySecret(ctx context.Context, secret string) (*Session, error) {
	sess := new(Session)
	err := s.db.NewSelect().Model(sess).Where("id = ?", HashTokenSecret(secret)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the session is not valid (signed out or unknown): sign in again")
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the session expired at %s: sign in again", sess.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return sess, nil
}

// TokenByID returns the token with id, or an core.EUNAUTHORIZED error when it was revoked
// or has expired (a session opened with it then ends).
func (s *Store) TokenByID(ctx context.Context, id string) (*Token, error) {
	t := new(Token)
	err := s.db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the token this session signed in with was revoked: sign in again")
	}
	if err != nil {
		return nil, fmt.Errorf("read token %s: %w", id, err)
	}
	if err := s.CheckTokenExpiry(t); err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteSession ends the session whose cookie secret is given; ending one that is already
// gone is not an error (signing out twice is harmless).
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	if _, err := s.db.NewDelete().Model((*Session)(nil)).Where("id = ?", HashTokenSecret(secret)).Exec(ctx); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// PruneSessions deletes the sessions that expired before now and returns how many.
func (s *Store) PruneSessions(ctx context.Context) (int, error) {
	res, err := s.db.NewDelete().Model((*Session)(nil)).Where("expires_at < ?", s.now()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// EndSessionsOf ends every board session of the person with email (case-insensitive), for
// someone who must lose access now rather than when their session runs out, and returns
// how many ended.
func (s *Store) EndSessionsOf(ctx context.Context, email string) (int, error) {
	if email == "" {
		return 0, core.FieldErrorf("email", "is required")
	}
	res, err := s.db.NewDelete().Model((*Session)(nil)).Where("LOWER(email) = LOWER(?)", email).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("end the sessions of %s: %w", email, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
