package activities

import (
	"reflect"
	"testing"

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
