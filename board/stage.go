package board

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// recentDeploys and deployableBuilds bound the stage page's two lists: enough to roll back
// or pick a build without paging, few enough to read at a glance.
const (
	recentDeploys    = 10
	deployableBuilds = 20
)

type deployRow struct {
	Deploy   schema.Deploy
	Duration string
}

// progress is a deploy's host counts and the widths of the bar drawing them.
type progress struct {
	Succeeded, InFlight, Failed, Remaining, Total int
	// Percentages of Total, as the widths of the bar's segments.
	SucceededPct, InFlightPct, FailedPct, RemainingPct float64
}

type stagePage struct {
	Stage       *schema.Stage
	Current     *schema.Deploy
	Build       *schema.Build
	WorkflowURL string
	Progress    progress
	Hosts       hostsByBuild
	// HasFailed offers "retry failed hosts": some host of the stage is in the failed phase.
	HasFailed bool
	// CompactAbove tells static/stage.js when to switch to the compact grid.
	CompactAbove int
	Deploys      []deployRow
	Builds       []schema.Build
	// Tags are the tags that speak for Build and Builds, by build id.
	Tags     map[string]*core.BuildTag
	Legend   []phaseLegendItem
	Timeline timelineView
	// PromoteTargets are the other stages of the environment, for the Promote control.
	PromoteTargets []string
	Error          string
}

type legendItem struct {
	Color, Label string
}

// phaseLegendItem explains one phase's colour and mark on the stage page's tiles.
type phaseLegendItem struct {
	Color, Phase, Label string
}

// phaseLegend lists every phase in the order an operator scans for trouble.
var phaseLegend = []phaseLegendItem{
	{colorServing, string(core.PhaseServing), "serving the current deploy's build"},
	{colorDeploying, string(core.PhaseDeploying), "deploying"},
	{colorFailed, string(core.PhaseFailed), "failed"},
	{colorPaused, string(core.PhasePaused), "paused or stopped"},
	{colorExcluded, string(core.PhaseExcluded), "excluded by a person"},
	{colorOther, string(core.PhaseOtherBuild), "on another build"},
	{colorUnreachable, string(core.PhaseUnreachable), "unreachable (no ping for 5 min) or never seen"},
}

// legend lists the grid's colours in the order an operator scans for trouble.
var legend = []legendItem{
	{colorServing, "serving this deploy's build"},
	{colorDeploying, "deploying"},
	{colorFailed, "failed"},
	{colorPaused, "paused or stopped"},
	{colorExcluded, "excluded by a person"},
	{colorOther, "on another build"},
	{colorUnreachable, "unreachable (no ping for 5 min)"},
}

// stage renders one stage: its current deploy, host grid, recent deploys and the builds
// it can deploy. A read that fails leaves its section empty with a note rather than
// failing the page: the rest still helps an operator during an incident.
func (b *Board) stage(c *gin.Context) {
	ctx := c.Request.Context()
	env, name := c.Param("env"), c.Param("stage")
	st, ok := b.loadStage(c, env, name)
	if !ok {
		return
	}
	// The page lists the stage's alarms: their URLs' credentials are write-only.
	view := *st
	view.StageConfig = st.StageConfig.Redacted(nil)
	page := stagePage{Stage: &view, Legend: phaseLegend, CompactAbove: compactAbove}
	fail := func(what string, err error) {
		b.Logger.Error("board: "+what, "env", env, "stage", name, "error", err)
		page.Error = "Part of this page could not be read; the server log has the details."
	}
	now := time.Now()
	if d := b.currentDeploy(ctx, st, fail); d != nil {
		page.Current = d
		page.Progress = progressOf(d)
		page.WorkflowURL = b.workflowURL(d.WorkflowID)
		if bd, err := b.Store.GetBuild(ctx, d.BuildID); err == nil {
			page.Build = bd
		} else if core.ErrorCode(err) != core.ENOTFOUND {
			fail("get build", err)
		}
	}
	// One read serves the timeline, from its newest the recent-deploys table, and the
	// builds of most hosts' deploys.
	var recent []schema.Deploy
	if deploys, err := b.Store.ListDeploys(ctx, env, name, schema.DeployFilter{Limit: max(timelineDeploys, recentDeploys)}); err != nil {
		fail("list deploys", err)
		page.Timeline = timelineView{Note: timelineUnreadable}
	} else {
		for _, d := range deploys[:min(recentDeploys, len(deploys))] {
			page.Deploys = append(page.Deploys, deployRow{Deploy: d, Duration: duration(d, now)})
		}
		page.Timeline = newTimeline(deploys[:min(timelineDeploys, len(deploys))], now)
		recent = deploys
	}
	if hosts, err := b.Store.ListStageHosts(ctx, env, name); err != nil {
		fail("list hosts", err)
	} else {
		buildOf, builds, err := b.buildsOfHosts(ctx, hosts, recent)
		if err != nil {
			fail("read the builds of the hosts", err)
		}
		page.Hosts = groupHostsByBuild(hosts, page.Current, buildOf, builds, now)
		for _, g := range page.Hosts.Groups {
			for _, p := range g.Phases {
				page.HasFailed = page.HasFailed || p.Phase == string(core.PhaseFailed)
			}
		}
	}
	if siblings, err := b.Store.ListStages(ctx, schema.StageFilter{EnvName: env}); err != nil {
		fail("list stages of the environment", err)
	} else {
		for _, s := range siblings {
			if s.StageName != name {
				page.PromoteTargets = append(page.PromoteTargets, s.StageName)
			}
		}
	}
	if builds, err := b.Store.ListBuilds(ctx, schema.BuildFilter{Name: st.BuildName, Limit: deployableBuilds}); err != nil {
		fail("list builds", err)
	} else {
		page.Builds = builds
	}
	tagged := page.Builds
	if page.Build != nil {
		tagged = append(append([]schema.Build(nil), tagged...), *page.Build)
	}
	if tags, err := b.Store.EffectiveTags(ctx, tagged); err != nil {
		fail("read build tags", err)
	} else {
		page.Tags = tags
	}
	b.render(c, http.StatusOK, "stage.html", page)
}

// progressOf turns a deploy's counts into bar widths; a deploy that has not counted its
// hosts yet shows an empty bar rather than dividing by zero.
func progressOf(d *schema.Deploy) progress {
	p := progress{Succeeded: d.Succeeded, InFlight: d.InFlight, Failed: d.Failed, Remaining: d.Remaining, Total: d.Total}
	if d.Total > 0 {
		pct := func(n int) float64 { return 100 * float64(n) / float64(d.Total) }
		p.SucceededPct, p.InFlightPct, p.FailedPct, p.RemainingPct = pct(d.Succeeded), pct(d.InFlight), pct(d.Failed), pct(d.Remaining)
	}
	return p
}

// duration is how long a deploy ran, or has been running so far.
func duration(d schema.Deploy, now time.Time) string {
	return deployEnd(d, now).Sub(d.CreatedAt).Round(time.Second).String()
}

// deployEnd is when a deploy ended, or now while it runs.
func deployEnd(d schema.Deploy, now time.Time) time.Time {
	if d.EndedAt != nil {
		return *d.EndedAt
	}
	return now
}

// workflowURL links to a workflow in the Temporal UI the way the API does: the id is one
// path segment, so its slash is escaped.
func (b *Board) workflowURL(workflowID string) string {
	if b.TemporalUIURL == "" || workflowID == "" {
		return ""
	}
	return strings.TrimRight(b.TemporalUIURL, "/") + "/namespaces/" + url.PathEscape(b.Namespace) + "/workflows/" + url.PathEscape(workflowID)
}
