package board

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// betweenLimits bound the list of builds between the two compared ones: the store is read
// a page at a time, newest first, and gives up after scan builds so that even a pile of
// builds published in one instant costs a bounded number of queries.
type betweenLimits struct {
	page, shown, scan int
}

// compareLimits are the compare page's bounds: 200 rows is more than anyone reads during an
// incident; past that the repository's own comparison has the full history. A page holds
// the newer build, the rows shown and one more that tells whether the list is cut short,
// so that one query answers unless builds share an instant with the newer one.
var compareLimits = betweenLimits{page: 200 + 2, shown: 200, scan: 5000}

// compareSide is one of the two builds, with the links the page can make for it.
type compareSide struct {
	Build        *schema.Build
	CommitURL    string
	RepoURL      string
	ArtifactLink string
}

// betweenRow is one build published between the compared two.
type betweenRow struct {
	Build     schema.Build
	CommitURL string
}

// comparePlan is what can be said about two builds before reading anything else: which is
// older, how to select the builds between them, and what the operator must be warned of.
type comparePlan struct {
	Older, Newer schema.Build
	Reversed     bool
	Same         bool
	// ListBetween is false when the builds belong to different build streams, where
	// "published between" means nothing.
	ListBetween bool
	// Branch narrows the builds between to the branch both builds share; "" means all.
	Branch string
	// SameRepo is true when both builds name the same, non-empty repository.
	SameRepo   bool
	RepoURL    string
	CompareURL string
	Notes      []string
}

// comparePage is what compare.html draws.
type comparePage struct {
	Stage        *schema.Stage
	FromID, ToID string
	From, To     *compareSide
	Plan         *comparePlan
	SwapURL      string
	BuildsURL    string
	// Problems say why the page cannot compare: a build id that does not exist, or no
	// default to fall back on.
	Problems      []string
	Between       []betweenRow
	BetweenScope  string
	BetweenCut    bool
	BetweenFailed bool
	BetweenShown  int
	Error         string
	// CurrentBuild is the build of the stage's current deploy, marked on either side.
	CurrentBuild string
}

// compareBuilds shows two builds side by side and the builds published between them,
// defaulting to the stage's current build and its newest one.
func (b *Board) compareBuilds(c *gin.Context) {
	ctx := c.Request.Context()
	env, name := c.Param("env"), c.Param("stage")
	st, ok := b.loadStage(c, env, name)
	if !ok {
		return
	}
	page := comparePage{Stage: st, FromID: c.Query("from"), ToID: c.Query("to"), BuildsURL: stagePath(env, name, "/builds"), BetweenShown: compareLimits.shown}
	status := http.StatusOK
	fail := func(what string, err error) {
		b.Logger.Error("board: "+what, "env", env, "stage", name, "error", err)
		page.Error = "Part of this page could not be read; the server log has the details."
	}

	if d := b.currentDeploy(ctx, st, fail); d != nil {
		page.CurrentBuild = d.BuildID
	}
	if page.FromID == "" {
		page.FromID = page.CurrentBuild
		if st.CurrentDeployID == "" {
			page.Problems = append(page.Problems, "This stage has never been deployed, so there is no current build to compare from: pick two builds on the builds page.")
		}
	}
	if page.ToID == "" {
		if newest, err := b.Store.ListBuilds(ctx, schema.BuildFilter{Name: st.BuildName, Limit: 1}); err != nil {
			fail("list builds", err)
		} else if len(newest) == 0 {
			page.Problems = append(page.Problems, fmt.Sprintf("No builds named %s have been published yet.", st.BuildName))
		} else {
			page.ToID = newest[0].ID
		}
	}

	load := func(id string) *compareSide {
		if id == "" {
			return nil
		}
		bd, err := b.Store.GetBuild(ctx, id)
		if err != nil {
			// The two builds are what the page is about, so a side that cannot be read sets
			// the page's status; the page still shows the other side.
			p := errorPageOf(core.ErrorCode(err))
			status = p.Status
			switch p.Kind {
			case pageMissing:
				page.Problems = append(page.Problems, fmt.Sprintf("There is no build %s.", id))
			case pageRefused:
				page.Problems = append(page.Problems, fmt.Sprintf("Build %s: %s", id, core.ErrorMessage(err)))
			default:
				fail("get build "+id, err)
			}
			return nil
		}
		return &compareSide{Build: bd, CommitURL: commitURL(bd.Repo, bd.Commit), RepoURL: repoURL(bd.Repo), ArtifactLink: linkableArtifact(bd.ArtifactURL)}
	}
	page.From, page.To = load(page.FromID), load(page.ToID)

	if page.From != nil && page.To != nil {
		plan := planCompare(*page.From.Build, *page.To.Build, st.BuildName)
		page.Plan = &plan
		if plan.Reversed {
			page.SwapURL = buildComparePath(env, name, page.ToID, page.FromID)
		}
		if plan.ListBetween && !plan.Same {
			page.BetweenScope = "named " + plan.Older.Name
			if plan.Branch != "" {
				page.BetweenScope += " on branch " + plan.Branch
			}
			list := func(ctx context.Context, offset, limit int) ([]schema.Build, error) {
				f := betweenFilter(plan)
				f.Limit, f.Offset = limit, offset
				return b.Store.ListBuilds(ctx, f)
			}
			between, complete, err := buildsBetween(ctx, list, plan.Older, plan.Newer, compareLimits)
			if err != nil {
				fail("list builds between", err)
				page.BetweenFailed = true
			}
			page.BetweenCut = !complete && err == nil
			for _, bd := range between {
				page.Between = append(page.Between, betweenRow{Build: bd, CommitURL: commitURL(bd.Repo, bd.Commit)})
			}
		}
	}
	b.render(c, status, "compare.html", page)
}

