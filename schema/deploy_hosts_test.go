package schema_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// waveOf renders a deploy's rows as "name:wave:outcome" in ListDeployHosts order.
func waveOf(t *testing.T, st *schema.Store, deployID string) string {
	t.Helper()
	rows, err := st.ListDeployHosts(context.Background(), deployID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.DeployID != deployID {
			t.Fatalf("ListDeployHosts(%s) returned a row of deploy %s", deployID, r.DeployID)
		}
		out = append(out, fmt.Sprintf("%s:%d:%s", r.HostName, r.Wave, r.Outcome))
	}
	return strings.Join(out, " ")
}

func TestAdmitHostsRecordsEachDeploysWaves(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		stage := newStage(t, st, "hello", "prod")
		for _, id := range []string{"i-1", "i-2", "i-3", "i-4"} {
			if err := st.RecordHost(ctx, &schema.Host{ID: id, HostName: "web-" + strings.TrimPrefix(id, "i-")}); err != nil {
				t.Fatal(err)
			}
		}
		admit := func(deployID string, hosts ...string) {
			t.Helper()
			if err := st.AdmitHosts(ctx, stage.ID, deployID, hosts); err != nil {
				t.Fatalf("admit %v to %s: %v", hosts, deployID, err)
			}
		}
		admit("d1", "i-2", "i-1")
		admit("d1", "i-1", "i-2") // a retried activity: nobody new, no new wave
		admit("d1", "i-2", "i-3") // i-2 keeps wave 1
		admit("d1", "i-4", "i-9") // i-9 never pinged: named by its id
		if got, want := waveOf(t, st, "d1"), "web-1:1: web-2:1: web-3:2: i-9:3: web-4:3:"; got != want {
			t.Fatalf("d1 hosts = %q\nwant        %q", got, want)
		}
		// A newer deploy replaces i-1's admission; d1 still remembers it.
		admit("d2", "i-1")
		if got, want := waveOf(t, st, "d2"), "web-1:1:"; got != want {
			t.Fatalf("d2 hosts = %q, want %q", got, want)
		}
		if got := waveOf(t, st, "d1"); !strings.HasPrefix(got, "web-1:1:") {
			t.Fatalf("d1 lost i-1 after d2 admitted it: %q", got)
		}
		if got := waveOf(t, st, "nope"); got != "" {
			t.Fatalf("unknown deploy has hosts %q", got)
		}
	})
}

