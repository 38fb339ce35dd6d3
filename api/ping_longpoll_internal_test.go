package api

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// waitFor polls cond, failing the test after a generous guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestPingHubReleasesWaitersAndStops(t *testing.T) {
	st := schematest.SQLite(t)
	ctx, stop := context.WithCancel(t.Context())
	hub := newPingHub(ctx, st, slog.New(slog.DiscardHandler), 10*time.Millisecond)

	// A waiter whose client leaves is unregistered.
	client, leave := context.WithCancel(t.Context())
	woken := make(chan bool, 1)
	go func() { woken <- hub.wait(client, "i-1", []string{"stg"}, time.Now(), nil) }()
	waitFor(t, "the waiter to register", func() bool { return hub.waiting() == 1 })
	leave()
	if <-woken {
		t.Fatal("a waiter whose client left reports a wake-up")
	}
	if n := hub.waiting(); n != 0 {
		t.Fatalf("%d hosts still waiting after the client left", n)
	}

	// An admission wakes the waiter of its host only.
	stage := "stg-web"
	other := make(chan bool, 1)
	go func() { other <- hub.wait(t.Context(), "i-2", nil, time.Now(), nil) }()
	go func() { woken <- hub.wait(t.Context(), "i-1", []string{stage}, time.Now(), nil) }()
	waitFor(t, "both waiters to register", func() bool { return hub.waiting() == 2 })
	if err := st.AdmitHosts(t.Context(), stage, "d2", []string{"i-1"}); err != nil {
		t.Fatal(err)
	}
	if !<-woken {
		t.Fatal("admitted host's waiter was not woken")
	}
	select {
	case <-other:
		t.Fatal("a host that was not admitted was woken")
	case <-time.After(50 * time.Millisecond):
	}

	// A waiter registering after the change was noticed, but whose decision started
	// before, is woken at once: its decision may have missed the change.
	if !hub.wait(t.Context(), "i-1", nil, time.Now().Add(-time.Minute), nil) {
		t.Fatal("late waiter was not woken by a change noticed after its decision started")
	}

	// Stopping the hub releases the remaining waiter.
	stop()
	if <-other {
		t.Fatal("waiter released by the hub stopping reports a wake-up")
	}
	select {
	case <-hub.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the poller did not stop")
	}
}
