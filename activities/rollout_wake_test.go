package activities_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// wakeStore counts AwaitWave's stage reads and change probes, and can act right after a
// read, as a report that lands while the read is in progress would.
type wakeStore struct {
	activities.Store
	reads, probes atomic.Int64
	afterRead     func(n int64)
}

func (w *wakeStore) RolloutHosts(ctx context.Context, stageID string) ([]schema.StageHost, error) {
	hosts, err := w.Store.RolloutHosts(ctx, stageID)
	if n := w.reads.Add(1); w.afterRead != nil {
		w.afterRead(n)
	}
	return hosts, err
}

func (w *wakeStore) StageChangeMark(ctx context.Context, stageID string, since time.Time) (schema.StageChangeMark, error) {
	w.probes.Add(1)
	return w.Store.StageChangeMark(ctx, stageID, since)
}

// wakeFixture is stage hello/prod with one host, h-1, admitted to deploy d1 and running its
// download; AwaitWave's backstop read is an hour away, so only a report can end the wave.
type wakeFixture struct {
	f     *rolloutFixture
	store *wakeStore
	env   *testsuite.TestActivityEnvironment
}

func newWakeFixture(t *testing.T) *wakeFixture {
	st, stage, _ := setup(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	f := &rolloutFixture{st: st, stage: stage, now: now}
	st.SetClock(f.clock)
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"h-1"}}, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"d0", "d1"} {
		if err := st.CreateDeploy(ctx, &schema.Deploy{ID: id, StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b-" + id, Type: core.TypeRegular}); err != nil {
			t.Fatal(err)
		}
	}
	// h-1 serves the build before, so d1 must admit it.
	f.report(t, "d0", protocol.StageServingBuild, protocol.StatusSucceeded)
	f.env = (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	f.env.RegisterActivity(&activities.Activities{Store: st, Now: f.clock})
	if res := f.admit(t, waveInput(1, 100)); res.Admitted != 1 {
		t.Fatalf("admitted %+v, want h-1", res)
	}
	f.report(t, "d1", protocol.StageDownloading, protocol.StatusUnknown)

	w := &wakeFixture{f: f, store: &wakeStore{Store: st}}
	w.env = (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	w.env.RegisterActivity(&activities.Activities{Store: w.store, Now: f.clock, PollInterval: time.Hour,
		ChangeProbeInterval: 2 * time.Millisecond, MaxWait: time.Hour})
	return w
}

// report writes h-1's agent row on deploy, stamped now as a ping's would be.
func (f *rolloutFixture) report(t *testing.T, deploy, stage, status string) {
	now := f.clock()
	f.agentOn(t, "h-1", &schema.Agent{DeployID: deploy, DeployStage: stage, Status: status, StartedAt: now, StageStartedAt: now, UpdatedAt: now})
}

// await runs AwaitWave and returns its counts; it fails the test if the wave is not over
// within a minute, which with an hour-long backstop means a report was not noticed.
func (w *wakeFixture) await(t *testing.T) core.WaveCounts {
	t.Helper()
	in := waveInput(1, 100)
	in.StageID = w.f.stage.ID
	type result struct {
		c   core.WaveCounts
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := w.env.ExecuteActivity(acts.AwaitWave, in)
		var c core.WaveCounts
		if err == nil {
			err = v.Get(&c)
		}
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("AwaitWave: %v", r.err)
		}
		return r.c
	case <-time.After(time.Minute):
		t.Fatalf("AwaitWave still waits after the last host reported (%d reads, %d probes): the report was not noticed",
			w.store.reads.Load(), w.store.probes.Load())
	}
	return core.WaveCounts{}
}

func TestAWaveEndsWhenItsLastHostReports(t *testing.T) {
	w := newWakeFixture(t)
	var once sync.Once
	// The host reports once AwaitWave has read the stage and is probing for changes.
	go func() {
		for w.store.probes.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		once.Do(func() { w.f.report(t, "d1", protocol.StageServingBuild, protocol.StatusSucceeded) })
	}()
	c := w.await(t)
	if c.Succeeded != 1 || c.InFlight != 0 {
		t.Fatalf("counts %+v, want h-1 succeeded", c)
	}
	if got := w.store.reads.Load(); got != 2 {
		t.Fatalf("AwaitWave read the stage %d times; once before and once after the report is all it needs", got)
	}
}

func TestAReportDuringTheStageReadIsNotMissed(t *testing.T) {
	w := newWakeFixture(t)
	// The report lands after the first read took its rows and before AwaitWave decides on
	// them: the read says "in flight", and only the change mark taken before it can tell.
	w.store.afterRead = func(n int64) {
		if n == 1 {
			w.f.report(t, "d1", protocol.StageServingBuild, protocol.StatusSucceeded)
		}
	}
	if c := w.await(t); c.Succeeded != 1 {
		t.Fatalf("counts %+v, want h-1 succeeded", c)
	}
}
