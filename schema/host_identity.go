package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// identityRow is a host row's identity columns.
type identityRow struct {
	SecretHash  string `bun:"secret_hash"`
	PendingHash string `bun:"pending_secret_hash"`
	BoundToken  string `bun:"bound_token"`
}

// HostBinding returns who may speak for host id hostID; an unknown host is unbound.
func (s *Store) HostBinding(ctx context.Context, hostID string) (core.HostBinding, error) {
	var r identityRow
	err := s.db.NewSelect().Table("hosts").Column("secret_hash", "pending_secret_hash", "bound_token").
		Where("id = ?", hostID).Scan(ctx, &r)
	if errors.Is(err, sql.ErrNoRows) {
		return core.HostBinding{}, nil
	}
	if err != nil {
		return core.HostBinding{}, fmt.Errorf("read the identity of host %s: %w", hostID, err)
	}
	return core.HostBinding{SecretHash: r.SecretHash, PendingHash: r.PendingHash, BoundToken: r.BoundToken, Known: true}, nil
}

// ApplyHostBinding records what core.DecideIdentity decided for a ping of hostID by token
// tokenName, once the ping has created or refreshed the host's row: the token that claimed
// the host, a newly issued pending credential (its hash), or the confirmed one. The first
// claim wins a race: a token is recorded only on a host that has none.
func (s *Store) ApplyHostBinding(ctx context.Context, hostID, tokenName string, d core.IdentityDecision, issuedHash string) error {
	if d.BindToken {
		if _, err := s.db.NewUpdate().Table("hosts").Set("bound_token = ?", tokenName).
			Where("id = ? AND bound_token = ''", hostID).Exec(ctx); err != nil {
			return fmt.Errorf("bind host %s to token %s: %w", hostID, tokenName, err)
		}
	}
	switch {
	case d.Confirm:
		if _, err := s.db.NewUpdate().Table("hosts").Set("secret_hash = pending_secret_hash").Set("pending_secret_hash = ''").
			Where("id = ? AND pending_secret_hash <> '' AND secret_hash = ''", hostID).Exec(ctx); err != nil {
			return fmt.Errorf("bind host %s to its credential: %w", hostID, err)
		}
	case d.Issue && issuedHash != "":
		if _, err := s.db.NewUpdate().Table("hosts").Set("pending_secret_hash = ?", issuedHash).
			Where("id = ? AND secret_hash = ''", hostID).Exec(ctx); err != nil {
			return fmt.Errorf("issue a credential to host %s: %w", hostID, err)
		}
	}
	return nil
}

// ResetHostIdentity unbinds every host id named name (or with that id), so that the next
// ping claims it afresh: what an operator does for a re-imaged machine. It returns how many
// host rows it reset, ENOTFOUND when none matched.
func (s *Store) ResetHostIdentity(ctx context.Context, name string) (int, error) {
	// Counted first: MySQL reports rows changed, not rows matched, and resetting a host
	// that is not bound changes nothing but is no error.
	n, err := s.db.NewSelect().Table("hosts").Where("id = ? OR host_name = ?", name, name).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("find host %s: %w", name, err)
	}
	if n == 0 {
		return 0, core.Errorf(core.ENOTFOUND, "no host named %s has pinged the server", name)
	}
	if _, err := s.db.NewUpdate().Table("hosts").Set("secret_hash = ''").Set("pending_secret_hash = ''").Set("bound_token = ''").
		Where("id = ? OR host_name = ?", name, name).Exec(ctx); err != nil {
		return 0, fmt.Errorf("reset the identity of host %s: %w", name, err)
	}
	return int(n), nil
}
