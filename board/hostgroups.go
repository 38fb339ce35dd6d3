package board

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// compactAbove is the host count beyond which the stage page draws small squares instead
// of labelled tiles: a few hundred names still read at a glance, thousands do not, and a
// search box then finds a host faster than the eye.
const compactAbove = 300

// hostTile is one host on the stage page: its name, the colour and phase of its
// core.PhaseOf, and the build its agent is on.
type hostTile struct {
	Name, Color, Phase string
	DeployID, BuildID  string
	// Detail is the hover text: name, phase, build, deploy step and agent state.
	Detail string
}

// barSegment is one part of the by-build bar: the hosts of one build in one phase.
type barSegment struct {
	Color, Phase string
	Pct          float64
	Title        string
	// First marks the first segment of a build, which the bar separates from the last.
	First bool
}

// buildGroup is the hosts of a stage that run one build.
type buildGroup struct {
	// BuildID is "" for the hosts that have no build yet (no agent, or one on no deploy).
	BuildID, Commit, Branch string
	// Current marks the build of the stage's current deploy.
	Current  bool
	Count    int
	SharePct float64
	// Phases counts the group's hosts by phase, in core.HostPhases order.
	Phases []phaseCount
	Tiles  []hostTile
}

// phaseCount is how many hosts of a group are in one phase.
type phaseCount struct {
	Phase, Color string
	N            int
}

// hostsByBuild is the stage page's host section.
type hostsByBuild struct {
	Total   int
	Compact bool
	Groups  []buildGroup
	Bar     []barSegment
}

// Label names a group the way its header and the bar's tooltips do.
func (g buildGroup) Label() string {
	if g.BuildID == "" {
		return "no build yet"
	}
	return g.BuildID
}

// ShareText is the group's share of the stage, rounded for reading.
func (g buildGroup) ShareText() string {
	return strconv.FormatFloat(g.SharePct, 'f', 0, 64) + "%"
}

// groupHostsByBuild groups a stage's hosts by the build of the deploy their agent is on
// (a host deploying counts under the build it is moving to, as Teletraan's board groups
// hosts by their agent's deploy). The current deploy's build comes first, then the
// biggest groups; hosts with no build yet come last. buildOfDeploy maps deploy ids to
// build ids; builds has the details of those builds. static/stage.js groups the API's
// host list the same way.
func groupHostsByBuild(hosts []schema.StageHost, current *schema.Deploy, buildOfDeploy map[string]string, builds map[string]schema.Build, now time.Time) hostsByBuild {
	out := hostsByBuild{Total: len(hosts), Compact: len(hosts) > compactAbove}
	currentBuild := ""
	if current != nil {
		currentBuild = current.BuildID
	}
	index := map[string]int{}
	for _, h := range hosts {
		phase := core.PhaseOf(h.Agent, h.LastPingAt, deployIDOf(current), now)
		t := hostTile{Name: h.HostName, Phase: string(phase), Color: phaseColor(phase)}
		step, state := "no agent", ""
		if h.Agent != nil {
			t.DeployID = h.Agent.DeployID
			t.BuildID = buildOfDeploy[h.Agent.DeployID]
			if t.DeployID != "" && t.BuildID == "" {
				t.BuildID = "deploy " + t.DeployID
			}
			step, state = h.Agent.DeployStage+" "+h.Agent.Status, h.Agent.State
		}
		build := t.BuildID
		if build == "" {
			build = "no build yet"
		}
		t.Detail = fmt.Sprintf("%s · %s · %s · %s %s", h.HostName, phase, build, step, state)
		i, ok := index[t.BuildID]
		if !ok {
			g := buildGroup{BuildID: t.BuildID, Current: t.BuildID != "" && t.BuildID == currentBuild}
			if b, ok := builds[t.BuildID]; ok {
				g.Commit, g.Branch = b.CommitShort, b.Branch
			}
			i = len(out.Groups)
			index[t.BuildID] = i
			out.Groups = append(out.Groups, g)
		}
		out.Groups[i].Tiles = append(out.Groups[i].Tiles, t)
		out.Groups[i].Count++
	}
	sort.SliceStable(out.Groups, func(i, j int) bool {
		a, b := out.Groups[i], out.Groups[j]
		switch {
		case a.Current != b.Current:
			return a.Current
		case (a.BuildID == "") != (b.BuildID == ""):
			return b.BuildID == ""
		case a.Count != b.Count:
			return a.Count > b.Count
		}
		return a.BuildID < b.BuildID
	})
	for gi := range out.Groups {
		g := &out.Groups[gi]
		g.SharePct = 100 * float64(g.Count) / float64(out.Total)
		first := true
		for _, p := range core.HostPhases() {
			n := 0
			for _, t := range g.Tiles {
				if t.Phase == string(p) {
					n++
				}
			}
			if n == 0 {
				continue
			}
			g.Phases = append(g.Phases, phaseCount{Phase: string(p), Color: phaseColor(p), N: n})
			out.Bar = append(out.Bar, barSegment{Color: phaseColor(p), Phase: string(p), First: first,
				Pct: 100 * float64(n) / float64(out.Total), Title: fmt.Sprintf("%s: %d %s", g.Label(), n, p)})
			first = false
		}
	}
	return out
}

// buildsOfHosts finds the build of every deploy the hosts' agents are on, and those
// builds' details. known holds deploys the page already read; the rest are read one by
// one (a stage's hosts are on a handful of deploys). A deploy or build that cannot be
// read leaves its hosts grouped under the deploy id.
func (b *Board) buildsOfHosts(ctx context.Context, hosts []schema.StageHost, known []schema.Deploy) (map[string]string, map[string]schema.Build, error) {
	buildOf := map[string]string{}
	for _, d := range known {
		buildOf[d.ID] = d.BuildID
	}
	var firstErr error
	for _, h := range hosts {
		if h.Agent == nil || h.Agent.DeployID == "" {
			continue
		}
		if _, ok := buildOf[h.Agent.DeployID]; ok {
			continue
		}
		d, err := b.Store.GetDeploy(ctx, h.Agent.DeployID)
		if err != nil {
			buildOf[h.Agent.DeployID] = ""
			if core.ErrorCode(err) != core.ENOTFOUND && firstErr == nil {
				firstErr = err
			}
			continue
		}
		buildOf[d.ID] = d.BuildID
	}
	var ids []string
	seen := map[string]bool{}
	for _, id := range buildOf {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	builds, err := b.Store.GetBuildsByID(ctx, ids)
	if err != nil && firstErr == nil {
		firstErr = err
	}
	return buildOf, builds, firstErr
}
