package board

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// filterAgentStates are the agent states the hosts page can filter on, in the order an operator
// looks for trouble.
var filterAgentStates = []string{
	core.AgentPausedBySystem, core.AgentPausedByUser, core.AgentPausedInDeploy, core.AgentReset, core.AgentNormal,
	core.AgentUnreachable, core.AgentStop, core.AgentDelete,
}

// hostFilter is what the hosts page shows: hosts whose name contains Name (any case) and
// whose grid colour or agent state is State (empty: any). Colours are lower case and agent
// states upper case, so one parameter names either without ambiguity: ?state=failed,
// ?state=PAUSED_BY_USER. static/hosts.js repeats matches for the filter box.
type hostFilter struct {
	Name, State string
}

// parseHostFilter reads the page's query; a state that is neither a colour nor an agent
// state is dropped and reported, so that a mistyped link shows every host, not none.
func parseHostFilter(q url.Values) (f hostFilter, unknownState string) {
	f.Name = strings.TrimSpace(q.Get("name"))
	state := strings.TrimSpace(q.Get("state"))
	if state == "" || isHostState(state) {
		f.State = state
		return f, ""
	}
	return f, state
}

// isHostState reports whether s is a grid colour or an agent state.
func isHostState(s string) bool {
	for _, l := range legend {
		if l.Color == s {
			return true
		}
	}
	for _, a := range filterAgentStates {
		if a == s {
			return true
		}
	}
	return false
}

// matches reports whether the host named name, painted color, whose agent is in
// agentState ("" without an agent row), passes the filter.
func (f hostFilter) matches(name, color, agentState string) bool {
	if f.Name != "" && !strings.Contains(strings.ToLower(name), strings.ToLower(f.Name)) {
		return false
	}
	return f.State == "" || f.State == color || f.State == agentState
}

// errorHeadline is the first non-blank line of a script's output, cut to fit a table cell.
func errorHeadline(s string) string {
	const max = 120
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if r := []rune(line); len(r) > max {
			return string(r[:max]) + "…"
		}
		return line
	}
	return ""
}

// membershipLabel explains StageHost.MemberBy to a person.
func membershipLabel(memberBy string) string {
	switch {
	case memberBy == "host":
		return "named in capacity"
	case strings.HasPrefix(memberBy, "group:"):
		return "group " + strings.TrimPrefix(memberBy, "group:")
	case memberBy == "removed":
		return "removed from capacity, still reporting"
	}
	return memberBy
}

// deployBuilds finds the build each deploy installs, reading each deploy once per page: a
// stage's hosts share a handful of deploys.
type deployBuilds struct {
	store  deployReader
	builds map[string]string
	// Failed is set when a read failed; the page then says some builds are unknown.
	Failed error
}

func newDeployBuilds(store deployReader) *deployBuilds {
	return &deployBuilds{store: store, builds: map[string]string{}}
}

// buildOf is the build id of deploy id; "" when id is empty, unknown or unreadable.
func (d *deployBuilds) buildOf(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if b, ok := d.builds[id]; ok {
		return b
	}
	dep, err := d.store.GetDeploy(ctx, id)
	switch {
	case err == nil:
		d.builds[id] = dep.BuildID
	case core.ErrorCode(err) == core.ENOTFOUND:
		d.builds[id] = ""
	default:
		// Not cached: a later row may read it once the database recovers.
		d.Failed = err
		return ""
	}
	return d.builds[id]
}

// hostRow is one row of the hosts table.
type hostRow struct {
	Name, HostID, IP string
	Href             string
	Groups           string
	Member           string
	Color            string
	DeployID         string
	DeployHref       string
	BuildID          string
	HasAgent         bool
	DeployStage      string
	Status           string
	State            string
	FailCount        int
	LastPingAt       *time.Time
	LastPingAge      string
	ErrorLine        string
	ErrorText        string
	// ErrorStale marks an error from an attempt the host has since got past (core.IsStaleError).
	ErrorStale bool
	// Actions are the host actions the board offers for the host now (boardHostActions).
	Actions []string
	Hidden  bool
}

