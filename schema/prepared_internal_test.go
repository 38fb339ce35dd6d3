package schema

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

func openTestSQLite(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func (p *preparedStatements) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.stmts)
}

func TestPingStateQueriesArePreparedOncePerShape(t *testing.T) {
	st := openTestSQLite(t)
	ctx := context.Background()
	stage := &Stage{EnvName: "web", StageName: "prod", StageConfig: DefaultStageConfig("web", "prod")}
	if err := st.CreateStage(ctx, stage, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCapacity(ctx, "web", "prod", Capacity{Groups: []string{"web"}}, "alice"); err != nil {
		t.Fatal(err)
	}
	noop := func(core.PingState) (core.PingWrites, error) { return core.PingWrites{}, nil }
	var stages int
	count := func(s core.PingState) (core.PingWrites, error) { stages = len(s.Stages); return core.PingWrites{}, nil }
	for i := range 5 {
		// Each host is new, so every ping also runs the transactional half, which reuses
		// the statement the first half prepared.
		h := PingHost{ID: "h" + string(rune('a'+i)), Name: "web-" + string(rune('a'+i)), Groups: []string{"web"}}
		if err := st.RecordPing(ctx, h, count); err != nil {
			t.Fatal(err)
		}
		if stages != 1 {
			t.Fatalf("ping %d saw %d stages, want web/prod", i, stages)
		}
	}
	if n := st.prepared.size(); n != 1 {
		t.Fatalf("%d statements prepared for pings of one shape, want 1", n)
	}
	if err := st.RecordPing(ctx, PingHost{ID: "hz", Name: "web-z", Groups: []string{"web", "canary"}}, noop); err != nil {
		t.Fatal(err)
	}
	if n := st.prepared.size(); n != 2 {
		t.Fatalf("%d statements prepared after a ping with two groups, want 2", n)
	}
}

// TestAStatementNewInsideATransactionRunsUnprepared guards against the deadlock of
// preparing on SQLite's one connection while a transaction holds it.
func TestAStatementNewInsideATransactionRunsUnprepared(t *testing.T) {
	st := openTestSQLite(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []struct {
		N int `bun:"n"`
	}
	err := st.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return st.scanPrepared(ctx, tx, "SELECT ? + 1 AS n", []any{41}, &got)
	})
	if err != nil || len(got) != 1 || got[0].N != 42 {
		t.Fatalf("in a transaction: %v, %+v", err, got)
	}
	if n := st.prepared.size(); n != 0 {
		t.Fatalf("a statement was prepared from inside a transaction")
	}
	// Outside one it is prepared, and then reused inside one.
	if err := st.scanPrepared(ctx, st.db, "SELECT ? + 1 AS n", []any{1}, &got); err != nil || got[0].N != 2 {
		t.Fatalf("outside a transaction: %v, %+v", err, got)
	}
	err = st.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return st.scanPrepared(ctx, tx, "SELECT ? + 1 AS n", []any{2}, &got)
	})
	if err != nil || got[0].N != 3 || st.prepared.size() != 1 {
		t.Fatalf("prepared statement in a transaction: %v, %+v, %d prepared", err, got, st.prepared.size())
	}
}

func TestAFullStatementCacheRunsQueriesUnprepared(t *testing.T) {
	st := openTestSQLite(t)
	ctx := context.Background()
	var got []struct {
		N int `bun:"n"`
	}
	for i := range maxPreparedStatements + 3 {
		q := "SELECT ? + " + string(rune('0'+i%10)) + " AS n /* " + string(rune('a'+i%26)) + string(rune('a'+i/26)) + " */"
		if err := st.scanPrepared(ctx, st.db, q, []any{1}, &got); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		if want := 1 + i%10; got[0].N != want {
			t.Fatalf("query %d = %d, want %d", i, got[0].N, want)
		}
	}
	if n := st.prepared.size(); n != maxPreparedStatements {
		t.Fatalf("%d statements prepared, want the bound %d", n, maxPreparedStatements)
	}
}
