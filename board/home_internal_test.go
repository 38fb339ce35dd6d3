package board

import (
	"net/url"
	"slices"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestVerdictOf(t *testing.T) {
	deploy := func(state string, paused bool) *schema.Deploy { return &schema.Deploy{State: state, Paused: paused} }
	healthy := schema.HostCounts{colorServing: 3}
	for _, tc := range []struct {
		name       string
		deploy     *schema.Deploy
		hosts      schema.HostCounts
		hostsKnown bool
		want       verdict
		filters    []string
	}{
		{"failing deploy beats failed hosts", deploy(core.StateFailing, false), schema.HostCounts{colorFailed: 2}, true,
			verdict{rankFailingDeploy, "deploy FAILING", "bad"}, []string{filterFailing, filterUnhealthy}},
		{"one failed host", deploy(core.StateSucceeded, false), schema.HostCounts{colorServing: 2, colorFailed: 1}, true,
			verdict{rankFailedHosts, "1 failed host", "bad"}, []string{filterUnhealthy}},
		{"failed hosts beat unreachable ones", deploy(core.StateRunning, false), schema.HostCounts{colorFailed: 2, colorUnreachable: 5}, true,
			verdict{rankFailedHosts, "2 failed hosts", "bad"}, []string{filterDeploying, filterUnhealthy}},
		{"unreachable hosts", deploy(core.StateSucceeded, false), schema.HostCounts{colorServing: 2, colorUnreachable: 3}, true,
			verdict{rankUnreachable, "3 hosts unreachable", "warn"}, []string{filterUnhealthy}},
		{"aborted", deploy(core.StateAborted, false), healthy, true, verdict{rankAborted, "last deploy aborted", "warn"}, nil},
		{"paused", deploy(core.StateRunning, true), healthy, true, verdict{rankDeploying, "deploy paused", "warn"}, []string{filterDeploying}},
		{"running", deploy(core.StateRunning, false), healthy, true, verdict{rankDeploying, "deploying", "busy"}, []string{filterDeploying}},
		// A SUCCEEDING deploy has rolled out; it only waits to be superseded (core.ActivityOf).
		{"succeeding", deploy(core.StateSucceeding, false), healthy, true, verdict{rankHealthy, "healthy", "ok"}, nil},
		{"healthy", deploy(core.StateSucceeded, false), healthy, true, verdict{rankHealthy, "healthy", "ok"}, nil},
		{"paused hosts and hosts on other builds are not trouble", deploy(core.StateSucceeded, false), schema.HostCounts{colorPaused: 1, colorOther: 1}, true,
			verdict{rankHealthy, "healthy", "ok"}, nil},
		{"no hosts", deploy(core.StateSucceeded, false), nil, true, verdict{rankNoHosts, "no hosts", "idle"}, nil},
		{"never deployed", nil, nil, true, verdict{rankNeverDeployed, "never deployed", "idle"}, nil},
		{"never deployed with dead hosts", nil, schema.HostCounts{colorUnreachable: 1}, true,
			verdict{rankUnreachable, "1 host unreachable", "warn"}, []string{filterUnhealthy}},
		{"host counts unknown: the deploy alone", deploy(core.StateSucceeded, false), nil, false, verdict{rankHealthy, "healthy", "ok"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := verdictOf(tc.deploy, tc.hosts, tc.hostsKnown)
			if got != tc.want {
				t.Fatalf("verdictOf = %+v, want %+v", got, tc.want)
			}
			if f := rowFilters(tc.deploy, got); !slices.Equal(f, tc.filters) {
				t.Fatalf("rowFilters = %v, want %v", f, tc.filters)
			}
		})
	}
}

func TestHomeURLRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  homeQuery
		url   string
	}{
		{"", homeQuery{"", filterAll, sortByName}, "/"},
		{"q=+web+prod+", homeQuery{"web prod", filterAll, sortByName}, "/?q=web+prod"},
		{"state=failing", homeQuery{"", filterFailing, sortByName}, "/?state=failing"},
		{"state=unhealthy&sort=trouble&q=a%26b", homeQuery{"a&b", filterUnhealthy, sortTrouble}, "/?q=a%26b&sort=trouble&state=unhealthy"},
		{"state=nonsense&sort=nonsense", homeQuery{"", filterAll, sortByName}, "/"},
		{"state=all&sort=name", homeQuery{"", filterAll, sortByName}, "/"},
	} {
		v, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got := parseHomeQuery(v)
		if got != tc.want {
			t.Errorf("parseHomeQuery(%q) = %+v, want %+v", tc.query, got, tc.want)
		}
		if u := homeURL(got); u != tc.url {
			t.Errorf("homeURL(%+v) = %q, want %q", got, u, tc.url)
		}
	}
}