// hostColorCount is one entry of the summary line.
type hostColorCount struct {
	Color, Label, Href string
	Count              int
}

type hostsPage struct {
	Env, Stage      string
	CurrentDeployID string
	Filter          hostFilter
	Colors          []hostColorCount
	AgentStates     []string
	Total, Shown    int
	Rows            []hostRow
	// HostsUnread is set when the host list could not be read, so the page does not claim
	// the stage has none.
	HostsUnread bool
	Notes       []string
}

// hosts renders every host of a stage as a table with per-host actions. The filter only
// hides rows, so the filter box can widen it again without a round trip.
func (b *Board) hosts(c *gin.Context) {
	ctx := c.Request.Context()
	env, name := c.Param("env"), c.Param("stage")
	st, ok := b.loadStage(c, env, name)
	if !ok {
		return
	}
	page := hostsPage{Env: st.EnvName, Stage: st.StageName, AgentStates: filterAgentStates}
	filter, unknown := parseHostFilter(c.Request.URL.Query())
	page.Filter = filter
	if unknown != "" {
		page.Notes = append(page.Notes, "“"+unknown+"” is neither a grid colour nor an agent state; showing every host.")
	}
	fail := func(what string, err error) {
		b.Logger.Error("board: "+what, "env", env, "stage", name, "error", err)
		page.Notes = append(page.Notes, "Could not "+what+"; the server log has the details.")
	}
	// The grid colours compare each host with the current deploy, so say they may be off.
	current := b.currentDeploy(ctx, st, func(what string, err error) { fail(what+" (colours may be off)", err) })
	if current != nil {
		page.CurrentDeployID = current.ID
	}
	hosts, err := b.Store.ListStageHosts(ctx, env, name)
	if err != nil {
		fail("list the stage's hosts", err)
		page.HostsUnread = true
	}
	builds := newDeployBuilds(b.Store)
	counts := map[string]int{}
	now := time.Now()
	for _, h := range hosts {
		phase := core.PhaseOf(h.Agent, h.LastPingAt, deployIDOf(current), now)
		row := newHostRow(ctx, h, phaseColor(phase), builds, now)
		row.Actions = boardHostActions(h.Agent, phase)
		row.Hidden = !filter.matches(row.Name, row.Color, row.State)
		if !row.Hidden {
			page.Shown++
		}
		counts[row.Color]++
		page.Rows = append(page.Rows, row)
	}
	if builds.Failed != nil {
		fail("read some deploys (their builds show as unknown)", builds.Failed)
	}
	page.Total = len(page.Rows)
	for _, l := range legend {
		page.Colors = append(page.Colors, hostColorCount{Color: l.Color, Label: l.Label, Count: counts[l.Color],
			Href: hostsFilterPath(env, name, l.Color)})
	}
	b.render(c, http.StatusOK, "hosts.html", page)
}

// newHostRow turns one host of the stage into its table row.
func newHostRow(ctx context.Context, h schema.StageHost, color string, builds *deployBuilds, now time.Time) hostRow {
	row := hostRow{
		Name: h.HostName, Href: hostPagePath(h.HostName), HostID: h.HostID, IP: h.IP, Groups: strings.Join(h.Groups, ", "), Member: membershipLabel(h.MemberBy),
		Color: color, LastPingAt: h.LastPingAt, LastPingAge: agoOrNever(h.LastPingAt, now),
	}
	if a := h.Agent; a != nil {
		row.HasAgent = true
		row.DeployID, row.DeployStage, row.Status, row.State, row.FailCount = a.DeployID, a.DeployStage, a.Status, a.State, a.FailCount
		row.BuildID = builds.buildOf(ctx, a.DeployID)
		if a.DeployID != "" {
			row.DeployHref = deployPagePath(a.DeployID)
		}
	}
	if e := h.LastError; e != nil {
		row.ErrorLine, row.ErrorText = errorHeadline(e.ErrorMessage), e.ErrorMessage
		row.ErrorStale = core.IsStaleError(h.Agent, e)
	}
	return row
}
