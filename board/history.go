package board

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// deployHistoryPageSize is how many deploys one page of a stage's history shows.
const deployHistoryPageSize = 50

// deployHistoryMaxPage bounds ?page= so the offset stays far from overflowing.
const deployHistoryMaxPage = 1_000_000

// deployHistoryQuery is what the history page's URL asks for: a page (1 is the newest) and
// optional type and state filters.
type deployHistoryQuery struct {
	Type, State string
	Page        int
}

// parseDeployHistoryQuery reads ?page=, ?type= and ?state= (values in any case). A page
// that is not a whole number from 1 up is an error; the store checks the filters.
func parseDeployHistoryQuery(v url.Values) (deployHistoryQuery, error) {
	q := deployHistoryQuery{
		Type:  strings.ToUpper(strings.TrimSpace(v.Get("type"))),
		State: strings.ToUpper(strings.TrimSpace(v.Get("state"))),
		Page:  1,
	}
	if p := strings.TrimSpace(v.Get("page")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return q, core.Errorf(core.EINVALID, "page must be a whole number from 1 up, got %q", p)
		}
		if n > deployHistoryMaxPage {
			return q, core.Errorf(core.EINVALID, "page must be at most %d, got %d", deployHistoryMaxPage, n)
		}
		q.Page = n
	}
	return q, nil
}

