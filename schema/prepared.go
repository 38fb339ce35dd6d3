package schema

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
)

// maxPreparedStatements bounds the statements a store keeps prepared. The ping's state
// query has one text per shape of its IN lists (how many groups, how many reported
// stages), so a fleet needs a handful; past the bound, queries run unprepared. MySQL
// holds a statement per connection (up to 64 per store), and its max_prepared_stmt_count
// (16,382 by default) is shared by every server and worker.
const maxPreparedStatements = 32

// preparedStatements keeps statements that run on every ping prepared, so that the
// database parses and plans them once per connection instead of on every call (bun
// interpolates arguments into the text, which makes every call a new statement). Parsing
// the ping's 70-column state query was over a third of a ping's CPU on SQLite.
type preparedStatements struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// lookup returns the prepared statement of query, if there is one. A nil statement that
// is found marks a query the database refused to prepare: it runs unprepared from then on.
func (p *preparedStatements) lookup(query string) (*sql.Stmt, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.stmts[query]
	return st, ok
}

// prepare prepares query on db and keeps it; ok is false when the cache is full or the
// database refused to prepare, and the caller runs the query unprepared. The lock is not held while preparing: preparing may
// wait for a connection that a transaction holds, and that transaction may be looking up
// a statement.
func (p *preparedStatements) prepare(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, bool) {
	if st, ok := p.lookup(query); ok {
		return st, true
	}
	p.mu.Lock()
	full := len(p.stmts) >= maxPreparedStatements
	p.mu.Unlock()
	if full {
		return nil, false
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		var refused *mysql.MySQLError
		if errors.As(err, &refused) {
			// The server refused (MySQL's max_prepared_stmt_count, say): remember it, so
			// that every later call does not ask again. Other failures (a dropped
			// connection) are tried again next time.
			p.mu.Lock()
			if _, ok := p.stmts[query]; !ok {
				if p.stmts == nil {
					p.stmts = map[string]*sql.Stmt{}
				}
				p.stmts[query] = nil
			}
			p.mu.Unlock()
		}
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if other, ok := p.stmts[query]; ok && other != nil {
		// Another caller prepared it meanwhile.
		_ = st.Close()
		return other, true
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[query] = st
	return st, true
}

// close closes every prepared statement.
func (p *preparedStatements) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.stmts {
		if st != nil {
			_ = st.Close()
		}
		delete(p.stmts, q)
	}
}

// scanPrepared runs query, whose arguments are plain values bound to its '?' placeholders,
// as a prepared statement on db (the store's database or one of its transactions) and
// scans the rows into dest as bun would. Statements are prepared outside transactions
// only: on SQLite's single connection, preparing on the database from inside a
// transaction would wait for the connection the transaction holds. Inside one, a statement
// prepared before is reused on the transaction's connection, and a new one runs unprepared.
func (s *Store) scanPrepared(ctx context.Context, db bun.IDB, query string, args []any, dest any) error {
	tx, inTx := db.(bun.Tx)
	stmt, ok := s.prepared.lookup(query)
	if !ok && !inTx {
		stmt, ok = s.prepared.prepare(ctx, s.db.DB, query)
	}
	if !ok || stmt == nil {
		return db.NewRaw(query, args...).Scan(ctx, dest)
	}
	if inTx {
		stmt = tx.StmtContext(ctx, stmt)
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		// database/sql prepares the statement again on a connection that has not seen it,
		// which the database may refuse; outside a transaction (where nothing was rolled
		// back) and unless the caller gave up, the unprepared query may still answer. If it
		// fails too, the first error is the one callers look at.
		if inTx || ctx.Err() != nil {
			return err
		}
		if rawErr := db.NewRaw(query, args...).Scan(ctx, dest); rawErr != nil {
			return err
		}
		return nil
	}
	return s.db.ScanRows(ctx, rows, dest)
}

// placeholders returns n comma-separated '?' for an IN list of n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
