package board

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// hostIdentity is one host row of the host page: a machine that reported the name.
type hostIdentity struct {
	Host        schema.Host
	Groups      string
	LastPingAge string
}

// hostStageRow is the host's place in one stage on the host page.
type hostStageRow struct {
	Env, Stage  string
	StageID     string
	StageHref   string
	HostsHref   string
	HostID      string
	Member      string
	HasAgent    bool
	DeployID    string
	DeployHref  string
	BuildID     string
	DeployStage string
	Status      string
	State       string
	FailCount   int
	UpdatedAt   *time.Time
	ErrorText   string
	ErrorAt     *time.Time
	// ErrorStale marks an error from an attempt the host has since got past.
	ErrorStale bool
	// Actions are the host actions the board offers in this stage now (boardHostActions).
	Actions []string
}

type hostPage struct {
	Name  string
	Hosts []hostIdentity
	// ManyIDs is set when several host rows share the name, so each stage row says which.
	ManyIDs bool
	Stages  []hostStageRow
	Notes   []string
}

// host renders one host by name: the machines that reported it and its deploy status in
// every stage, with the per-host actions.
func (b *Board) host(c *gin.Context) {
	ctx := c.Request.Context()
	name := c.Param("host")
	d, err := b.Store.HostDetail(ctx, name)
	if err != nil {
		b.renderUnreadable(c, "host "+name, err)
		return
	}
	now := time.Now()
	page := hostPage{Name: d.HostName, ManyIDs: len(d.Hosts) > 1}
	for _, h := range d.Hosts {
		ping := h.LastPingAt
		page.Hosts = append(page.Hosts, hostIdentity{Host: h, Groups: strings.Join(h.Groups, ", "), LastPingAge: agoOrNever(&ping, now)})
	}
	builds := newDeployBuilds(b.Store)
	for _, s := range d.Stages {
		row := hostStageRow{Env: s.EnvName, Stage: s.StageName, StageID: s.StageID, HostID: s.HostID, Member: membershipLabel(s.MemberBy)}
		if s.EnvName != "" {
			row.StageHref, row.HostsHref = stagePath(s.EnvName, s.StageName, ""), stagePath(s.EnvName, s.StageName, "/hosts")
		}
		if a := s.Agent; a != nil {
			row.HasAgent = true
			row.DeployID, row.DeployStage, row.Status, row.State, row.FailCount = a.DeployID, a.DeployStage, a.Status, a.State, a.FailCount
			updated := a.UpdatedAt
			row.UpdatedAt = &updated
			row.BuildID = builds.buildOf(ctx, a.DeployID)
			if a.DeployID != "" {
				row.DeployHref = deployPagePath(a.DeployID)
			}
		}
		if e := s.LastError; e != nil {
			at := e.UpdatedAt
			row.ErrorText, row.ErrorAt = e.ErrorMessage, &at
			row.ErrorStale = core.IsStaleError(s.Agent, e)
		}
		if s.EnvName != "" {
			row.Actions = b.hostActionsIn(ctx, s, d.Hosts, now)
		}
		page.Stages = append(page.Stages, row)
	}
	if builds.Failed != nil {
		b.Logger.Error("board: read deploys of host", "host", name, "error", builds.Failed)
		page.Notes = append(page.Notes, "Could not read some deploys (their builds show as unknown); the server log has the details.")
	}
	b.render(c, http.StatusOK, "host.html", page)
}

// hostActionsIn lists the actions that apply to the host in stage s: its phase needs the
// stage's current deploy and the last ping of the host row s is about. A stage that cannot
// be read offers none (the page still shows the row).
func (b *Board) hostActionsIn(ctx context.Context, s schema.HostStage, hosts []schema.Host, now time.Time) []string {
	st, err := b.Store.GetStage(ctx, s.EnvName, s.StageName)
	if err != nil {
		b.Logger.Error("board: read stage of host", "env", s.EnvName, "stage", s.StageName, "error", err)
		return nil
	}
	var ping *time.Time
	for i := range hosts {
		if hosts[i].ID == s.HostID {
			ping = &hosts[i].LastPingAt
		}
	}
	return boardHostActions(s.Agent, core.PhaseOf(s.Agent, ping, st.CurrentDeployID, now))
}