// deployHistoryPath is the URL of one page of a stage's history with q's filters; page 1 and
// empty filters are left out so the plain URL stays plain.
func deployHistoryPath(env, stage string, q deployHistoryQuery) string {
	v := url.Values{}
	if q.Type != "" {
		v.Set("type", q.Type)
	}
	if q.State != "" {
		v.Set("state", q.State)
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	p := stagePath(env, stage, "/deploys")
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	return p
}

// previousBuild is the build a deploy replaced: the one it records, or, for a deploy that
// recorded none, the build of the deploy listed just before it in the unfiltered history
// (older is nil when there is none or the list is filtered and so not consecutive).
func previousBuild(d schema.Deploy, older *schema.Deploy) string {
	if d.FromBuildID != "" {
		return d.FromBuildID
	}
	if older != nil {
		return older.BuildID
	}
	return ""
}

// deployHistoryOption is one choice of a filter's drop-down.
type deployHistoryOption struct {
	Value, Label string
	Selected     bool
}

// deployFilterOptions lists "any" and values, marking the chosen one.
func deployFilterOptions(values []string, chosen string) []deployHistoryOption {
	out := []deployHistoryOption{{Value: "", Label: "any", Selected: chosen == ""}}
	for _, v := range values {
		out = append(out, deployHistoryOption{Value: v, Label: v, Selected: v == chosen})
	}
	return out
}

var (
	deployTypes  = []string{core.TypeRegular, core.TypeHotfix, core.TypeRollback, core.TypeRestart}
	deployStates = []string{core.StateRunning, core.StateFailing, core.StateSucceeding, core.StateSucceeded, core.StateAborted}
)

// deployHistoryRow is one deploy of the history table.
type deployHistoryRow struct {
	Deploy schema.Deploy
	// Build is nil when the build row is missing (or could not be read).
	Build *schema.Build
	// Tag is the tag that speaks for the build; nil for none.
	Tag *core.BuildTag
	// FromBuild is the build the deploy replaced, "" for a first deploy.
	FromBuild string
	// ChangesHref compares FromBuild with the deploy's build; "" when they are the same.
	ChangesHref string
	DetailHref  string
	Duration    string
	// CompareFrom and CompareTo pre-select the compare control: the newest deploy against
	// the one before it.
	CompareFrom, CompareTo bool
	// RollbackTo offers "roll back to this deploy": it is not the stage's current deploy
	// and its build is not the one the stage runs.
	RollbackTo bool
}

// deployHistoryPage is what history.html draws.
type deployHistoryPage struct {
	Env, Stage    string
	Query         deployHistoryQuery
	Filtered      bool
	Types, States []deployHistoryOption
	Rows          []deployHistoryRow
	// First and Last number the rows shown, counting from the newest deploy (1).
	First, Last                int
	Pager                      pager
	NewestHref, UnfilteredHref string
	CompareAction              string
	Timeline                   timelineView
	// Error explains a bad query or a failed read; the rest of the page still renders.
	Error string
}

// deployHistory renders a stage's deploys, newest first, a page at a time, with the timeline
// of the recent ones and a control to compare the builds of two deploys.
func (b *Board) deployHistory(c *gin.Context) {
	ctx := c.Request.Context()
	env, name := c.Param("env"), c.Param("stage")
	st, ok := b.loadStage(c, env, name)
	if !ok {
		return
	}
	now := time.Now()
	q, qerr := parseDeployHistoryQuery(c.Request.URL.Query())
	page := deployHistoryPage{
		Env: env, Stage: name, Query: q, Filtered: q.Type != "" || q.State != "",
		Types: deployFilterOptions(deployTypes, q.Type), States: deployFilterOptions(deployStates, q.State),
		NewestHref:     deployHistoryPath(env, name, deployHistoryQuery{Type: q.Type, State: q.State}),
		UnfilteredHref: deployHistoryPath(env, name, deployHistoryQuery{}),
		CompareAction:  stagePath(env, name, "/builds/compare"),
		Timeline:       b.recentTimeline(ctx, env, name, now),
	}
	if qerr != nil {
		page.Error = core.ErrorMessage(qerr)
		b.render(c, errorPageOf(core.ErrorCode(qerr)).Status, "history.html", page)
		return
	}
	// One deploy more than a page: it tells whether an older page exists and which build
	// the page's last deploy replaced.
	offset := pageOffset(q.Page, deployHistoryPageSize)
	deploys, err := b.Store.ListDeploys(ctx, env, name, schema.DeployFilter{Limit: deployHistoryPageSize + 1, Offset: offset, Type: q.Type, State: q.State})
	if p := errorPageOf(core.ErrorCode(err)); err != nil && p.Kind == pageRefused {
		// The store refused the filters: the query is at fault and the message says how.
		page.Error = core.ErrorMessage(err)
		b.render(c, p.Status, "history.html", page)
		return
	}
	if err != nil {
		// The list failed on our side; the page around it (filters, timeline) still helps.
		b.Logger.Error("board: list deploys", "env", env, "stage", name, "error", err)
		page.Error = "The deploy history could not be read; the server log has the details."
		b.render(c, http.StatusOK, "history.html", page)
		return
	}
	shown, hasOlder := pageRows(deploys, deployHistoryPageSize)
	page.Pager = newPager("", q.Page, hasOlder, func(n int) string {
		return deployHistoryPath(env, name, deployHistoryQuery{Type: q.Type, State: q.State, Page: n})
	})
	builds := b.deployHistoryBuilds(ctx, shown, &page)
	tags := b.historyTags(ctx, builds, &page)
	currentBuild := b.currentBuildOf(ctx, st, shown)
	for i, d := range shown {
		var older *schema.Deploy
		if !page.Filtered && i+1 < len(deploys) {
			older = &deploys[i+1]
		}
		row := deployHistoryRow{Deploy: d, Build: builds[d.BuildID], Tag: tags[d.BuildID], FromBuild: previousBuild(d, older),
			DetailHref: deployPagePath(d.ID), Duration: duration(d, now), CompareTo: i == 0, CompareFrom: i == 1,
			RollbackTo: canRollBackTo(st, currentBuild, d)}
		if row.FromBuild != "" && row.FromBuild != d.BuildID {
			row.ChangesHref = buildComparePath(env, name, row.FromBuild, d.BuildID)
		}
		page.Rows = append(page.Rows, row)
	}
	if len(shown) > 0 {
		page.First, page.Last = offset+1, offset+len(shown)
	}
	b.render(c, http.StatusOK, "history.html", page)
}

// deployHistoryBuilds reads the builds of deploys in one query. A missing build is left out
// (its rows show the id alone); a failed read leaves them all out and notes it on the page.
func (b *Board) deployHistoryBuilds(ctx context.Context, deploys []schema.Deploy, page *deployHistoryPage) map[string]*schema.Build {
	ids := make([]string, len(deploys))
	for i, d := range deploys {
		ids[i] = d.BuildID
	}
	read, err := b.Store.GetBuildsByID(ctx, ids)
	if err != nil {
		b.Logger.Error("board: get the builds of the deploy history", "env", page.Env, "stage", page.Stage, "error", err)
		page.Error = "Some builds could not be read; their rows show the build id only."
	}
	builds := make(map[string]*schema.Build, len(read))
	for id, bd := range read {
		builds[id] = &bd
	}
	return builds
}

// historyTags reads the tags that speak for the history's builds; a failed read leaves
// them out and notes it on the page.
func (b *Board) historyTags(ctx context.Context, builds map[string]*schema.Build, page *deployHistoryPage) map[string]*core.BuildTag {
	list := make([]schema.Build, 0, len(builds))
	for _, bd := range builds {
		list = append(list, *bd)
	}
	tags, err := b.Store.EffectiveTags(ctx, list)
	if err != nil {
		b.Logger.Error("board: read the tags of the deploy history's builds", "env", page.Env, "stage", page.Stage, "error", err)
		page.Error = "The builds' tags could not be read."
	}
	return tags
}

// currentBuildOf is the build of the stage's current deploy, found among known or read;
// "" when the stage was never deployed or the deploy cannot be read (rollback buttons are
// then not offered: the page cannot tell which build would change).
func (b *Board) currentBuildOf(ctx context.Context, st *schema.Stage, known []schema.Deploy) string {
	if st.CurrentDeployID == "" {
		return ""
	}
	for _, d := range known {
		if d.ID == st.CurrentDeployID {
			return d.BuildID
		}
	}
	d, err := b.Store.GetDeploy(ctx, st.CurrentDeployID)
	if err != nil {
		b.Logger.Error("board: read the current deploy", "env", st.EnvName, "stage", st.StageName, "error", err)
		return ""
	}
	return d.BuildID
}

// canRollBackTo reports whether rolling st back to d would change anything: d is another
// deploy of the stage than its current one, with another build.
func canRollBackTo(st *schema.Stage, currentBuild string, d schema.Deploy) bool {
	return currentBuild != "" && d.StageID == st.ID && d.ID != st.CurrentDeployID && d.BuildID != currentBuild
}
