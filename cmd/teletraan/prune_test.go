package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// recordingPruner remembers the cutoffs it was asked to prune before.
type recordingPruner struct {
	mu            sync.Mutex
	cutoffs       []time.Time
	sessionPasses int
}

func (p *recordingPruner) PruneSilentHosts(_ context.Context, cutoff time.Time) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutoffs = append(p.cutoffs, cutoff)
	return 1, nil
}

// PruneSessions counts the passes that deleted expired sessions.
func (p *recordingPruner) PruneSessions(context.Context) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessionPasses++
	return 0, nil
}

func (p *recordingPruner) calls() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.cutoffs...)
}

func TestHostPrunerPrunesAtOnceThenStopsWithItsContext(t *testing.T) {
	p := &recordingPruner{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now().UTC()
	go func() { runHostPruner(ctx, p, 48*time.Hour, slog.New(slog.DiscardHandler)); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(p.calls()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	calls := p.calls()
	if len(calls) == 0 {
		t.Fatal("the pruner did not prune when it started")
	}
	if want := start.Add(-48 * time.Hour); calls[0].Before(want.Add(-time.Minute)) || calls[0].After(want.Add(time.Minute)) {
		t.Fatalf("pruned before %s, want about %s", calls[0], want)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the pruner did not stop with its context")
	}
	// Disabled: returns at once without pruning.
	off := &recordingPruner{}
	runHostPruner(context.Background(), off, 0, slog.New(slog.DiscardHandler))
	if len(off.calls()) != 0 {
		t.Fatal("a disabled pruner pruned")
	}
}

func TestPruneAfterMustLeaveHostsTimeToComeBack(t *testing.T) {
	for after, ok := range map[time.Duration]bool{0: true, time.Hour: true, 168 * time.Hour: true, 10 * time.Minute: false, -time.Hour: false} {
		if err := checkPruneAfter(after); (err == nil) != ok {
			t.Errorf("checkPruneAfter(%s) = %v, want ok %v", after, err, ok)
		}
	}
}