func TestMatches(t *testing.T) {
	search := searchText(schema.StageSummary{
		Stage:   schema.Stage{EnvName: "Web", StageName: "prod", StageConfig: schema.StageConfig{BuildName: "web-app"}},
		Current: &schema.Deploy{BuildID: "X1_abc1234", Operator: "Alice"},
		Build:   &schema.Build{Branch: "release", CommitShort: "abc1234", Commit: "abc1234def"},
	})
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{"", true},
		{"web/prod", true},
		{"ALICE", true},
		{"release@abc", true},
		{"abc1234def", true},
		{"x1_", true},
		{"  web   alice ", true},
		{"web bob", false},
		{"canary", false},
	} {
		if got := matchesQuery(search, tc.q); got != tc.want {
			t.Errorf("matchesQuery(%q, %q) = %v, want %v", search, tc.q, got, tc.want)
		}
	}
	for _, tc := range []struct {
		filters, filter string
		want            bool
	}{
		{"", filterAll, true},
		{"", filterFailing, false},
		{"deploying failing", filterFailing, true},
		{"deploying", filterFailing, false},
		{"unhealthy", "healthy", false},
	} {
		if got := matchesFilter(tc.filters, tc.filter); got != tc.want {
			t.Errorf("matchesFilter(%q, %q) = %v, want %v", tc.filters, tc.filter, got, tc.want)
		}
	}
}

func TestGroupRows(t *testing.T) {
	row := func(env, stage string, rank int, hidden bool) homeRow {
		return homeRow{Env: env, Stage: stage, Verdict: verdict{Rank: rank}, Hidden: hidden}
	}
	rows := []homeRow{row("a", "1", rankHealthy, true), row("a", "2", rankNeverDeployed, true), row("b", "1", rankFailedHosts, false), row("c", "1", rankFailingDeploy, false)}
	type group struct {
		env    string
		stages []string
		hidden bool
	}
	summarize := func(gs []homeGroup) []group {
		var out []group
		for _, g := range gs {
			s := group{env: g.Env, hidden: g.Hidden}
			for _, r := range g.Rows {
				s.stages = append(s.stages, r.Env+"/"+r.Stage)
			}
			out = append(out, s)
		}
		return out
	}
	eq := func(a, b group) bool {
		return a.env == b.env && a.hidden == b.hidden && slices.Equal(a.stages, b.stages)
	}
	if got, want := summarize(groupRows(rows, sortByName)), []group{{"a", []string{"a/1", "a/2"}, true}, {"b", []string{"b/1"}, false}, {"c", []string{"c/1"}, false}}; !slices.EqualFunc(got, want, eq) {
		t.Errorf("by name: %+v, want %+v", got, want)
	}
	if got, want := summarize(groupRows(rows, sortTrouble)), []group{{"", []string{"c/1", "b/1", "a/1", "a/2"}, false}}; !slices.EqualFunc(got, want, eq) {
		t.Errorf("trouble first: %+v, want %+v", got, want)
	}
	if got := groupRows(nil, sortTrouble); len(got) != 0 {
		t.Errorf("no rows gave groups %+v", got)
	}
}
