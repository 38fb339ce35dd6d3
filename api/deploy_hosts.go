package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// deployHostsView is the body of GET /v1/deploys/:id/hosts: a deploy's hosts by wave.
type deployHostsView struct {
	DeployID string     `json:"deployId"`
	Waves    []waveView `json:"waves"`
}

// waveView is one wave; wave 0 holds hosts that installed without an admission.
type waveView struct {
	Wave       int              `json:"wave"`
	AdmittedAt time.Time        `json:"admittedAt"`
	Hosts      []deployHostView `json:"hosts"`
}

// deployHostView is one host's part in the deploy; outcome is "" while it is in flight.
type deployHostView struct {
	HostName     string     `json:"hostName"`
	HostID       string     `json:"hostId"`
	Outcome      string     `json:"outcome"`
	ErrorMessage string     `json:"errorMessage"`
	FinishedAt   *time.Time `json:"finishedAt,omitempty"`
}

func (s *server) deployHosts(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := s.deploys.GetDeploy(ctx, c.Param("id"))
	if err == nil {
		err = MayReadEnv(c, d.EnvName)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	hosts, err := s.deploys.ListDeployHosts(ctx, d.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, deployHostsJSON(d.ID, schema.DeployWaves(hosts)))
}
