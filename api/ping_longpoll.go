package api

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults of the ping hub.
const (
	// defaultPingWakeInterval is how often a replica looks for admissions and new deploys
	// while pings are held: the delay it adds to goal delivery, against 4-5 small queries a
	// second per replica.
	defaultPingWakeInterval = 250 * time.Millisecond
	// pingChangeLookback is how far behind the newest change seen the poller looks again:
	// writers stamp rows with their own clocks and commit out of order, so a row may appear
	// with a timestamp older than one already seen.
	pingChangeLookback = 5 * time.Second
	// pingEventMemory is how long a noticed change can still wake a ping that registers
	// late, i.e. whose decision started before the change was noticed.
	pingEventMemory = 30 * time.Second
)

// pingHub wakes held pings when their host is admitted or one of their stages gets a new
// current deploy. Changes are found by polling the database, so a change written by the
// deploy workflow or another replica is seen; one poller serves every held ping of the
// replica, so the database cost does not grow with the number of waiting agents, and it
// polls only while some ping is held.
type pingHub struct {
	store    pingStore
	logger   *slog.Logger
	interval time.Duration
	parent   context.Context // the router's lifetime; the poller stops when it ends

	startOnce sync.Once
	done      chan struct{} // closed when the poller has stopped

	mu       sync.Mutex
	byHost   map[string]map[*pingWaiter]struct{}
	byStage  map[string]map[*pingWaiter]struct{}
	hostSeen map[string]time.Time // host → when an admission of it was noticed (local clock)
	stageSaw map[string]time.Time // stage → when a change of it was noticed (local clock)
	rowsSeen map[string]time.Time // change key → its row timestamp, to notice each change once
	admitted map[string]admission // host → its latest noticed admission, for the delivery metric
}

// admission is one noticed admission of a host: to which deploy, stamped by the writer.
type admission struct {
	deployID string
	at       time.Time
}

// pingWaiter is one held ping.
type pingWaiter struct {
	hostID   string
	stageIDs []string
	wake     chan struct{} // buffered: a wake-up is never lost nor blocks the poller
}

func newPingHub(ctx context.Context, store pingStore, logger *slog.Logger, interval time.Duration) *pingHub {
	if ctx == nil {
		ctx = context.Background()
	}
	if interval <= 0 {
		interval = defaultPingWakeInterval
	}
	return &pingHub{
		store: store, logger: logger, interval: interval, parent: ctx,
		done:     make(chan struct{}),
		byHost:   map[string]map[*pingWaiter]struct{}{},
		byStage:  map[string]map[*pingWaiter]struct{}{},
		hostSeen: map[string]time.Time{},
		stageSaw: map[string]time.Time{},
		rowsSeen: map[string]time.Time{},
		admitted: map[string]admission{},
	}
}

// wait holds the caller until a change that may concern hostID or one of stageIDs is
// noticed after since (when the caller's decision started), and reports whether it was
// woken; false means timeout fired, ctx ended or the hub stopped.
func (h *pingHub) wait(ctx context.Context, hostID string, stageIDs []string, since time.Time, timeout <-chan time.Time) bool {
	h.startOnce.Do(func() { go h.run() })
	w := &pingWaiter{hostID: hostID, stageIDs: stageIDs, wake: make(chan struct{}, 1)}
	h.register(w, since)
	defer h.unregister(w)
	select {
	case <-w.wake:
		return true
	case <-timeout:
	case <-ctx.Done():
	case <-h.done:
	}
	return false
}

// register adds w, waking it at once when a change it cares about was noticed after its
// decision started: that change may have committed too late for the decision to see it.
func (h *pingHub) register(w *pingWaiter, since time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	add := func(index map[string]map[*pingWaiter]struct{}, key string) {
		if index[key] == nil {
			index[key] = map[*pingWaiter]struct{}{}
		}
		index[key][w] = struct{}{}
	}
	add(h.byHost, w.hostID)
	missed := h.hostSeen[w.hostID].After(since)
	for _, id := range w.stageIDs {
		add(h.byStage, id)
		missed = missed || h.stageSaw[id].After(since)
	}
	if missed {
		w.wake <- struct{}{}
	}
}