func TestRecordHostOutcomesWritesOnlyChanges(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return now })
		stage := newStage(t, st, "hello", "prod")
		if err := st.AdmitHosts(ctx, stage.ID, "d1", []string{"i-1", "i-2"}); err != nil {
			t.Fatal(err)
		}
		record := func(want int, outcomes ...schema.HostOutcome) {
			t.Helper()
			n, err := st.RecordHostOutcomes(ctx, "d1", outcomes)
			if err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Fatalf("RecordHostOutcomes wrote %d rows, want %d", n, want)
			}
		}
		first := []schema.HostOutcome{
			{HostID: "i-1", HostName: "i-1", Outcome: core.OutcomeSucceeded},
			{HostID: "i-2", HostName: "i-2", Outcome: core.OutcomeFailed, ErrorMessage: "exit 1"},
			{HostID: "i-5", HostName: "web-5", Joined: true}, // installs without an admission
			{HostID: "i-6", HostName: "web-6", Joined: true},
		}
		record(4, first...)
		if got, want := waveOf(t, st, "d1"), "web-5:0: web-6:0: i-1:1:SUCCEEDED i-2:1:FAILED"; got != want {
			t.Fatalf("hosts = %q\nwant    %q", got, want)
		}
		record(0, first...)
		// Ten minutes on: i-2 is retried, i-5 succeeds, i-6 gets stuck, i-1 has not changed.
		now = now.Add(10 * time.Minute)
		record(3,
			schema.HostOutcome{HostID: "i-1", Outcome: core.OutcomeSucceeded},
			schema.HostOutcome{HostID: "i-2"},
			schema.HostOutcome{HostID: "i-5", Outcome: core.OutcomeSucceeded},
			schema.HostOutcome{HostID: "i-6", Outcome: core.OutcomeStuck, ErrorMessage: "no progress"})
		// The stuck mark is the system's change: the audit trail has it, once.
		record(0, schema.HostOutcome{HostID: "i-6", Outcome: core.OutcomeStuck, ErrorMessage: "no progress"})
		trail, err := st.ListAudit(ctx, schema.AuditFilter{Actor: core.SystemActor})
		if err != nil || len(trail) != 1 || trail[0].Route != "hosts-stuck" || !strings.Contains(trail[0].Detail, "marked 1 host(s) stuck: i-6 (no progress)") {
			t.Fatalf("audit trail of the stuck mark: %v %+v", err, trail)
		}
		rows, err := st.ListDeployHosts(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]schema.DeployHost{}
		for _, r := range rows {
			byID[r.HostID] = r
		}
		start := now.Add(-10 * time.Minute)
		for id, want := range map[string]*time.Time{"i-1": &start, "i-2": nil, "i-5": &now, "i-6": &now} {
			got := byID[id].FinishedAt
			if (got == nil) != (want == nil) || (got != nil && !got.Equal(*want)) {
				t.Errorf("%s finished at %v, want %v", id, got, want)
			}
		}
		if r := byID["i-2"]; r.Outcome != core.OutcomeInFlight || r.ErrorMessage != "" {
			t.Errorf("retried host = %+v, want in flight without error", r)
		}
		if r := byID["i-6"]; r.Outcome != core.OutcomeStuck || r.ErrorMessage != "no progress" || r.Wave != 0 || !r.AdmittedAt.Equal(start) {
			t.Errorf("stuck host = %+v", r)
		}
		if _, err := st.RecordHostOutcomes(ctx, "", first); core.ErrorCode(err) != core.EINVALID {
			t.Fatalf("missing deploy id: error %v, want EINVALID", err)
		}
	})
}

func TestDeployWavesGroupsAndCounts(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 11, 26, 12, min, 0, 0, time.UTC) }
	host := func(name string, wave, min int, outcome string) schema.DeployHost {
		return schema.DeployHost{HostID: name, HostName: name, Wave: wave, AdmittedAt: at(min), Outcome: outcome}
	}
	tests := []struct {
		name  string
		hosts []schema.DeployHost
		want  []schema.DeployWave
	}{
		{"no hosts", nil, nil},
		{
			"one wave, every outcome",
			[]schema.DeployHost{
				host("b", 1, 0, core.OutcomeFailed), host("a", 1, 0, core.OutcomeSucceeded),
				host("c", 1, 0, core.OutcomeStuck), host("d", 1, 0, core.OutcomeInFlight),
			},
			[]schema.DeployWave{{Wave: 1, AdmittedAt: at(0), Succeeded: 1, Failed: 1, Stuck: 1, InFlight: 1, Hosts: []schema.DeployHost{
				host("a", 1, 0, core.OutcomeSucceeded), host("b", 1, 0, core.OutcomeFailed),
				host("c", 1, 0, core.OutcomeStuck), host("d", 1, 0, core.OutcomeInFlight),
			}}},
		},
		{
			"waves in order, wave 0 first, earliest admission",
			[]schema.DeployHost{
				host("x", 2, 5, core.OutcomeSucceeded), host("new", 0, 3, core.OutcomeSucceeded),
				host("y", 1, 1, core.OutcomeSucceeded), host("late", 0, 1, core.OutcomeInFlight),
			},
			[]schema.DeployWave{
				{Wave: 0, AdmittedAt: at(1), Succeeded: 1, InFlight: 1, Hosts: []schema.DeployHost{host("late", 0, 1, ""), host("new", 0, 3, core.OutcomeSucceeded)}},
				{Wave: 1, AdmittedAt: at(1), Succeeded: 1, Hosts: []schema.DeployHost{host("y", 1, 1, core.OutcomeSucceeded)}},
				{Wave: 2, AdmittedAt: at(5), Succeeded: 1, Hosts: []schema.DeployHost{host("x", 2, 5, core.OutcomeSucceeded)}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schema.DeployWaves(tt.hosts); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("DeployWaves =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
