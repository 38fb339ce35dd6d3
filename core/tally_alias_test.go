package core_test

import (
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// A rollback's tally counts a host still serving its alias as succeeded, as the ping does,
// so the rollback neither admits it nor waits for it.
func TestTallyCountsHostsOnTheAliasAsDone(t *testing.T) {
	start := goalNow.Add(-time.Minute)
	host := func(name, deployID, stage, state string) core.StageHost {
		return core.StageHost{HostName: name, HostID: "id-" + name, MemberBy: "host",
			Agent: &core.Agent{HostID: "id-" + name, DeployID: deployID, DeployStage: stage, Status: protocol.StatusSucceeded, State: state, StageStartedAt: start}}
	}
	serving := protocol.StageServingBuild
	hosts := []core.StageHost{
		host("a", "d1", serving, core.AgentNormal),                  // on the alias: done
		host("b", "d0", serving, core.AgentNormal),                  // on an older build: waits
		host("c", "d1", serving, core.AgentReset),                   // reset by an operator: redeploys
		host("d", "d1", protocol.StageRestarting, core.AgentNormal), // mid-deploy of the alias
		host("e", "r1", serving, core.AgentNormal),                  // swapped already
	}
	for _, tc := range []struct {
		name  string
		alias string
		want  core.WaveCounts
	}{
		{"rollback with alias d1", "d1", core.WaveCounts{Total: 5, Succeeded: 2, Remaining: 1, InFlight: 2}},
		{"no alias", "", core.WaveCounts{Total: 5, Succeeded: 1, Remaining: 2, InFlight: 2}},
	} {
		got := core.TallyDeploy(hosts, "r1", tc.alias, start, nil, goalNow, 0)
		if got.Counts != tc.want {
			t.Errorf("%s: counts = %+v, want %+v", tc.name, got.Counts, tc.want)
		}
	}
}
