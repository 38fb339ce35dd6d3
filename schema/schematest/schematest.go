// Package schematest opens real, migrated stores for tests: a SQLite file always, and a
// fresh MySQL/MariaDB database when TELETRAAN_TEST_MYSQL_DSN names a server.
package schematest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// MySQLEnv is the environment variable naming the MySQL server the tests may use, as a
// go-sql-driver DSN such as "root@tcp(127.0.0.1:3306)/test".
const MySQLEnv = "TELETRAAN_TEST_MYSQL_DSN"

// SQLite returns a migrated store on a fresh SQLite file in t's temp dir.
func SQLite(t testing.TB) *schema.Store {
	t.Helper()
	ctx := context.Background()
	st, err := schema.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatalf("open SQLite store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate SQLite store: %v", err)
	}
	return st
}

// MySQLDSN returns a DSN for a new, empty database on the server named by
// TELETRAAN_TEST_MYSQL_DSN, dropped when t ends. Without the variable it skips t, except
// under CI=true, where a missing database is a failure: CI must never skip these silently.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(MySQLEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI=true: .ci/run must start MariaDB and set it", MySQLEnv)
		}
		t.Skipf("%s not set; MySQL store tests skipped (set it to e.g. root@tcp(127.0.0.1:3306)/test)", MySQLEnv)
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s is not a valid DSN: %v", MySQLEnv, err)
	}
	name := fmt.Sprintf("tt_test_%s", strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(schema.NewID()))[:16])
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("connect to %s: %v", MySQLEnv, err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create test database on %s: %v", cfg.Addr, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name)
			_ = db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// MySQL returns a migrated store on a fresh MySQL database (see MySQLDSN).
func MySQL(t testing.TB) *schema.Store {
	t.Helper()
	ctx := context.Background()
	st, err := schema.Open(ctx, MySQLDSN(t))
	if err != nil {
		t.Fatalf("open MySQL store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate MySQL store: %v", err)
	}
	return st
}

// Each runs fn once per available engine as a subtest named after it.
func Each(t *testing.T, fn func(t *testing.T, st *schema.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("mysql", func(t *testing.T) { fn(t, MySQL(t)) })
}