// planCompare decides how to compare from with to for a stage deploying stageBuildName.
func planCompare(from, to schema.Build, stageBuildName string) comparePlan {
	p := comparePlan{Older: from, Newer: to, Same: from.ID == to.ID, ListBetween: from.Name == to.Name}
	if p.Same {
		p.Notes = append(p.Notes, "Both sides are the same build: nothing changes between them.")
	}
	if publishedBefore(to, from) {
		p.Reversed = true
		p.Older, p.Newer = to, from
		p.Notes = append(p.Notes, fmt.Sprintf("“from” (%s) was published after “to” (%s): going from one to the other is a rollback. The lists below run from the older build to the newer one.", from.ID, to.ID))
	}
	for _, bd := range []schema.Build{from, to} {
		if stageBuildName != "" && bd.Name != stageBuildName {
			p.Notes = append(p.Notes, fmt.Sprintf("Build %s is named %s; this stage deploys builds named %s.", bd.ID, bd.Name, stageBuildName))
		}
	}
	if !p.ListBetween {
		p.Notes = append(p.Notes, fmt.Sprintf("The builds belong to different build streams (%s and %s): no builds are listed between them.", from.Name, to.Name))
	}
	if from.Branch == to.Branch {
		p.Branch = from.Branch
	} else {
		p.Notes = append(p.Notes, fmt.Sprintf("The builds come from different branches (%s and %s): the builds between them are listed from every branch, and the commits need not follow one another.", namedOrNone(from.Branch), namedOrNone(to.Branch)))
	}
	switch {
	case from.Repo != to.Repo:
		p.Notes = append(p.Notes, fmt.Sprintf("The builds come from different repositories (%s and %s): their commits cannot be compared.", namedOrNone(from.Repo), namedOrNone(to.Repo)))
	case from.Repo == "":
		p.Notes = append(p.Notes, "Neither build says which repository it was built from: only the builds published between them are known.")
	case !p.Same:
		p.SameRepo = true
		p.RepoURL = repoURL(from.Repo)
		p.CompareURL = compareURL(from.Repo, p.Older.Commit, p.Newer.Commit)
	}
	return p
}

// namedOrNone names an empty field in a sentence.
func namedOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// publishedBefore orders builds the way the store lists them (published time, then id),
// so "between" agrees with the builds page even for builds published in the same instant.
func publishedBefore(a, b schema.Build) bool {
	if !a.PublishedAt.Equal(b.PublishedAt) {
		return a.PublishedAt.Before(b.PublishedAt)
	}
	return a.ID < b.ID
}

// storeTimeStep is the finest publish time the store keeps (MySQL DATETIME(6), and the
// store's clock truncates to it): one step before an instant is the last one before it.
const storeTimeStep = time.Microsecond

// betweenFilter selects the builds the compare page lists between plan's two builds: of
// the older build's name and the plan's branch, published from the older build's instant
// to the newer one's, both included. The store's time bounds are exclusive and the store
// orders builds published in one instant by id, so the bounds are a step wider than the
// two instants and buildsBetween drops the ties that publishedBefore puts outside.
func betweenFilter(plan comparePlan) schema.BuildFilter {
	return schema.BuildFilter{
		Name:            plan.Older.Name,
		Branch:          plan.Branch,
		PublishedAfter:  plan.Older.PublishedAt.Add(-storeTimeStep),
		PublishedBefore: plan.Newer.PublishedAt.Add(storeTimeStep),
	}
}

// buildLister reads one page of builds, newest first.
type buildLister func(ctx context.Context, offset, limit int) ([]schema.Build, error)

// buildsBetween returns the builds strictly between older and newer, newest first. It
// reports complete=false when it stopped at lim.shown rows or after scanning lim.scan
// builds, so the page can say the list is cut short instead of pretending it is whole.
func buildsBetween(ctx context.Context, list buildLister, older, newer schema.Build, lim betweenLimits) (between []schema.Build, complete bool, err error) {
	for offset := 0; offset < lim.scan; {
		batch, err := list(ctx, offset, lim.page)
		if err != nil {
			return between, false, fmt.Errorf("list builds from offset %d: %w", offset, err)
		}
		for _, bd := range batch {
			if !publishedBefore(bd, newer) {
				continue
			}
			if !publishedBefore(older, bd) {
				return between, true, nil
			}
			if len(between) == lim.shown {
				return between, false, nil
			}
			between = append(between, bd)
		}
		if len(batch) < lim.page {
			return between, true, nil
		}
		offset += len(batch)
	}
	return between, false, nil
}

// linkableArtifact is raw when it is an http or https URL worth linking, else "": an artifact may
// live at a file: URL, which a browser would not open from the page anyway.
func linkableArtifact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return raw
}
