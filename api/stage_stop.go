package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// stageStop is the answer of POST /v1/envs/{env}/{stage}/stop.
type stageStop struct {
	// Stopped are the hosts told to stop now; Skipped the stage's other hosts, with why.
	Stopped []string          `json:"stopped"`
	Skipped map[string]string `json:"skipped"`
}

// stopStage stops the service on every host of a stage that deployed there (STOP: each
// agent runs the build's STOPPING script once and rests at STOPPED), as before a stage's
// machines are terminated. Hosts that never deployed there have nothing to stop and are
// listed as skipped; hosts already stopped are left as they are. Each host is changed as
// the per-host stop action does, so resume brings one back.
func (s *server) stopStage(c *gin.Context) {
	var body actionBody
	if _, err := optionalBody(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	env, stage := c.Param("env"), c.Param("stage")
	st, err := s.hosts.GetStage(ctx, env, stage)
	if err != nil {
		s.fail(c, err)
		return
	}
	hosts, err := s.hosts.ListStageHosts(ctx, env, stage)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := stageStop{Stopped: []string{}, Skipped: map[string]string{}}
	for _, h := range hosts {
		switch {
		case h.MemberBy == core.MemberRemoved:
			out.Skipped[h.HostName] = "left the stage"
		case h.HostID == "" || h.Agent == nil || h.Agent.DeployID == "":
			out.Skipped[h.HostName] = "has not deployed in the stage"
		case h.Agent.State == core.AgentStop:
			out.Skipped[h.HostName] = "already stopped"
		default:
			if _, err := s.hosts.SetAgentState(ctx, st.ID, h.HostID, core.AgentStop); err != nil {
				s.fail(c, fmt.Errorf("stop host %s of %s/%s (%d stopped before it: %v): %w", h.HostName, env, stage, len(out.Stopped), out.Stopped, err))
				return
			}
			out.Stopped = append(out.Stopped, h.HostName)
		}
	}
	c.JSON(http.StatusOK, out)
}
