package schema_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// deployStage gives stage a current deploy of a fresh build and returns both.
func deployStage(t *testing.T, st *schema.Store, stage *schema.Stage) (*schema.Deploy, *schema.Build) {
	t.Helper()
	ctx := context.Background()
	b := &schema.Build{Name: stage.BuildName, ArtifactURL: "https://builds.example.com/a.tar.gz", Commit: "abcdef1234"}
	if err := st.PublishBuild(ctx, b); err != nil {
		t.Fatalf("publish build: %v", err)
	}
	d := &schema.Deploy{ID: schema.NewID(), StageID: stage.ID, EnvName: stage.EnvName, StageName: stage.StageName, BuildID: b.ID, Type: core.TypeRegular}
	if err := st.CreateDeploy(ctx, d); err != nil {
		t.Fatalf("create deploy: %v", err)
	}
	return d, b
}

func setCapacity(t *testing.T, st *schema.Store, s *schema.Stage, c schema.Capacity) {
	t.Helper()
	if _, err := st.SetCapacity(context.Background(), s.EnvName, s.StageName, c, "alice"); err != nil {
		t.Fatalf("set capacity of %s/%s: %v", s.EnvName, s.StageName, err)
	}
}

// readPing pings as h and returns the state its decider saw, writing nothing.
func readPing(t *testing.T, st *schema.Store, h schema.PingHost) core.PingState {
	t.Helper()
	var got core.PingState
	err := st.RecordPing(context.Background(), h, func(s core.PingState) (core.PingWrites, error) {
		got = s
		return core.PingWrites{}, nil
	})
	if err != nil {
		t.Fatalf("RecordPing(%s): %v", h.ID, err)
	}
	return got
}

func findStage(state core.PingState, id string) *core.PingStage {
	for i := range state.Stages {
		if state.Stages[i].Stage.ID == id {
			return &state.Stages[i]
		}
	}
	return nil
}

func TestRecordPingLoadsMembershipDeployAndBuild(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newStage(t, st, "web", "prod")
		canary := newStage(t, st, "web", "canary")
		api := newStage(t, st, "api", "prod")
		idle := newStage(t, st, "idle", "prod")
		setCapacity(t, st, prod, schema.Capacity{Groups: []string{"web-asg"}})
		setCapacity(t, st, canary, schema.Capacity{Hosts: []string{"host-1"}})
		setCapacity(t, st, api, schema.Capacity{Groups: []string{"api-asg"}})
		setCapacity(t, st, idle, schema.Capacity{Hosts: []string{"host-2"}})
		d, b := deployStage(t, st, canary)

		state := readPing(t, st, schema.PingHost{ID: "i-1", Name: "host-1", IP: "10.0.0.1", Groups: []string{"web-asg", "api-asg", "web-asg"}})
		if len(state.Stages) != 3 {
			t.Fatalf("got %d stages, want web/canary, web/prod, api/prod: %+v", len(state.Stages), state.Stages)
		}
		// A host named in web/canary's capacity serves it, not web/prod that holds its group.
		if ps := findStage(state, canary.ID); ps == nil || ps.Membership != core.MemberByHost {
			t.Fatalf("web/canary membership = %+v, want by host", ps)
		}
		if ps := findStage(state, prod.ID); ps == nil || ps.Membership != core.NotMember {
			t.Fatalf("web/prod membership = %+v, want not a member (one stage per env)", ps)
		}
		if ps := findStage(state, api.ID); ps == nil || ps.Membership != core.MemberByGroup || ps.Deploy != nil || ps.Build != nil {
			t.Fatalf("api/prod = %+v, want member by group without deploy", ps)
		}
		ps := findStage(state, canary.ID)
		if ps.Deploy == nil || ps.Deploy.ID != d.ID || ps.Build == nil || ps.Build.ID != b.ID || ps.Build.ArtifactURL != b.ArtifactURL {
			t.Fatalf("canary deploy/build = %+v / %+v, want %s / %s", ps.Deploy, ps.Build, d.ID, b.ID)
		}
		if ps.Stage.ScriptVariables == nil || ps.Agent != nil || ps.AdmittedDeployID != "" {
			t.Fatalf("canary = %+v, want script variables map, no agent, no admission", ps)
		}

		hosts, err := st.ListStageHosts(ctx, "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		// The host serves web/canary, which names it: web/prod, which holds its group, lists
		// it no more than the ping counts it there (the membership winner rule).
		if len(hosts) != 0 {
			t.Fatalf("web/prod hosts = %+v, want none: host-1 serves web/canary", hosts)
		}
		if hosts, err = st.ListStageHosts(ctx, "web", "canary"); err != nil || len(hosts) != 1 || hosts[0].HostID != "i-1" || len(hosts[0].Groups) != 2 {
			t.Fatalf("web/canary hosts = %+v, %v; want i-1 with groups api-asg, web-asg", hosts, err)
		}

		// Leaving a group is recorded on the next ping.
		readPing(t, st, schema.PingHost{ID: "i-1", Name: "host-1", IP: "10.0.0.1", Groups: []string{"web-asg"}})
		hosts, err = st.ListStageHosts(ctx, "api", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 0 {
			t.Fatalf("api/prod hosts after leaving api-asg = %+v, want none", hosts)
		}
	})
}

