package schema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

const migrationsTable = "teletraan_migrations"

func (s *Store) migrations() (*migrate.Migrations, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, fmt.Errorf("load %s migrations: %w", s.dialect, err)
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("load %s migrations: %w", s.dialect, err)
	}
	return ms, nil
}

func (s *Store) migrator() (*migrate.Migrator, error) {
	ms, err := s.migrations()
	if err != nil {
		return nil, err
	}
	return migrate.NewMigrator(s.db, ms,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationsTable+"_locks"),
		migrate.WithMarkAppliedOnSuccess(true),
	), nil
}

// SchemaStatus describes how the database's schema relates to the migrations this binary
// knows.
type SchemaStatus struct {
	Applied []string // known migrations already applied
	Pending []string // known migrations not yet applied
	Unknown []string // applied migrations this binary does not know (a newer binary ran them)
}

// SchemaStatus reads the applied migrations and compares them with the embedded ones.
func (s *Store) SchemaStatus(ctx context.Context) (SchemaStatus, error) {
	m, err := s.migrator()
	if err != nil {
		return SchemaStatus{}, err
	}
	if err := m.Init(ctx); err != nil {
		return SchemaStatus{}, fmt.Errorf("create migrations table: %w", err)
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("read applied migrations: %w", err)
	}
	var st SchemaStatus
	known := map[string]bool{}
	for _, mig := range ms {
		known[mig.Name] = true
		if mig.IsApplied() {
			st.Applied = append(st.Applied, mig.Name)
		} else {
			st.Pending = append(st.Pending, mig.Name)
		}
	}
	applied, err := m.AppliedMigrations(ctx)
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("read applied migrations: %w", err)
	}
	for _, mig := range applied {
		if !known[mig.Name] {
			st.Unknown = append(st.Unknown, mig.Name)
		}
	}
	sort.Strings(st.Unknown)
	return st, nil
}

// Migrate applies every pending migration and returns the names it applied. It is idempotent,
// and it refuses to touch a database that a newer version of teletraan has migrated.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		return nil, err
	}
	if len(st.Unknown) > 0 {
		return nil, core.Errorf(core.ECONFLICT, "the database schema is newer than this teletraan binary (it has migrations %s that this binary does not know): upgrade teletraan instead of migrating", strings.Join(st.Unknown, ", "))
	}
	if len(st.Pending) == 0 {
		return nil, nil
	}
	m, err := s.migrator()
	if err != nil {
		return nil, err
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("take the migration lock (another `teletraan migrate` running?): %w", err)
	}
	defer func() { _ = m.Unlock(context.WithoutCancel(ctx)) }()
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	var names []string
	for _, mig := range group.Migrations {
		names = append(names, mig.Name)
	}
	return names, nil
}

// CheckSchema returns nil when the database is exactly at this binary's schema version, and
// an error that says which command fixes it otherwise. Servers and workers call it at start.
func (s *Store) CheckSchema(ctx context.Context) error {
	st, err := s.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	if len(st.Unknown) > 0 {
		return core.Errorf(core.ECONFLICT, "the database schema is newer than this teletraan binary (unknown migrations %s): upgrade teletraan", strings.Join(st.Unknown, ", "))
	}
	if len(st.Pending) > 0 {
		return core.Errorf(core.ECONFLICT, "the database schema is behind this teletraan binary (%d pending migrations, first %s): run `teletraan migrate` first", len(st.Pending), st.Pending[0])
	}
	return nil
}