func (h *pingHub) unregister(w *pingWaiter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	remove := func(index map[string]map[*pingWaiter]struct{}, key string) {
		delete(index[key], w)
		if len(index[key]) == 0 {
			delete(index, key)
		}
	}
	remove(h.byHost, w.hostID)
	for _, id := range w.stageIDs {
		remove(h.byStage, id)
	}
}

// waiting returns the number of held pings' hosts, which tests use to know a ping is held.
func (h *pingHub) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byHost)
}

// run polls for changes until the router's context ends, then releases every held ping.
func (h *pingHub) run() {
	defer close(h.done)
	ticker := time.NewTicker(h.interval)
	defer ticker.Stop()
	var newest time.Time // newest row timestamp seen; zero while no ping is held
	for {
		select {
		case <-h.parent.Done():
			return
		case <-ticker.C:
		}
		if h.waiting() == 0 {
			// Nobody to wake: skip the queries and start from "now" when pings are held again.
			newest = time.Time{}
			continue
		}
		if newest.IsZero() {
			newest = time.Now().UTC()
		}
		next, err := h.poll(newest)
		if err != nil {
			if h.parent.Err() == nil {
				h.logger.LogAttrs(h.parent, slog.LevelWarn, "ping hub: polling for admissions failed; held pings fall back to their timeout",
					slog.String("error", err.Error()))
			}
			continue
		}
		newest = next
	}
}

// poll reads the changes since newest minus the lookback, wakes the pings they concern
// and returns the new newest timestamp.
func (h *pingHub) poll(newest time.Time) (time.Time, error) {
	ctx, cancel := context.WithTimeout(h.parent, 10*h.interval+time.Second)
	defer cancel()
	since := newest.Add(-pingChangeLookback)
	changes, err := h.store.PingChangesSince(ctx, since)
	if err != nil {
		return newest, err
	}
	noticed := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	fresh := func(key string, stamp time.Time) bool {
		if stamp.After(newest) {
			newest = stamp
		}
		if _, ok := h.rowsSeen[key]; ok {
			return false
		}
		h.rowsSeen[key] = stamp
		return true
	}
	for _, a := range changes.Admissions {
		if fresh(fmt.Sprintf("a/%s/%s/%s/%d", a.StageID, a.HostID, a.DeployID, a.AdmittedAt.UnixNano()), a.AdmittedAt) {
			h.hostSeen[a.HostID] = noticed
			h.admitted[a.HostID] = admission{deployID: a.DeployID, at: a.AdmittedAt}
			for w := range h.byHost[a.HostID] {
				w.signal()
			}
		}
	}
	for _, s := range changes.Stages {
		if fresh(fmt.Sprintf("s/%s/%s/%d", s.StageID, s.CurrentDeployID, s.UpdatedAt.UnixNano()), s.UpdatedAt) {
			h.stageSaw[s.StageID] = noticed
			for w := range h.byStage[s.StageID] {
				w.signal()
			}
		}
	}
	// Forget what can no longer be returned or wake anyone, so that memory stays bounded by
	// the changes of the last few seconds.
	for k, stamp := range h.rowsSeen {
		if stamp.Before(since) {
			delete(h.rowsSeen, k)
		}
	}
	for _, m := range []map[string]time.Time{h.hostSeen, h.stageSaw} {
		for k, at := range m {
			if noticed.Sub(at) > pingEventMemory {
				delete(m, k)
			}
		}
	}
	for k := range h.admitted {
		if _, ok := h.hostSeen[k]; !ok {
			delete(h.admitted, k)
		}
	}
	return newest, nil
}

// admittedAt returns when hostID was admitted to deployID, as the admission row says, if
// this hub noticed that admission in the last pingEventMemory; it is forgotten once asked
// for, so that a delivery is measured once.
func (h *pingHub) admittedAt(hostID, deployID string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.admitted[hostID]
	if !ok || a.deployID != deployID {
		return time.Time{}, false
	}
	delete(h.admitted, hostID)
	return a.at, true
}

// signal wakes the waiter unless a wake-up is already pending.
func (w *pingWaiter) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}