func TestRecordPingDecidesOnceWhenNothingChanges(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		h := schema.PingHost{ID: "i-1", Groups: []string{"g"}}
		calls := 0
		count := func(core.PingState) (core.PingWrites, error) { calls++; return core.PingWrites{}, nil }
		if err := st.RecordPing(ctx, h, count); err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Fatalf("new host: decide called %d times, want 1 (inside the transaction)", calls)
		}
		calls = 0
		if err := st.RecordPing(ctx, h, count); err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Fatalf("steady host: decide called %d times, want 1", calls)
		}
		// Writing takes the locked path, which decides again on a fresh read.
		calls = 0
		write := func(s core.PingState) (core.PingWrites, error) {
			calls++
			return core.PingWrites{Forget: []string{"gone"}}, nil
		}
		if err := st.RecordPing(ctx, h, write); err != nil {
			t.Fatal(err)
		}
		if calls != 2 {
			t.Fatalf("writing ping: decide called %d times, want 2", calls)
		}
	})
}

func TestRecordPingWritesAgentsErrorsAndForgets(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newStage(t, st, "web", "prod")
		left := newStage(t, st, "old", "prod")
		setCapacity(t, st, prod, schema.Capacity{Hosts: []string{"i-1"}})
		d, _ := deployStage(t, st, prod)
		h := schema.PingHost{ID: "i-1", ReportedStageIDs: []string{left.ID}}
		now := time.Now().UTC().Truncate(time.Second)
		agent := func(stageID string) schema.Agent {
			return schema.Agent{HostID: "i-1", StageID: stageID, HostName: "i-1", DeployID: d.ID, DeployStage: "DOWNLOADING",
				Status: "SCRIPT_FAILED", State: core.AgentNormal, FailCount: 2, ErrorCode: 7, FirstDeploy: true,
				StartedAt: now, StageStartedAt: now, UpdatedAt: now}
		}
		err := st.RecordPing(ctx, h, func(s core.PingState) (core.PingWrites, error) {
			return core.PingWrites{
				Agents: []schema.Agent{agent(prod.ID), agent(left.ID)},
				Errors: []schema.AgentError{{HostID: "i-1", StageID: prod.ID, HostName: "i-1", ErrorMessage: "exit 7", UpdatedAt: now},
					{HostID: "i-1", StageID: left.ID, HostName: "i-1", ErrorMessage: "old", UpdatedAt: now}},
			}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		state := readPing(t, st, h)
		ps := findStage(state, prod.ID)
		if ps == nil || ps.Agent == nil || ps.Agent.FailCount != 2 || ps.Agent.Status != "SCRIPT_FAILED" || !ps.Agent.FirstDeploy || !ps.Agent.StartedAt.Equal(now) {
			t.Fatalf("web/prod agent = %+v, want the written row", ps)
		}
		if ps := findStage(state, left.ID); ps == nil || ps.Agent == nil || ps.Membership != core.NotMember {
			t.Fatalf("old/prod = %+v, want its agent row, not a member", ps)
		}
		hosts, err := st.ListStageHosts(ctx, "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 1 || hosts[0].LastError == nil || hosts[0].LastError.ErrorMessage != "exit 7" {
			t.Fatalf("web/prod hosts = %+v, want the error tail", hosts)
		}

		// The agent acknowledged the DELETE: it no longer reports old/prod.
		h.ReportedStageIDs = nil
		err = st.RecordPing(ctx, h, func(s core.PingState) (core.PingWrites, error) {
			return core.PingWrites{Forget: []string{left.ID}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		state = readPing(t, st, h)
		if findStage(state, left.ID) != nil || len(state.Stages) != 1 {
			t.Fatalf("stages after forgetting old/prod = %+v, want web/prod only", state.Stages)
		}
		hosts, err = st.ListStageHosts(ctx, "old", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 0 {
			t.Fatalf("old/prod hosts = %+v, want none after the agent row is forgotten", hosts)
		}
	})
}

func TestAdmitHostsIsSeenByPingAndChanges(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newStage(t, st, "web", "prod")
		setCapacity(t, st, prod, schema.Capacity{Hosts: []string{"i-1", "i-2"}})
		since := time.Now().UTC().Add(-time.Second)
		d1, _ := deployStage(t, st, prod)
		now := time.Now().UTC()
		err := st.RecordPing(ctx, schema.PingHost{ID: "i-1"}, func(s core.PingState) (core.PingWrites, error) {
			return core.PingWrites{Agents: []schema.Agent{{HostID: "i-1", StageID: prod.ID, HostName: "i-1", DeployID: d1.ID,
				DeployStage: "SERVING_BUILD", Status: "SUCCEEDED", State: core.AgentNormal, StartedAt: now, StageStartedAt: now, UpdatedAt: now}}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		d2, _ := deployStage(t, st, prod)
		if err := st.AdmitHosts(ctx, prod.ID, d1.ID, []string{"i-1"}); err != nil {
			t.Fatal(err)
		}
		if err := st.AdmitHosts(ctx, prod.ID, d2.ID, []string{"i-1", "i-2", "i-1"}); err != nil {
			t.Fatal(err)
		}
		ps := findStage(readPing(t, st, schema.PingHost{ID: "i-1"}), prod.ID)
		if ps == nil || ps.AdmittedDeployID != d2.ID || ps.Deploy.ID != d2.ID || ps.Agent.DeployID != d1.ID {
			t.Fatalf("after admission = %+v, want admitted to %s", ps, d2.ID)
		}
		changes, err := st.PingChangesSince(ctx, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes.Admissions) != 2 {
			t.Fatalf("admissions = %+v, want i-1 and i-2", changes.Admissions)
		}
		for _, a := range changes.Admissions {
			if a.DeployID != d2.ID || a.StageID != prod.ID {
				t.Fatalf("admission %+v, want deploy %s", a, d2.ID)
			}
		}
		if len(changes.Stages) != 1 || changes.Stages[0].StageID != prod.ID || changes.Stages[0].CurrentDeployID != d2.ID {
			t.Fatalf("stage changes = %+v, want web/prod at %s", changes.Stages, d2.ID)
		}
		later, err := st.PingChangesSince(ctx, time.Now().UTC().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(later.Admissions)+len(later.Stages) != 0 {
			t.Fatalf("changes in the future = %+v, want none", later)
		}
		if err := st.AdmitHosts(ctx, "", d2.ID, []string{"i-1"}); core.ErrorCode(err) != core.EINVALID {
			t.Fatalf("AdmitHosts without stage = %v, want invalid", err)
		}
	})
}

// Concurrent pings of one host must write one after the other: each sees the row the
// previous one wrote, so no increment is lost.
func TestRecordPingSerializesPingsOfOneHost(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		prod := newStage(t, st, "web", "prod")
		h := schema.PingHost{ID: "i-1"}
		readPing(t, st, h)
		const pings = 20
		var wg sync.WaitGroup
		errs := make(chan error, pings)
		for range pings {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- st.RecordPing(ctx, h, func(s core.PingState) (core.PingWrites, error) {
					a := schema.Agent{HostID: "i-1", StageID: prod.ID, HostName: "i-1", DeployStage: "UNKNOWN", Status: "UNKNOWN",
						State: core.AgentNormal, StartedAt: s.Now, StageStartedAt: s.Now, UpdatedAt: s.Now}
					if ps := findStage(s, prod.ID); ps != nil && ps.Agent != nil {
						a.FailCount = ps.Agent.FailCount
					}
					a.FailCount++
					return core.PingWrites{Agents: []schema.Agent{a}}, nil
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ps := findStage(readPing(t, st, h), prod.ID)
		if ps == nil || ps.Agent == nil || ps.Agent.FailCount != pings {
			t.Fatalf("agent after %d concurrent pings = %+v, want fail count %d", pings, ps, pings)
		}
	})
}

// lastPingAt reads the stored last ping of host id.
func lastPingAt(t *testing.T, st *schema.Store, id string) time.Time {
	t.Helper()
	h := new(schema.Host)
	if err := st.DB().NewSelect().Model(h).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatalf("read host %s: %v", id, err)
	}
	return h.LastPingAt.UTC()
}

func TestRecordPingWritesTheLastPingOnlyWhenItIsStale(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		stage := newStage(t, st, "web", "prod")
		setCapacity(t, st, stage, schema.Capacity{Groups: []string{"web-asg"}})
		t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		at := func(d time.Duration) { st.SetClock(func() time.Time { return t0.Add(d) }) }
		member := schema.PingHost{ID: "i-1", IP: "10.0.0.1", Groups: []string{"web-asg"}}
		loner := schema.PingHost{ID: "i-2", IP: "10.0.0.2"} // no stage rows at all

		at(0)
		readPing(t, st, member)
		readPing(t, st, loner)
		at(schema.LastPingResolution - time.Second)
		readPing(t, st, member)
		if got := lastPingAt(t, st, "i-1"); !got.Equal(t0) {
			t.Fatalf("member's last ping after a ping %s later = %s, want it unwritten at %s", schema.LastPingResolution-time.Second, got, t0)
		}
		// A host the state query finds no rows for is checked by the UPDATE itself.
		readPing(t, st, loner)
		if got := lastPingAt(t, st, "i-2"); !got.Equal(t0.Add(schema.LastPingResolution - time.Second)) {
			t.Fatalf("stageless host's last ping = %s, want it written", got)
		}

		at(schema.LastPingResolution)
		readPing(t, st, member)
		if got := lastPingAt(t, st, "i-1"); !got.Equal(t0.Add(schema.LastPingResolution)) {
			t.Fatalf("member's last ping after a ping %s later = %s, want it moved", schema.LastPingResolution, got)
		}

		// A changed host is recorded at once, however recent its last ping.
		at(schema.LastPingResolution + time.Second)
		moved := member
		moved.IP = "10.0.0.9"
		readPing(t, st, moved)
		hosts, err := st.ListStageHosts(context.Background(), "web", "prod")
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 1 || hosts[0].IP != "10.0.0.9" || !lastPingAt(t, st, "i-1").Equal(t0.Add(schema.LastPingResolution+time.Second)) {
			t.Fatalf("hosts after an IP change = %+v, want the new IP and last ping", hosts)
		}
		// So is a change of groups, which decides membership.
		at(schema.LastPingResolution + 2*time.Second)
		moved.Groups = nil
		readPing(t, st, moved)
		if hosts, err = st.ListStageHosts(context.Background(), "web", "prod"); err != nil || len(hosts) != 0 {
			t.Fatalf("stage hosts after leaving web-asg = %+v (%v), want none", hosts, err)
		}
	})
}
