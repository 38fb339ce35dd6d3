package board

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// The home page's ?state= filters. static/home.js reads the same keys from each row's
// data-filters attribute, so the server and the browser agree on which rows a filter keeps.
const (
	filterAll       = "all"
	filterDeploying = "deploying"
	filterFailing   = "failing"
	filterUnhealthy = "unhealthy"
)

// homeFilters are the filter chips in the order the page shows them.
var homeFilters = []struct{ key, label string }{
	{filterAll, "All"},
	{filterDeploying, "Deploying now"},
	{filterFailing, "Failing"},
	{filterUnhealthy, "Unhealthy"},
}

// The home page's ?sort= orders: grouped by environment, or the most troubled stages first
// across all environments.
const (
	sortByName  = "name"
	sortTrouble = "trouble"
)

// Verdict ranks, worst first: sorting by rank puts the stages an on-call engineer must look
// at on top. Ranks up to rankUnreachable count as unhealthy.
const (
	rankFailingDeploy = iota
	rankFailedHosts
	rankUnreachable
	rankAborted
	rankDeploying
	rankHealthy
	rankNoHosts
	rankNeverDeployed
)

// homeQuery is what the home page was asked to show; its URL is homeURL(q).
type homeQuery struct {
	Q, State, Sort string
}

// verdict is a stage's health in one word or three, with the CSS class that colours it.
type verdict struct {
	Rank  int
	Label string
	Class string // bad, warn, busy, ok or idle
}

// hostCount is one coloured host count of a stage, linking to its hosts of that colour.
type hostCount struct {
	Color, Label, Href string
	N                  int
}

// homeRow is one stage of the home page.
type homeRow struct {
	Env, Stage, BuildName string
	Href                  string
	Deploy                *schema.Deploy
	Build                 *schema.Build
	DeployHref            string
	BuildsHref            string
	HostsHref             string
	WorkflowURL           string
	Progress              progress
	// HostsKnown is false when the host counts could not be read.
	HostsKnown bool
	Hosts      []hostCount
	HostTotal  int
	Age        string
	Verdict    verdict
	// Filters are the ?state= keys the row belongs to, space-separated, for home.js.
	Filters string
	// Search is the lower-case text that ?q= and the search box match against.
	Search string
	Hidden bool
}

// homeGroup is the rows of one environment, or all rows when sorted by trouble (Env "").
type homeGroup struct {
	Env    string
	Rows   []homeRow
	Hidden bool
}

// homeLink is a filter chip or sort link; Count is shown when HasCount.
type homeLink struct {
	Key, Label, Href string
	Count            int
	HasCount         bool
	Active           bool
}

// homePage is what home.html draws: the counts, the filter controls and the grouped rows.
type homePage struct {
	Query      homeQuery
	Groups     []homeGroup
	Total      int
	Deploying  int
	Failing    int
	Unhealthy  int
	Shown      int
	Filters    []homeLink
	Sorts      []homeLink
	ClearHref  string
	Error      string
	HostsError string
}

// home renders every stage with its current build, deploy and host health, filtered by ?q=
// and ?state=. Every row is sent and the non-matching ones are hidden, so that the search box
// can widen the filter in the browser without a round trip. A failed read of the host counts
// leaves the rest of the page up with a note.
func (b *Board) home(c *gin.Context) {
	ctx := c.Request.Context()
	q := parseHomeQuery(c.Request.URL.Query())
	page := homePage{Query: q, ClearHref: homeURL(homeQuery{State: filterAll, Sort: q.Sort})}
	summaries, err := b.Store.ListStageSummaries(ctx)
	if err != nil {
		b.Logger.Error("board: list stage summaries", "error", err)
		page.Error = "The stages could not be read: the database did not answer; the server log has the details."
	}
	if b.MayRead != nil {
		// Only the stages of the environments the caller may read.
		readable := summaries[:0]
		for _, s := range summaries {
			if b.MayRead(c, s.Stage.EnvName) == nil {
				readable = append(readable, s)
			}
		}
		summaries = readable
	}
	now := time.Now()
	var counts map[string]schema.HostCounts
	hostsKnown := true
	if len(summaries) > 0 {
		current := make(map[string]*schema.Deploy, len(summaries))
		for _, s := range summaries {
			current[s.Stage.ID] = s.Current
		}
		counts, err = b.Store.CountStageHosts(ctx, func(stageID string, h schema.StageHost) string {
			return hostColor(h, current[stageID], now)
		})
		if err != nil {
			b.Logger.Error("board: count stage hosts", "error", err)
			page.HostsError = "Host health could not be read (the Hosts column shows ?); the server log has the details."
			hostsKnown = false
		}
	}
	rows := make([]homeRow, 0, len(summaries))
	for _, s := range summaries {
		rows = append(rows, b.homeRowOf(s, counts[s.Stage.ID], hostsKnown, now))
	}
	page.fill(rows)
	b.render(c, http.StatusOK, "home.html", page)
}

