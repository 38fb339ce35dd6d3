package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// hostStore is what the host listing and the host actions (host_actions.go) ask of the
// store.
type hostStore interface {
	GetStage(ctx context.Context, env, stage string) (*schema.Stage, error)
	ListStageHosts(ctx context.Context, env, stage string) ([]schema.StageHost, error)
	SetAgentState(ctx context.Context, stageID, hostID, state string) (*schema.Agent, error)
}

// hostList is the body of a stage's host listing.
type hostList struct {
	Hosts []StageHost `json:"hosts"`
}

func (s *server) listHosts(c *gin.Context) {
	ctx := c.Request.Context()
	st, err := s.hosts.GetStage(ctx, c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	hosts, err := s.hosts.ListStageHosts(ctx, st.EnvName, st.StageName)
	if err != nil {
		s.fail(c, err)
		return
	}
	now := time.Now()
	out := hostList{Hosts: make([]StageHost, len(hosts))}
	for i := range hosts {
		out.Hosts[i] = stageHostJSON(&hosts[i], st.CurrentDeployID, now)
	}
	c.JSON(http.StatusOK, out)
}
