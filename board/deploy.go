package board

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// waveNamesUpTo is the largest wave whose hosts the waves table names; bigger waves show
// coloured squares only (names on hover), so that a 1,000-host wave stays one table row.
const waveNamesUpTo = 20

// detailHost is one host of a deploy as the deploy page draws it.
type detailHost struct {
	Name, Href   string
	Wave         int
	Label, Color string
	ErrorMessage string
	FinishedAt   *time.Time
	// Retry marks a host the deploy recorded, so it has an id the Retry action can reset;
	// a host that never pinged has none.
	Retry bool
}

// detailWave is one row of the waves table.
type detailWave struct {
	Wave                               int
	AdmittedAt                         time.Time
	Succeeded, Failed, Stuck, InFlight int
	Hosts                              []detailHost
	ShowNames                          bool
}

// deployDetailPage is what deploy.html draws.
type deployDetailPage struct {
	Deploy *schema.Deploy
	Build  *schema.Build
	// Tag is the tag that speaks for Build; nil for none.
	Tag         *core.BuildTag
	CommitURL   string // the build's commit on its repository's web site, when recognisable
	Duration    string
	WorkflowURL string
	Progress    progress
	Waves       []detailWave
	WavesError  bool
	Failed      []detailHost
	Legend      []legendItem
	// RollbackTo offers "roll back to this deploy"; RetryFailed offers "retry failed
	// hosts" (the deploy is the stage's current one, has not ended and has failed hosts).
	RollbackTo, RetryFailed bool
	// AcceptanceSummary says where the deploy's acceptance stands (core.AcceptanceSummary);
	// TakesVerdict offers Accept and Reject: its stage's acceptance waits for a verdict.
	AcceptanceSummary string
	TakesVerdict      bool
	// Reasons are every state the deploy was put in and why, oldest first: a deploy that
	// failed on an alarm and was superseded since shows both. AlarmChecks are the checks
	// and alerts that acted on it, Deliveries every webhook delivery attempt.
	Reasons     []schema.DeployReason
	AlarmChecks []schema.AlarmCheck
	Deliveries  []schema.WebhookDelivery
	Error       string
}

// outcomeLegend lists the waves table's colours, trouble first.
var outcomeLegend = []legendItem{
	{outcomeColor(core.OutcomeFailed), outcomeLabel(core.OutcomeFailed)},
	{outcomeColor(core.OutcomeStuck), outcomeLabel(core.OutcomeStuck)},
	{outcomeColor(core.OutcomeInFlight), outcomeLabel(core.OutcomeInFlight)},
	{outcomeColor(core.OutcomeSucceeded), outcomeLabel(core.OutcomeSucceeded)},
}

// outcomeColor is the square colour of a host's outcome; the classes are the host grid's,
// plus "stuck".
func outcomeColor(outcome string) string {
	switch outcome {
	case core.OutcomeSucceeded:
		return colorServing
	case core.OutcomeFailed:
		return colorFailed
	case core.OutcomeStuck:
		return "stuck"
	}
	return colorDeploying
}

// outcomeLabel is how the page names an outcome.
func outcomeLabel(outcome string) string {
	switch outcome {
	case core.OutcomeSucceeded:
		return "succeeded"
	case core.OutcomeFailed:
		return "failed"
	case core.OutcomeStuck:
		return "stuck"
	}
	return "in flight"
}

