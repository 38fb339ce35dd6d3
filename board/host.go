package board

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

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
		}
		page.Stages = append(page.Stages, row)
	}
	if builds.Failed != nil {
		b.Logger.Error("board: read deploys of host", "host", name, "error", builds.Failed)
		page.Notes = append(page.Notes, "Could not read some deploys (their builds show as unknown); the server log has the details.")
	}
	b.render(c, http.StatusOK, "host.html", page)
}
