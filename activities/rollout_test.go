package activities_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// t0 is when the deploy under test was created; the store's clock stands still there.
var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// rolloutFixture is a stage of nine hosts in every situation a deploy meets.
type rolloutFixture struct {
	st    *schema.Store
	stage *schema.Stage
	env   *testsuite.TestActivityEnvironment
	mu    sync.Mutex
	now   time.Time
}

func (f *rolloutFixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *rolloutFixture) setNow(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// agentOn writes host's agent row in the stage (nil: the host pings but has none).
func (f *rolloutFixture) agentOn(t *testing.T, host string, a *schema.Agent) {
	t.Helper()
	err := f.st.RecordPing(context.Background(), schema.PingHost{ID: host}, func(core.PingState) (core.PingWrites, error) {
		if a == nil {
			return core.PingWrites{}, nil
		}
		row := *a
		row.HostID, row.HostName, row.StageID = host, host, f.stage.ID
		if row.State == "" {
			row.State = core.AgentNormal
		}
		if row.StartedAt.IsZero() {
			row.StartedAt, row.StageStartedAt, row.UpdatedAt = t0, t0, t0
		}
		return core.PingWrites{Agents: []schema.Agent{row}}, nil
	})
	if err != nil {
		// Errorf, not Fatalf: tests call this from a goroutine too.
		t.Errorf("write agent of %s: %v", host, err)
	}
}

// newRolloutFixture sets up stage hello/prod with deploy d0 served everywhere it ran and a
// new current deploy d1:
//
//	h-a serves d1 (succeeded)             h-b failed on d1 (PAUSED_BY_SYSTEM)
//	h-c, h-d, h-e serve d0 (wait)         h-f pinged, never served the stage (installs at once)
//	h-g never pinged (installs at once)   h-h on d1, RESTARTING for 20 minutes (stuck)
//	h-i serves d0, paused by a person (held)
func newRolloutFixture(t *testing.T) *rolloutFixture {
	st, stage, _ := setup(t)
	ctx := context.Background()
	f := &rolloutFixture{st: st, stage: stage, now: t0.Add(time.Minute)}
	st.SetClock(func() time.Time { return t0 })
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"h-a", "h-b", "h-c", "h-d", "h-e", "h-f", "h-g", "h-h", "h-i"}}, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"d0", "d1"} {
		if err := st.CreateDeploy(ctx, &schema.Deploy{ID: id, StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: "b-" + id, Type: core.TypeRegular}); err != nil {
			t.Fatal(err)
		}
	}
	serving := func(deploy string) *schema.Agent {
		return &schema.Agent{DeployID: deploy, DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded}
	}
	f.agentOn(t, "h-a", serving("d1"))
	f.agentOn(t, "h-b", &schema.Agent{DeployID: "d1", DeployStage: protocol.StageDownloading, Status: protocol.StatusTooManyRetry, State: core.AgentPausedBySystem})
	for _, h := range []string{"h-e", "h-c", "h-d"} {
		f.agentOn(t, h, serving("d0"))
	}
	f.agentOn(t, "h-f", nil)
	stuck := t0.Add(-20 * time.Minute)
	f.agentOn(t, "h-h", &schema.Agent{DeployID: "d1", DeployStage: protocol.StageRestarting, Status: protocol.StatusUnknown, StartedAt: stuck, StageStartedAt: stuck, UpdatedAt: stuck})
	paused := serving("d0")
	paused.State = core.AgentPausedByUser
	f.agentOn(t, "h-i", paused)

	var s testsuite.WorkflowTestSuite
	f.env = s.NewTestActivityEnvironment()
	f.env.RegisterActivity(&activities.Activities{Store: st, Now: f.clock, PollInterval: time.Millisecond, MaxWait: 5 * time.Second})
	return f
}

func waveInput(window, threshold int) activities.WaveInput {
	return activities.WaveInput{DeployID: "d1", EnvName: "hello", StageName: "prod", Window: window, SuccessThreshold: threshold, StuckTimeoutSeconds: 600}
}