// deployDetail renders one deploy: its summary, progress, waves and failed hosts. An unknown
// id is a 404 page; a read that fails after the deploy loaded leaves a note, since the
// summary alone already helps during an incident.
func (b *Board) deployDetail(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	d, err := b.Store.GetDeploy(ctx, id)
	if err == nil && b.MayRead != nil {
		err = b.MayRead(c, d.EnvName)
	}
	if err != nil {
		b.renderUnreadable(c, "deploy "+id, err)
		return
	}
	page := deployDetailPage{Deploy: d, Duration: duration(*d, time.Now()), WorkflowURL: b.workflowURL(d.WorkflowID),
		Progress: progressOf(d), Legend: outcomeLegend}
	fail := func(what string, err error) {
		b.Logger.Error("board: "+what, "deploy", id, "error", err)
		page.Error = "Part of this page could not be read; the server log has the details."
	}
	if bd, err := b.Store.GetBuild(ctx, d.BuildID); err == nil {
		page.Build = bd
		page.CommitURL = commitURL(bd.Repo, bd.Commit)
		if tags, err := b.Store.EffectiveTags(ctx, []schema.Build{*bd}); err != nil {
			fail("read build tags", err)
		} else {
			page.Tag = tags[bd.ID]
		}
	} else if core.ErrorCode(err) != core.ENOTFOUND {
		fail("get build", err)
	}
	if hosts, err := b.Store.ListDeployHosts(ctx, d.ID); err != nil {
		fail("list deploy hosts", err)
		page.WavesError = true
	} else {
		page.Waves, page.Failed = detailWaves(schema.DeployWaves(hosts))
	}
	if page.Reasons, err = b.Store.ListDeployReasons(ctx, d.ID); err != nil {
		fail("list deploy reasons", err)
	}
	if page.AlarmChecks, err = b.Store.ListAlarmChecks(ctx, d.ID); err != nil {
		fail("list alarm checks", err)
	}
	if page.Deliveries, err = b.Store.ListWebhookDeliveries(ctx, d.ID); err != nil {
		fail("list webhook deliveries", err)
	}
	if !core.IsFinalState(d.State) {
		// A host named in the capacity that never pinged has no id to record an outcome
		// under, yet the deploy counts it (as stuck after the stuck timeout): list it, so
		// that the table explains every failed or stuck host the counts mention.
		if stage, err := b.Store.ListStageHosts(ctx, d.EnvName, d.StageName); err != nil {
			fail("list stage hosts", err)
		} else {
			page.Failed = append(page.Failed, neverSeenHosts(stage)...)
		}
	}
	page.AcceptanceSummary = core.AcceptanceSummary(d.AcceptanceStatus, d.AcceptanceReason, false)
	if st, err := b.Store.GetStage(ctx, d.EnvName, d.StageName); err == nil {
		page.AcceptanceSummary = core.AcceptanceSummary(d.AcceptanceStatus, d.AcceptanceReason, st.Acceptance.HasChecks())
		page.TakesVerdict = st.Acceptance != nil && st.Acceptance.External != nil
		page.RollbackTo = canRollBackTo(st, b.currentBuildOf(ctx, st, []schema.Deploy{*d}), *d)
		if st.CurrentDeployID == d.ID && !core.IsFinalState(d.State) {
			for _, h := range page.Failed {
				page.RetryFailed = page.RetryFailed || h.Retry
			}
		}
	} else if core.ErrorCode(err) != core.ENOTFOUND {
		fail("get stage", err)
	}
	b.render(c, http.StatusOK, "deploy.html", page)
}

// detailWaves prepares the waves table and the failed-or-stuck hosts, in wave order.
func detailWaves(waves []schema.DeployWave) ([]detailWave, []detailHost) {
	var rows []detailWave
	var failed []detailHost
	for _, w := range waves {
		row := detailWave{Wave: w.Wave, AdmittedAt: w.AdmittedAt, Succeeded: w.Succeeded, Failed: w.Failed, Stuck: w.Stuck,
			InFlight: w.InFlight, ShowNames: len(w.Hosts) <= waveNamesUpTo}
		for _, h := range w.Hosts {
			dh := detailHost{Name: h.HostName, Href: hostPagePath(h.HostName), Wave: h.Wave,
				Label: outcomeLabel(h.Outcome), Color: outcomeColor(h.Outcome), ErrorMessage: h.ErrorMessage, FinishedAt: h.FinishedAt,
				Retry: h.Outcome == core.OutcomeFailed || h.Outcome == core.OutcomeStuck}
			row.Hosts = append(row.Hosts, dh)
			if h.Outcome == core.OutcomeFailed || h.Outcome == core.OutcomeStuck {
				failed = append(failed, dh)
			}
		}
		rows = append(rows, row)
	}
	return rows, failed
}

// neverSeenText explains a never-seen host on a running deploy's page.
const neverSeenText = "named in the stage's capacity but has never pinged the server: the deploy waits for it, and counts it as stuck once the stuck timeout has passed"

// neverSeenHosts are the members of a stage that never pinged, as rows of the failed-or-
// stuck table.
func neverSeenHosts(hosts []schema.StageHost) []detailHost {
	var out []detailHost
	for _, h := range hosts {
		if h.HostID != "" || h.MemberBy == core.MemberRemoved {
			continue
		}
		out = append(out, detailHost{Name: h.HostName, Href: hostPagePath(h.HostName),
			Label: "never seen", Color: phaseColor(core.PhaseNeverSeen), ErrorMessage: neverSeenText})
	}
	return out
}
