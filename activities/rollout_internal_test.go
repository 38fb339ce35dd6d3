package activities

import (
	"reflect"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestChangedOutcomesKeepsOnlyWhatDiffersFromTheWrites(t *testing.T) {
	ok := schema.HostOutcome{HostID: "h1", HostName: "web-1", Outcome: core.OutcomeSucceeded}
	failed := schema.HostOutcome{HostID: "h2", HostName: "web-2", Outcome: core.OutcomeFailed, ErrorMessage: "exit 1"}
	failedAgain := failed
	failedAgain.ErrorMessage = "exit 2"
	tests := []struct {
		name    string
		now     []schema.HostOutcome
		written map[string]schema.HostOutcome
		want    []schema.HostOutcome
	}{
		{"first poll writes everything", []schema.HostOutcome{ok, failed}, map[string]schema.HostOutcome{}, []schema.HostOutcome{ok, failed}},
		{"nothing changed", []schema.HostOutcome{ok, failed}, map[string]schema.HostOutcome{"h1": ok, "h2": failed}, nil},
		{"new error text", []schema.HostOutcome{ok, failedAgain}, map[string]schema.HostOutcome{"h1": ok, "h2": failed}, []schema.HostOutcome{failedAgain}},
		{"a host gone from the poll is not rewritten", []schema.HostOutcome{ok}, map[string]schema.HostOutcome{"h1": ok, "h2": failed}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := changedOutcomes(tt.now, tt.written); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("changedOutcomes = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A two-host stage with one host serving and one named in the capacity that never pinged,
// past the stuck timeout: the deploy row used to say "1/2 succeeded, 1 in flight, 1 failed".
func TestNeverPingedHostIsCountedOnceOnTheDeployRow(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	hosts := []schema.StageHost{
		{HostName: "web-1", HostID: "i-1", MemberBy: "host", Agent: &schema.Agent{HostID: "i-1", DeployID: "d1",
			DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded, State: core.AgentNormal}},
		{HostName: "web-2", MemberBy: "host"},
	}
	tally := core.TallyDeploy(hosts, "d1", "", start, nil, start.Add(time.Hour), 10*time.Minute)
	got := deployRowCounts(tally.Counts)
	want := schema.DeployCounts{Total: 2, Succeeded: 1, Failed: 1, InFlight: 0, Remaining: 0}
	if got != want {
		t.Fatalf("deploy row counts = %+v, want %+v", got, want)
	}
	if got.Succeeded+got.Failed+got.InFlight+got.Remaining != got.Total {
		t.Fatalf("deploy row counts %+v do not add up to the stage's hosts", got)
	}
}
