package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
)

// servingOn lists the hosts whose agent serves deployID.
func servingOn(t *testing.T, s *runningStack, deployID string) []string {
	t.Helper()
	var got stageHosts
	s.call(t, "GET", "/v1/envs/hello/dev/hosts", nil, 200, &got)
	var out []string
	for _, h := range got.Hosts {
		if h.Agent != nil && h.Agent.DeployID == deployID && h.Agent.DeployStage == protocol.StageServingBuild && h.Agent.Status == protocol.StatusSucceeded {
			out = append(out, h.HostName)
		}
	}
	return out
}

// TestStagePageGroupsRealHostsByBuildDuringADeploy runs six real agents onto three builds
// at once: all on build 1, a paused deploy of build 2 whose hosts are then excluded (they
// keep build 2), and a paused deploy of build 3. The stage page shows one group per build,
// with the hosts of each, while the deploy of build 3 is live.
func TestStagePageGroupsRealHostsByBuildDuringADeploy(t *testing.T) {
	browsertest.Path(t)
	const hosts = 6
	s := startTestStack(t, t.TempDir())
	startFleet(t, s, hosts)
	s.call(t, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 1, "maxParallelPct": 0, "bakeTimeSeconds": 0}, 200, nil)
	b1 := publishMarkerBuild(t, s, "1")
	var d1 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b1}, 201, &d1)
	waitServing(t, s, d1.Deploy.ID, hosts)

	// Build 2 on one or two hosts, which are then excluded so that they keep it.
	b2 := publishMarkerBuild(t, s, "2")
	var d2 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b2}, 201, &d2)
	waitFor(t, 60*time.Second, "a host serving build 2", func() (bool, string) {
		on := servingOn(t, s, d2.Deploy.ID)
		return len(on) >= 1, strings.Join(on, ",")
	})
	s.call(t, "POST", "/v1/envs/hello/dev/actions/pause", map[string]any{"description": "three builds"}, 200, nil)
	waitDeployState(t, s, d2.Deploy.ID, "RUNNING")
	waitFor(t, 60*time.Second, "build 2's in-flight host to finish", func() (bool, string) {
		return inFlight(t, s, d2.Deploy.ID) == 0, "in flight"
	})
	onB2 := servingOn(t, s, d2.Deploy.ID)
	for _, h := range onB2 {
		s.call(t, "POST", "/v1/envs/hello/dev/hosts/"+h+"/actions/exclude", nil, 200, nil)
	}

	// Build 3 on one more host, paused there: the deploy is live with three builds out.
	b3 := publishMarkerBuild(t, s, "3")
	var d3 deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": b3}, 201, &d3)
	waitFor(t, 60*time.Second, "a host serving build 3", func() (bool, string) {
		on := servingOn(t, s, d3.Deploy.ID)
		return len(on) >= 1, strings.Join(on, ",")
	})
	s.call(t, "POST", "/v1/envs/hello/dev/actions/pause", map[string]any{"description": "three builds"}, 200, nil)
	waitFor(t, 60*time.Second, "build 3's in-flight host to finish", func() (bool, string) {
		return inFlight(t, s, d3.Deploy.ID) == 0, "in flight"
	})
	want := map[string]int{b1: len(servingOn(t, s, d1.Deploy.ID)), b2: len(onB2), b3: len(servingOn(t, s, d3.Deploy.ID))}
	if want[b1] == 0 || want[b1]+want[b2]+want[b3] != hosts {
		t.Fatalf("hosts by build %v do not make three builds of %d hosts", want, hosts)
	}

	ctx := browsertest.Start(t, 2*time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.loginURL+"&next=/envs/hello/dev"), chromedp.WaitVisible(chromedp.CSS("#grid"))); err != nil {
		t.Fatal(err)
	}
	groupsJS := `Array.from(document.querySelectorAll('#grid .group')).map(g => g.dataset.build + '=' + g.querySelectorAll('.tile').length).sort().join(',')`
	var wantGroups []string
	for _, b := range []string{b1, b2, b3} {
		wantGroups = append(wantGroups, fmt.Sprintf("%s=%d", b, want[b]))
	}
	sort.Strings(wantGroups)
	browsertest.WaitFor(t, ctx, 20*time.Second, "one group per build with its hosts",
		groupsJS+` === `+browsertest.JSString(strings.Join(wantGroups, ",")), groupsJS)
	// The current deploy's build comes first, and the excluded hosts are marked so.
	if first := browsertest.Eval(t, ctx, `document.querySelector('#grid .group').dataset.build`); first != b3 {
		t.Errorf("first group is build %s, want the current deploy's build %s", first, b3)
	}
	excluded := browsertest.Eval(t, ctx, `String(document.querySelectorAll('#grid .group[data-build="`+b2+`"] .tile[data-phase="excluded"]').length)`)
	if excluded != fmt.Sprint(want[b2]) {
		t.Errorf("build 2's group shows %s excluded tiles, want %d", excluded, want[b2])
	}
	browsertest.Screenshot(t, ctx, "e2e-hosts-by-build")
}

// inFlight is how many hosts the deploy counts as in flight.
func inFlight(t *testing.T, s *runningStack, deployID string) int {
	t.Helper()
	var d struct{ Deploy struct{ InFlight int } }
	s.call(t, "GET", "/v1/deploys/"+deployID, nil, 200, &d)
	return d.Deploy.InFlight
}
