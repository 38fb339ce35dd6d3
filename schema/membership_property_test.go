package schema_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// fleetHost is one host id of a generated fleet: its name, groups and the stages it holds
// agent rows in (some of which it may not belong to: hosts that left).
type fleetHost struct {
	id, name string
	groups   []string
	agentsIn map[string]time.Time // stage id → the agent row's update time
}

// TestEveryStageHostReaderAgreesWithThePing generates random capacities (names, groups,
// hosts named in one stage and grouped into a sibling, several ids under one name, hosts
// that never pinged, hosts that left a stage) and checks that RolloutHosts,
// ListStageHosts, CountStageHosts and HostDetail place every host where its ping does.
func TestEveryStageHostReaderAgreesWithThePing(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		for seed := range uint64(12) {
			t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) { checkRandomFleet(t, st, seed) })
		}
	})
}

func checkRandomFleet(t *testing.T, st *schema.Store, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	p := fmt.Sprintf("p%d-", seed)
	envs := []string{p + "web", p + "api"}
	var stages []*schema.Stage
	for _, env := range envs {
		for _, name := range []string{"a", "b", "c"} {
			stages = append(stages, newStage(t, st, env, name))
		}
	}
	names := make([]string, 8)
	for i := range names {
		names[i] = fmt.Sprintf("%sn%d", p, i)
	}
	groups := make([]string, 4)
	for i := range groups {
		groups[i] = fmt.Sprintf("%sg%d", p, i)
	}
	// Capacities: a name or group belongs to at most one stage per environment.
	for e := range envs {
		envStages := stages[e*3 : e*3+3]
		caps := make([]schema.Capacity, 3)
		for _, n := range names {
			if rng.IntN(10) < 5 {
				i := rng.IntN(3)
				caps[i].Hosts = append(caps[i].Hosts, n)
			}
		}
		for _, g := range groups {
			if rng.IntN(10) < 6 {
				i := rng.IntN(3)
				caps[i].Groups = append(caps[i].Groups, g)
			}
		}
		for i, s := range envStages {
			setCapacity(t, st, s, caps[i])
		}
	}
	// Hosts: zero to two ids per name, random groups, agent rows in random stages.
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var fleet []fleetHost
	var neverSeen []string
	for _, n := range names {
		ids := rng.IntN(3)
		if ids == 0 {
			neverSeen = append(neverSeen, n)
		}
		for k := range ids {
			h := fleetHost{id: fmt.Sprintf("%s-%d", n, k), name: n, agentsIn: map[string]time.Time{}}
			for _, g := range groups {
				if rng.IntN(10) < 3 {
					h.groups = append(h.groups, g)
				}
			}
			for _, s := range stages {
				if rng.IntN(10) < 3 {
					h.agentsIn[s.ID] = base.Add(time.Duration(rng.IntN(60)) * time.Minute)
				}
			}
			fleet = append(fleet, h)
		}
	}
	for _, h := range fleet {
		err := st.RecordPing(ctx, schema.PingHost{ID: h.id, Name: h.name, Groups: h.groups}, func(core.PingState) (core.PingWrites, error) {
			var w core.PingWrites
			for stageID, at := range h.agentsIn {
				w.Agents = append(w.Agents, core.Agent{HostID: h.id, StageID: stageID, HostName: h.name, DeployID: "d-old",
					DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded, State: core.AgentNormal,
					StartedAt: at, StageStartedAt: at, UpdatedAt: at})
			}
			return w, nil
		})
		if err != nil {
			t.Fatalf("record host %s: %v", h.id, err)
		}
	}

	// The ping's answer for every host id: the stages it serves.
	memberOf := map[string][]string{} // host id → stage ids
	for _, h := range fleet {
		state := readPing(t, st, schema.PingHost{ID: h.id, Name: h.name, Groups: h.groups})
		for _, ps := range state.Stages {
			if ps.Membership != core.NotMember {
				memberOf[h.id] = append(memberOf[h.id], ps.Stage.ID)
			}
		}
	}

	counts, err := st.CountStageHosts(ctx, func(_ string, h schema.StageHost) string { return h.HostName + " " + h.HostID + " " + h.MemberBy })
	if err != nil {
		t.Fatal(err)
	}
	served := map[string][]string{} // host name → stage ids whose host set lists it as a member
	for _, s := range stages {
		// What the ping says: for each name, its member ids in s; never-seen names by capacity.
		want := map[string]string{} // name → id standing for it
		var cands = map[string][]core.HostIDCandidate{}
		for _, h := range fleet {
			if slices.Contains(memberOf[h.id], s.ID) {
				c := core.HostIDCandidate{ID: h.id}
				if at, ok := h.agentsIn[s.ID]; ok {
					c.AgentUpdatedAt = &at
				}
				cands[h.name] = append(cands[h.name], c)
			}
		}
		for name, c := range cands {
			want[name] = core.PickHostID(c)
		}
		capacity, err := st.GetCapacity(ctx, s.EnvName, s.StageName)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range capacity.Hosts {
			if slices.Contains(neverSeen, n) {
				want[n] = ""
			}
		}

		rollout, err := st.RolloutHosts(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		listed, err := st.ListStageHosts(ctx, s.EnvName, s.StageName)
		if err != nil {
			t.Fatal(err)
		}
		wantView := membersView(want)
		if got := stageHostsView(rollout); got != wantView {
			t.Errorf("%s/%s RolloutHosts members:\n%s\nthe ping says:\n%s", s.EnvName, s.StageName, got, wantView)
		}
		if got := stageHostsView(listed); got != wantView {
			t.Errorf("%s/%s ListStageHosts members:\n%s\nthe ping says:\n%s", s.EnvName, s.StageName, got, wantView)
		}
		var counted, listedAll []string
		for k, n := range counts[s.ID] {
			for range n {
				counted = append(counted, k)
			}
		}
		for _, h := range listed {
			listedAll = append(listedAll, h.HostName+" "+h.HostID+" "+h.MemberBy)
			if h.MemberBy != core.MemberRemoved {
				served[h.HostName] = append(served[h.HostName], s.ID)
			}
		}
		sort.Strings(counted)
		sort.Strings(listedAll)
		if !slices.Equal(counted, listedAll) {
			t.Errorf("%s/%s CountStageHosts counted %q, ListStageHosts lists %q", s.EnvName, s.StageName, counted, listedAll)
		}
	}
	for _, n := range names {
		d, err := st.HostDetail(ctx, n)
		if core.ErrorCode(err) == core.ENOTFOUND {
			if len(served[n]) > 0 {
				t.Errorf("HostDetail(%s) not found, but stages %v list it", n, served[n])
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var in []string
		for _, r := range d.Stages {
			if r.MemberBy != core.MemberRemoved && !slices.Contains(in, r.StageID) {
				in = append(in, r.StageID)
			}
		}
		sort.Strings(in)
		want := append([]string(nil), served[n]...)
		sort.Strings(want)
		if !slices.Equal(in, want) {
			t.Errorf("HostDetail(%s) member of %v, the stages' host sets list it in %v", n, in, want)
		}
	}
	// Last, the never-seen names ping for the first time: each serves exactly the stage
	// that listed it before it pinged.
	for _, n := range neverSeen {
		state := readPing(t, st, schema.PingHost{ID: n + "-new", Name: n})
		var got []string
		for _, ps := range state.Stages {
			if ps.Membership != core.NotMember {
				got = append(got, ps.Stage.ID)
			}
		}
		sort.Strings(got)
		want := append([]string(nil), served[n]...)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("never-seen %s: its first ping serves %v, the readers listed it in %v", n, got, want)
		}
	}
}

// membersView prints a stage's expected members as "name id" lines.
func membersView(want map[string]string) string {
	var lines []string
	for name, id := range want {
		lines = append(lines, name+" "+id)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// stageHostsView prints the members (not the removed hosts) of a host set as "name id".
func stageHostsView(hosts []schema.StageHost) string {
	var lines []string
	for _, h := range hosts {
		if h.MemberBy != core.MemberRemoved {
			lines = append(lines, h.HostName+" "+h.HostID)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
