package schema

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// Token roles. The access-control rules that tell them apart are enforced by the API.
const (
	RoleAdmin     = "ADMIN"
	RoleOperator  = "OPERATOR"
	RolePublisher = "PUBLISHER"
	RolePinger    = "PINGER"
	RoleReader    = "READER"
	// RoleAlerter may only post alerts to stages (POST .../alerts), and read.
	RoleAlerter = "ALERTER"
)

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool {
	switch r {
	case RoleAdmin, RoleOperator, RolePublisher, RolePinger, RoleReader, RoleAlerter:
		return true
	}
	return false
}

// Token is an API credential. Only the SHA-256 of its secret is stored.
type Token struct {
	bun.BaseModel `bun:"table:tokens"`

	ID        string     `bun:"id,pk" json:"id"`
	Name      string     `bun:"name,notnull" json:"name"`
	Hash      string     `bun:"hash,notnull" json:"-"`
	Role      string     `bun:"role,notnull" json:"role"`
	Scope     string     `bun:"scope,notnull" json:"scope"`
	CreatedBy string     `bun:"created_by,notnull" json:"createdBy"`
	CreatedAt time.Time  `bun:"created_at,notnull" json:"createdAt"`
	ExpiresAt *time.Time `bun:"expires_at" json:"expiresAt,omitempty"`
}

// HashTokenSecret returns the stored form of a token secret.
func HashTokenSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewTokenSecret returns a fresh random token secret.
func NewTokenSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("schema: crypto/rand failed: " + err.Error())
	}
	return "tt_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// TokenSpec describes a token to create.
type TokenSpec struct {
	Name      string
	Role      string
	Scope     string // "*" or an environment name
	CreatedBy string
	ExpiresAt *time.Time
	// Secret, when set, is stored instead of a fresh random one (the dev stack reuses the
	// admin token it saved in its data directory).
	Secret string
}

// CreateToken stores a token and returns its secret, which is shown once and never stored.
// A token with the same name is an core.ECONFLICT error unless spec.Secret re-creates it as is.
func (s *Store) CreateToken(ctx context.Context, spec TokenSpec) (string, *Token, error) {
	if err := ValidateName("name", spec.Name); err != nil {
		return "", nil, err
	}
	if !ValidRole(spec.Role) {
		return "", nil, core.FieldErrorf("role", "%q is not a role: use ADMIN, OPERATOR, PUBLISHER, PINGER, ALERTER or READER", spec.Role)
	}
	if spec.Scope == "" {
		spec.Scope = "*"
	}
	if spec.Scope != "*" {
		if err := ValidateName("scope", spec.Scope); err != nil {
			return "", nil, err
		}
	}
	secret := spec.Secret
	if secret == "" {
		secret = NewTokenSecret()
	} else if len(secret) < 16 {
		return "", nil, core.FieldErrorf("secret", "is shorter than 16 characters")
	}
	t := &Token{ID: NewID(), Name: spec.Name, Hash: HashTokenSecret(secret), Role: spec.Role, Scope: spec.Scope,
		CreatedBy: spec.CreatedBy, CreatedAt: s.now(), ExpiresAt: spec.ExpiresAt}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		existing := new(Token)
		err := tx.NewSelect().Model(existing).Where("name = ?", spec.Name).Scan(ctx)
		switch {
		case err == nil && existing.Hash == t.Hash && existing.Role == t.Role && existing.Scope == t.Scope:
			*t = *existing
			return nil
		case err == nil:
			return core.Errorf(core.ECONFLICT, "a token named %s already exists: revoke it first or pick another name", spec.Name)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("create token %s: %w", spec.Name, err)
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			if isDuplicate(err) {
				return core.Errorf(core.ECONFLICT, "a token named %s already exists", spec.Name)
			}
			return fmt.Errorf("create token %s: %w", spec.Name, err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Authenticate returns the token whose secret is given, or an core.EUNAUTHORIZED error.
func (s *Store) Authenticate(ctx context.Context, secret string) (*Token, error) {
	if secret == "" {
		return nil, core.Errorf(core.EUNAUTHORIZED, "no token given: send Authorization: Bearer <token>")
	}
	t := new(Token)
	err := s.db.NewSelect().Model(t).Where("hash = ?", HashTokenSecret(secret)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "the token is not valid (unknown or revoked)")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate token: %w", err)
	}
	if err := s.CheckTokenExpiry(t); err != nil {
		return nil, err
	}
	return t, nil
}

// CheckTokenExpiry returns an core.EUNAUTHORIZED error when t has expired by the store's clock.
// Callers that cache authenticated tokens run it on every use, so that expiry is not
// delayed by their cache.
func (s *Store) CheckTokenExpiry(t *Token) error {
	if t.ExpiresAt != nil && !s.now().Before(*t.ExpiresAt) {
		return core.Errorf(core.EUNAUTHORIZED, "token %s expired at %s", t.Name, t.ExpiresAt.Format(time.RFC3339))
	}
	return nil
}

// ListTokens returns all tokens (without secrets), ordered by name.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	out := []Token{}
	if err := s.db.NewSelect().Model(&out).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken deletes the named token.
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	res, err := s.db.NewDelete().Model((*Token)(nil)).Where("name = ?", name).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return core.Errorf(core.ENOTFOUND, "token %s does not exist", name)
	}
	return nil
}
