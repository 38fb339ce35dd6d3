package board

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// buildsPerPage is one page of the builds list; markedDeploys is how far back the list
// looks for deploys of each build: about the history an on-call engineer reasons about.
const (
	buildsPerPage = 50
	markedDeploys = 30
	// maxBuildsPage keeps the offset a sane number whatever ?page= says.
	maxBuildsPage = 10000
)

// buildMarker tells what a stage did with a build: its most recent deploy among the
// stage's recent ones, and whether that deploy is the stage's current one.
type buildMarker struct {
	Current  bool
	DeployID string
	Type     string
	State    string
	At       time.Time
	Age      string
}

// buildListRow is one build of the builds page.
type buildListRow struct {
	Build     schema.Build
	CommitURL string
	Marker    *buildMarker
	// CompareURL shows what deploying this build would change against the current one.
	CompareURL string
	// Tag is the tag that speaks for the build (its own or its branch's); nil for none.
	Tag *core.BuildTag
}

// buildListPage is what builds.html draws.
type buildListPage struct {
	Stage    *schema.Stage
	Branch   string
	Branches []string
	Rows     []buildListRow
	Page     int
	Pager    pager
	FirstURL string
	// AllBranchesURL drops the branch filter.
	AllBranchesURL string
	CompareAction  string
	CurrentBuild   string
	ListFailed     bool
	Error          string
}

// builds lists the builds a stage can deploy, newest first and paged, with what the stage
// did with each, a Deploy and a Hotfix button, and a form to compare two of them.
func (b *Board) builds(c *gin.Context) {
	ctx := c.Request.Context()
	env, name := c.Param("env"), c.Param("stage")
	st, ok := b.loadStage(c, env, name)
	if !ok {
		return
	}
	branch := c.Query("branch")
	pageNo := buildsPageNumber(c.Query("page"))
	page := buildListPage{
		Stage:          st,
		Branch:         branch,
		Page:           pageNo,
		FirstURL:       buildsPageURL(env, name, branch, 1),
		AllBranchesURL: buildsPageURL(env, name, "", 1),
		CompareAction:  stagePath(env, name, "/builds/compare"),
	}
	fail := func(what string, err error) {
		b.Logger.Error("board: "+what, "env", env, "stage", name, "error", err)
		page.Error = "Part of this page could not be read; the server log has the details."
	}

	current := b.currentDeploy(ctx, st, fail)
	if current != nil {
		page.CurrentBuild = current.BuildID
	}
	recent, err := b.Store.ListDeploys(ctx, env, name, schema.DeployFilter{Limit: markedDeploys})
	if err != nil {
		fail("list deploys", err)
	}
	markers := buildMarkers(current, recent, time.Now())

	// One build more than a page tells whether an older page exists without counting.
	list, err := b.Store.ListBuilds(ctx, schema.BuildFilter{Name: st.BuildName, Branch: branch, Limit: buildsPerPage + 1, Offset: pageOffset(pageNo, buildsPerPage)})
	if err != nil {
		fail("list builds", err)
		page.ListFailed = true
	}
	list, hasOlder := pageRows(list, buildsPerPage)
	page.Pager = newPager("builds", pageNo, hasOlder, func(n int) string { return buildsPageURL(env, name, branch, n) })
	tags, err := b.Store.EffectiveTags(ctx, list)
	if err != nil {
		fail("read build tags", err)
	}
	for _, bd := range list {
		row := buildListRow{Build: bd, CommitURL: commitURL(bd.Repo, bd.Commit), Tag: tags[bd.ID]}
		if m, ok := markers[bd.ID]; ok {
			row.Marker = &m
		}
		if page.CurrentBuild != "" && bd.ID != page.CurrentBuild {
			row.CompareURL = buildComparePath(env, name, page.CurrentBuild, bd.ID)
		}
		page.Rows = append(page.Rows, row)
	}
	page.Branches = branchChoices(st.Branch, list)
	b.render(c, http.StatusOK, "builds.html", page)
}

// buildsPageNumber reads ?page=; anything that is not a page number shows the first page,
// since a hand-edited URL deserves a list rather than an error.
func buildsPageNumber(raw string) int {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxBuildsPage)
}

// buildsPageURL is the builds page of a stage for one branch filter and page number;
// the defaults (all branches, first page) stay out of the URL.
func buildsPageURL(env, stage, branch string, page int) string {
	q := url.Values{}
	if branch != "" {
		q.Set("branch", branch)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	path := stagePath(env, stage, "/builds")
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// buildMarkers maps each build id to its newest deploy among recent (newest first) and
// current; the current deploy wins for its build even when recent is cut short or failed
// to load, because "what runs now" is the first question of an incident.
func buildMarkers(current *schema.Deploy, recent []schema.Deploy, now time.Time) map[string]buildMarker {
	out := map[string]buildMarker{}
	mark := func(d schema.Deploy, isCurrent bool) {
		out[d.BuildID] = buildMarker{Current: isCurrent, DeployID: d.ID, Type: d.Type, State: d.State, At: d.CreatedAt, Age: age(now.Sub(d.CreatedAt))}
	}
	for i := len(recent) - 1; i >= 0; i-- {
		mark(recent[i], current != nil && recent[i].ID == current.ID)
	}
	if current != nil {
		mark(*current, true)
	}
	return out
}

// branchChoices are the branch filter's suggestions: the stage's own branch and those of
// the listed builds, each once, sorted.
func branchChoices(stageBranch string, builds []schema.Build) []string {
	seen := map[string]bool{}
	var out []string
	add := func(b string) {
		if b != "" && !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	add(stageBranch)
	for _, bd := range builds {
		add(bd.Branch)
	}
	sort.Strings(out)
	return out
}