// parseHomeQuery reads the page's query string; unknown filters and orders fall back to the
// defaults rather than failing, because a shared link should still open.
func parseHomeQuery(v url.Values) homeQuery {
	q := homeQuery{Q: strings.TrimSpace(v.Get("q")), State: filterAll, Sort: sortByName}
	for _, f := range homeFilters {
		if v.Get("state") == f.key {
			q.State = f.key
		}
	}
	if v.Get("sort") == sortTrouble {
		q.Sort = sortTrouble
	}
	return q
}

// homeURL is the shareable address of the home page showing q; defaults are left out.
// static/home.js builds the same URLs.
func homeURL(q homeQuery) string {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.State != "" && q.State != filterAll {
		v.Set("state", q.State)
	}
	if q.Sort != "" && q.Sort != sortByName {
		v.Set("sort", q.Sort)
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// homeRowOf builds a stage's row; hosts are its host counts by grid colour.
func (b *Board) homeRowOf(s schema.StageSummary, hosts schema.HostCounts, hostsKnown bool, now time.Time) homeRow {
	st := s.Stage
	r := homeRow{
		Env: st.EnvName, Stage: st.StageName, BuildName: st.BuildName,
		Href:       stagePath(st.EnvName, st.StageName, ""),
		BuildsHref: stagePath(st.EnvName, st.StageName, "/builds"),
		HostsHref:  stagePath(st.EnvName, st.StageName, "/hosts"),
		Deploy:     s.Current, Build: s.Build,
		HostsKnown: hostsKnown,
	}
	if d := s.Current; d != nil {
		r.DeployHref = deployPagePath(d.ID)
		r.WorkflowURL = b.workflowURL(d.WorkflowID)
		r.Progress = progressOf(d)
		r.Age = ago(d.CreatedAt, now)
	}
	if hostsKnown {
		for _, l := range legend {
			if n := hosts[l.Color]; n > 0 {
				r.Hosts = append(r.Hosts, hostCount{Color: l.Color, Label: l.Label, N: n, Href: hostsFilterPath(st.EnvName, st.StageName, l.Color)})
			}
		}
		r.HostTotal = hosts.Total()
	}
	r.Verdict = verdictOf(s.Current, hosts, hostsKnown)
	r.Filters = strings.Join(rowFilters(s.Current, r.Verdict), " ")
	r.Search = searchText(s)
	return r
}

// verdictOf judges a stage from its current deploy (nil if never deployed) and its host
// counts by grid colour. A failing deploy outranks sick hosts because it is what stops the
// rollout; without host counts only the deploy is judged.
func verdictOf(d *schema.Deploy, hosts schema.HostCounts, hostsKnown bool) verdict {
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	}
	switch {
	case d != nil && d.State == core.StateFailing:
		return verdict{rankFailingDeploy, "deploy FAILING", "bad"}
	case hostsKnown && hosts[colorFailed] > 0:
		return verdict{rankFailedHosts, plural(hosts[colorFailed], "failed host", "failed hosts"), "bad"}
	case hostsKnown && hosts[colorUnreachable] > 0:
		return verdict{rankUnreachable, plural(hosts[colorUnreachable], "host unreachable", "hosts unreachable"), "warn"}
	case d != nil && d.State == core.StateAborted:
		return verdict{rankAborted, "last deploy aborted", "warn"}
	case activityOf(d) == core.ActivityPaused:
		return verdict{rankDeploying, "deploy paused", "warn"}
	case activityOf(d) == core.ActivityDeploying:
		return verdict{rankDeploying, "deploying", "busy"}
	case d == nil:
		return verdict{rankNeverDeployed, "never deployed", "idle"}
	case hostsKnown && hosts.Total() == 0:
		return verdict{rankNoHosts, "no hosts", "idle"}
	}
	return verdict{rankHealthy, "healthy", "ok"}
}

// activityOf is what a stage whose current deploy is d (nil if never deployed) is doing.
func activityOf(d *schema.Deploy) core.StageActivity {
	if d == nil {
		return core.ActivityOf("", false, false)
	}
	return core.ActivityOf(d.State, d.Paused, true)
}

// rowFilters lists the ?state= filters (besides "all") a stage belongs to: "deploying" is a
// rollout admitting hosts or paused by an operator (core.ActivityOf), not a SUCCEEDING
// deploy that only waits to be superseded nor a FAILING one, which has its own filter.
func rowFilters(d *schema.Deploy, v verdict) []string {
	var out []string
	switch activityOf(d) {
	case core.ActivityDeploying, core.ActivityPaused:
		out = append(out, filterDeploying)
	case core.ActivityFailing:
		out = append(out, filterFailing)
	}
	if v.Rank <= rankUnreachable {
		out = append(out, filterUnhealthy)
	}
	return out
}

// searchText is what a search matches in a stage: env, stage, build stream, current build
// and operator, lower-cased once here so that the browser compares without folding case.
func searchText(s schema.StageSummary) string {
	parts := []string{s.Stage.EnvName + "/" + s.Stage.StageName, s.Stage.BuildName}
	if d := s.Current; d != nil {
		parts = append(parts, d.BuildID, d.Operator)
	}
	if b := s.Build; b != nil {
		parts = append(parts, b.Branch+"@"+b.CommitShort, b.Commit)
	}
	return strings.ToLower(strings.Join(parts, " "))
}

// matchesQuery reports whether every word of q occurs in the search text, ignoring case.
func matchesQuery(search, q string) bool {
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if !strings.Contains(search, w) {
			return false
		}
	}
	return true
}