func (f *rolloutFixture) admit(t *testing.T, in activities.WaveInput) activities.AdmitWaveResult {
	t.Helper()
	in.StageID = f.stage.ID
	v, err := f.env.ExecuteActivity(acts.AdmitWave, in)
	if err != nil {
		t.Fatalf("AdmitWave: %v", err)
	}
	var res activities.AdmitWaveResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *rolloutFixture) admitted(t *testing.T) []string {
	t.Helper()
	adm, err := f.st.DeployAdmissions(context.Background(), f.stage.ID, "d1")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range adm {
		ids = append(ids, a.HostID)
	}
	return ids
}

func TestStartRolloutReadsSettingsAndRecordsTotal(t *testing.T) {
	f := newRolloutFixture(t)
	ctx := context.Background()
	if _, err := f.st.UpdateStageConfig(ctx, "hello", "prod", func(c *schema.StageConfig) {
		c.MaxParallel, c.MaxParallelPct, c.SuccessThreshold, c.StuckTimeoutSeconds, c.BakeTimeSeconds = 4, 30, 90, 300, 60
		c.OnFailure, c.Alarms = core.FailureRollback, []schema.Alarm{{Name: "errors", URL: "https://alarms.example.com/errors"}}
	}, "alice"); err != nil {
		t.Fatal(err)
	}
	v, err := f.env.ExecuteActivity(acts.StartRollout, activities.StartRolloutInput{DeployID: "d1", StageID: f.stage.ID, EnvName: "hello", StageName: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.StartRolloutResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	want := activities.StartRolloutResult{Total: 9, Settings: activities.RolloutSettings{MaxParallel: 4, MaxParallelPct: 30, SuccessThreshold: 90, StuckTimeoutSeconds: 300, BakeTimeSeconds: 60,
		OnFailure: core.FailureRollback, Alarms: []activities.Alarm{{Name: "errors", URL: "https://alarms.example.com/errors"}},
		Guarded: true, GuardIntervalSeconds: 15}}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("StartRollout = %+v, want %+v", res, want)
	}
	if d, _ := f.st.GetDeploy(ctx, "d1"); d.Total != 9 {
		t.Fatalf("deploy total = %d, want 9", d.Total)
	}
}

func TestAdmitWaveAdmitsWaitingHostsByNameWithinTheWindow(t *testing.T) {
	f := newRolloutFixture(t)
	// In flight before any admission: h-f and h-g (new to the stage) and h-h (stuck).
	res := f.admit(t, waveInput(4, 100))
	want := activities.AdmitWaveResult{Admitted: 1, Counts: core.WaveCounts{Total: 9, Succeeded: 1, Failed: 1, InFlight: 4, Remaining: 2, Stuck: 1}}
	if res != want {
		t.Fatalf("first wave = %+v\nwant        %+v", res, want)
	}
	if got := f.admitted(t); len(got) != 1 || got[0] != "h-c" {
		t.Fatalf("admitted = %v, want [h-c]: the first waiting host by name", got)
	}
	// A retry of the same wave finds h-c in flight and admits nobody else.
	if again := f.admit(t, waveInput(4, 100)); again.Admitted != 0 || again.Counts != want.Counts {
		t.Fatalf("retried wave = %+v", again)
	}
	// A wider window takes the rest; the paused host h-i is never admitted.
	if res := f.admit(t, waveInput(10, 100)); res.Admitted != 2 || res.Counts.Remaining != 0 || res.Counts.InFlight != 6 {
		t.Fatalf("second wave = %+v", res)
	}
	if got := f.admitted(t); len(got) != 3 || got[0] != "h-c" || got[1] != "h-d" || got[2] != "h-e" {
		t.Fatalf("admitted = %v, want h-c h-d h-e", got)
	}
	// A host that reaches SERVING_BUILD of d1 moves from in flight to succeeded.
	f.agentOn(t, "h-c", &schema.Agent{DeployID: "d1", DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded})
	if res := f.admit(t, waveInput(10, 100)); res.Admitted != 0 || res.Counts.Succeeded != 2 || res.Counts.InFlight != 5 {
		t.Fatalf("after h-c finished = %+v", res)
	}
}

func TestAwaitWaveDetectsStuckHostsWithTheClock(t *testing.T) {
	f := newRolloutFixture(t)
	f.admit(t, waveInput(4, 100)) // h-c admitted at t0
	// Eleven minutes after the deploy started, h-f and h-g (installing since then), h-c
	// (admitted then) and h-h have all made no progress for the 10-minute stuck timeout.
	f.setNow(t0.Add(11 * time.Minute))
	in := waveInput(4, 100)
	in.StageID = f.stage.ID
	v, err := f.env.ExecuteActivity(acts.AwaitWave, in)
	if err != nil {
		t.Fatal(err)
	}
	var c core.WaveCounts
	if err := v.Get(&c); err != nil {
		t.Fatal(err)
	}
	want := core.WaveCounts{Total: 9, Succeeded: 1, Failed: 1, InFlight: 4, Remaining: 2, Stuck: 4}
	if c != want {
		t.Fatalf("counts = %+v\nwant     %+v", c, want)
	}
	d, _ := f.st.GetDeploy(context.Background(), "d1")
	if d.Total != 9 || d.Succeeded != 1 || d.Failed != 5 {
		t.Fatalf("deploy row counts = %d/%d/%d, want total 9, succeeded 1, failed 5 (stuck included)", d.Total, d.Succeeded, d.Failed)
	}
}

func TestAwaitWaveReturnsWhenASlotFreesUp(t *testing.T) {
	f := newRolloutFixture(t)
	f.admit(t, waveInput(4, 0))
	// With threshold 50 the one failure and one stuck host are tolerated; the window of 4
	// is full, so AwaitWave polls until a host finishes.
	in := waveInput(4, 50)
	in.StageID = f.stage.ID
	go func() {
		time.Sleep(100 * time.Millisecond)
		f.agentOn(t, "h-c", &schema.Agent{DeployID: "d1", DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded})
	}()
	start := time.Now()
	v, err := f.env.ExecuteActivity(acts.AwaitWave, in)
	if err != nil {
		t.Fatal(err)
	}
	var c core.WaveCounts
	if err := v.Get(&c); err != nil {
		t.Fatal(err)
	}
	if c.Succeeded != 2 || c.InFlight != 3 || c.Remaining != 2 {
		t.Fatalf("counts = %+v, want h-c succeeded and a free slot", c)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond || waited > 4*time.Second {
		t.Fatalf("AwaitWave returned after %v; it should poll until h-c finished", waited)
	}
	if d, _ := f.st.GetDeploy(context.Background(), "d1"); d.Succeeded != 2 {
		t.Fatalf("deploy row succeeded = %d, want 2", d.Succeeded)
	}
}

func TestAwaitWaveResumesItsDeadlineFromHeartbeats(t *testing.T) {
	f := newRolloutFixture(t)
	f.admit(t, waveInput(4, 0))
	in := waveInput(4, 50)
	in.StageID = f.stage.ID
	// A retry of an attempt that started MaxWait ago returns at once with the counts,
	// although nothing is decided: retries must not extend the wait.
	f.env.SetHeartbeatDetails(struct{ Since time.Time }{Since: f.clock().Add(-5 * time.Second)})
	start := time.Now()
	v, err := f.env.ExecuteActivity(acts.AwaitWave, in)
	if err != nil {
		t.Fatal(err)
	}
	var c core.WaveCounts
	if err := v.Get(&c); err != nil {
		t.Fatal(err)
	}
	if c.InFlight != 4 || c.Remaining != 2 {
		t.Fatalf("counts = %+v", c)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("resumed AwaitWave waited %v; its deadline had passed", waited)
	}
}

// deployHosts renders d1's deploy_hosts rows as "name:wave:outcome", in wave and name order.
func (f *rolloutFixture) deployHosts(t *testing.T) (string, map[string]schema.DeployHost) {
	t.Helper()
	rows, err := f.st.ListDeployHosts(context.Background(), "d1")
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	byName := map[string]schema.DeployHost{}
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s:%d:%s", r.HostName, r.Wave, r.Outcome))
		byName[r.HostName] = r
	}
	return strings.Join(parts, " "), byName
}

func (f *rolloutFixture) await(t *testing.T, in activities.WaveInput) core.WaveCounts {
	t.Helper()
	in.StageID = f.stage.ID
	v, err := f.env.ExecuteActivity(acts.AwaitWave, in)
	if err != nil {
		t.Fatalf("AwaitWave: %v", err)
	}
	var c core.WaveCounts
	if err := v.Get(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAwaitWaveRecordsEachHostsOutcome(t *testing.T) {
	f := newRolloutFixture(t)
	err := f.st.RecordPing(context.Background(), schema.PingHost{ID: "h-b"}, func(core.PingState) (core.PingWrites, error) {
		return core.PingWrites{Errors: []schema.AgentError{{HostID: "h-b", StageID: f.stage.ID, HostName: "h-b", ErrorMessage: "download: 404 Not Found", UpdatedAt: t0}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.admit(t, waveInput(4, 100)) // h-c, wave 1
	if got, want := func() string { s, _ := f.deployHosts(t); return s }(), "h-c:1:"; got != want {
		t.Fatalf("after the admission: %q, want %q", got, want)
	}
	// Eleven minutes on, h-c, h-f and h-h are stuck; h-g never pinged, so it has no id to
	// record; h-d and h-e wait and h-i is held, so they are not part of the deploy yet.
	f.setNow(t0.Add(11 * time.Minute))
	f.await(t, waveInput(4, 100))
	got, rows := f.deployHosts(t)
	if want := "h-a:0:SUCCEEDED h-b:0:FAILED h-f:0:STUCK h-h:0:STUCK h-c:1:STUCK"; got != want {
		t.Fatalf("deploy hosts = %q\nwant           %q", got, want)
	}
	for name, want := range map[string]string{
		"h-a": "",
		"h-b": "download: 404 Not Found",
		"h-c": "admitted at 2026-11-26 12:00:00 UTC and not started within the stuck timeout (10m0s)",
		"h-f": "not started since the deploy began at 2026-11-26 12:00:00 UTC (stuck timeout 10m0s)",
		"h-h": "no progress in RESTARTING since 2026-11-26 11:40:00 UTC (stuck timeout 10m0s)",
	} {
		if r := rows[name]; r.ErrorMessage != want || r.FinishedAt == nil {
			t.Errorf("%s: error %q, finished %v; want %q and a finish time", name, r.ErrorMessage, r.FinishedAt, want)
		}
	}
	// Within one attempt, h-c finishing is written on the next poll; the others are not
	// rewritten, so their finish times stay.
	later := t0.Add(time.Hour)
	f.st.SetClock(func() time.Time { return later })
	go func() {
		time.Sleep(50 * time.Millisecond)
		f.agentOn(t, "h-c", &schema.Agent{DeployID: "d1", DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded})
	}()
	// Threshold 30: neither succeeding (2 of 9) nor failing (5 of 9), so it polls on.
	if c := f.await(t, waveInput(4, 30)); c.Succeeded != 2 {
		t.Fatalf("counts = %+v, want h-c succeeded", c)
	}
	got, rows = f.deployHosts(t)
	if want := "h-a:0:SUCCEEDED h-b:0:FAILED h-f:0:STUCK h-h:0:STUCK h-c:1:SUCCEEDED"; got != want {
		t.Fatalf("deploy hosts = %q\nwant           %q", got, want)
	}
	if r := rows["h-c"]; r.FinishedAt == nil || !r.FinishedAt.Equal(later) || r.ErrorMessage != "" {
		t.Fatalf("h-c = %+v, want finished at %v without error", r, later)
	}
	if r := rows["h-a"]; r.FinishedAt == nil || !r.FinishedAt.Equal(t0) {
		t.Fatalf("h-a was rewritten: finished at %v, want %v", r.FinishedAt, t0)
	}
}
