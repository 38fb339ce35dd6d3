// Package schema is the application's store: bun models, migrations for MySQL and SQLite,
// and the queries the API, the activities and the ping handler run.
package schema

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Dialect names the SQL engine behind a Store.
type Dialect string

// The two supported engines.
const (
	MySQL  Dialect = "mysql"
	SQLite Dialect = "sqlite"
)

// Store is the application's database. It is safe for concurrent use.
type Store struct {
	db       *bun.DB
	dialect  Dialect
	now      func() time.Time
	prepared preparedStatements
}

// Open connects to the database named by dsn and checks that it answers. A dsn starting with
// "sqlite:" names a SQLite file (created if missing; "sqlite::memory:" for a private in-memory
// database); anything else is a go-sql-driver/mysql DSN such as
// "user:pass@tcp(127.0.0.1:3306)/teletraan", optionally prefixed with "mysql://".
func Open(ctx context.Context, dsn string) (*Store, error) {
	var (
		sqldb   *sql.DB
		dialect Dialect
		err     error
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		dialect = SQLite
		sqldb, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	case dsn == "":
		return nil, core.Errorf(core.EINVALID, "database DSN is empty: set TELETRAAN_DB_DSN (MySQL) or use sqlite:<file>")
	default:
		dialect = MySQL
		sqldb, err = openMySQL(strings.TrimPrefix(dsn, "mysql://"))
	}
	if err != nil {
		return nil, err
	}
	var db *bun.DB
	if dialect == SQLite {
		db = bun.NewDB(sqldb, sqlitedialect.New())
	} else {
		db = bun.NewDB(sqldb, mysqldialect.New())
	}
	s := &Store{db: db, dialect: dialect, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, core.Errorf(core.EINVALID, "sqlite DSN has no file name: use sqlite:<path> or sqlite::memory:")
	}
	var dsn string
	if path == ":memory:" {
		// A private in-memory database lives as long as its one connection.
		dsn = "file::memory:?_pragma=foreign_keys(1)&_time_format=sqlite"
	} else {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("create directory for SQLite database %s: %w", path, err)
			}
		}
		dsn = "file:" + url.PathEscape(path) +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_time_format=sqlite"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	// SQLite has one writer; a single connection turns lock contention into queueing
	// instead of SQLITE_BUSY errors under concurrent pings.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	return db, nil
}

func openMySQL(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, core.Errorf(core.EINVALID, "database DSN is not a valid MySQL DSN (user:pass@tcp(host:3306)/db): %v", err)
	}
	if cfg.DBName == "" {
		return nil, core.Errorf(core.EINVALID, "MySQL DSN %q names no database: append /<database>", cfg.FormatDSN())
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("configure MySQL connection: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(64)
	db.SetMaxIdleConns(32)
	db.SetConnMaxLifetime(5 * time.Minute)
	return db, nil
}

// Dialect reports which engine the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the bun handle for packages that own their own queries (the ping path).
func (s *Store) DB() *bun.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return &core.Error{Code: core.EUNAVAILABLE, Message: fmt.Sprintf("database is unreachable (%s): %v", s.dialect, err)}
	}
	return nil
}

// Close releases the connection pool.
func (s *Store) Close() error {
	s.prepared.close()
	return s.db.Close()
}

// SetClock replaces the store's clock; tests use it to make timestamps predictable.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.db.RunInTx(ctx, nil, fn)
}

// forUpdate locks the selected rows on MySQL; SQLite needs no row locks because a
// transaction there already holds the database's single write lock.
func (s *Store) forUpdate(q *bun.SelectQuery) *bun.SelectQuery {
	if s.dialect == MySQL {
		return q.For("UPDATE")
	}
	return q
}