// matchesFilter reports whether a row with the given data-filters keys passes filter.
func matchesFilter(filters, filter string) bool {
	return filter == filterAll || strings.Contains(" "+filters+" ", " "+filter+" ")
}

// fill counts, filters, orders and groups the rows and builds the filter and sort links.
func (p *homePage) fill(rows []homeRow) {
	p.Total = len(rows)
	perFilter := map[string]int{filterAll: len(rows)}
	for i := range rows {
		for _, f := range strings.Fields(rows[i].Filters) {
			perFilter[f]++
		}
		rows[i].Hidden = !(matchesFilter(rows[i].Filters, p.Query.State) && matchesQuery(rows[i].Search, p.Query.Q))
		if !rows[i].Hidden {
			p.Shown++
		}
	}
	p.Deploying, p.Failing, p.Unhealthy = perFilter[filterDeploying], perFilter[filterFailing], perFilter[filterUnhealthy]
	for _, f := range homeFilters {
		q := p.Query
		q.State = f.key
		p.Filters = append(p.Filters, homeLink{Key: f.key, Label: f.label, Href: homeURL(q), Count: perFilter[f.key], HasCount: true, Active: f.key == p.Query.State})
	}
	for _, s := range []struct{ key, label string }{{sortByName, "by environment"}, {sortTrouble, "trouble first"}} {
		q := p.Query
		q.Sort = s.key
		p.Sorts = append(p.Sorts, homeLink{Key: s.key, Label: s.label, Href: homeURL(q), Active: s.key == p.Query.Sort})
	}
	p.Groups = groupRows(rows, p.Query.Sort)
}

// groupRows orders rows (which come sorted by environment and stage) for display: one group
// per environment, or a single group with the worst verdicts first. A group whose rows are
// all hidden is hidden too.
func groupRows(rows []homeRow, order string) []homeGroup {
	var groups []homeGroup
	if order == sortTrouble {
		sorted := append([]homeRow(nil), rows...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Verdict.Rank < sorted[j].Verdict.Rank })
		if len(sorted) > 0 {
			groups = []homeGroup{{Rows: sorted}}
		}
	} else {
		for _, r := range rows {
			if n := len(groups); n == 0 || groups[n-1].Env != r.Env {
				groups = append(groups, homeGroup{Env: r.Env})
			}
			groups[len(groups)-1].Rows = append(groups[len(groups)-1].Rows, r)
		}
	}
	for i := range groups {
		groups[i].Hidden = true
		for _, r := range groups[i].Rows {
			if !r.Hidden {
				groups[i].Hidden = false
				break
			}
		}
	}
	return groups
}
