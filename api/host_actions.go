package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// hostActions map the actions of POST .../hosts/:host/actions/:action to the agent state
// they set. exclude and pause both hold the host out of deploys (PAUSED_BY_USER): the
// deploy counts it as held; retry makes it start the current deploy over (RESET); stop
// makes its agent run the build's STOPPING script and rest at STOPPED (STOP), held too;
// resume lets a paused or stopped host deploy again.
var hostActions = []struct{ name, state string }{
	{"retry", core.AgentReset},
	{"exclude", core.AgentPausedByUser},
	{"pause", core.AgentPausedByUser},
	{"resume", core.AgentNormal},
	{"stop", core.AgentStop},
}

func (s *server) hostAction(c *gin.Context) {
	action := c.Param("action")
	state := ""
	names := make([]string, 0, len(hostActions))
	for _, a := range hostActions {
		names = append(names, a.name)
		if a.name == action {
			state = a.state
		}
	}
	if state == "" {
		s.fail(c, &core.Error{Code: core.EINVALID, Field: "action",
			Message: fmt.Sprintf("unknown host action %q: use one of %s", action, strings.Join(names, ", "))})
		return
	}
	var body actionBody
	if _, err := optionalBody(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	env, stage, name := c.Param("env"), c.Param("stage"), c.Param("host")
	st, err := s.hosts.GetStage(ctx, env, stage)
	if err != nil {
		s.fail(c, err)
		return
	}
	host, err := s.stageHost(c, env, stage, name)
	if err != nil {
		s.fail(c, err)
		return
	}
	if host.HostID == "" {
		s.fail(c, core.Errorf(core.ECONFLICT, "host %s has never pinged the server, so it has nothing to %s yet", host.HostName, action))
		return
	}
	if _, err := s.hosts.SetAgentState(ctx, st.ID, host.HostID, state); err != nil {
		s.fail(c, fmt.Errorf("%s host %s in %s/%s: %w", action, host.HostName, env, stage, err))
		return
	}
	after, err := s.stageHost(c, env, stage, host.HostName)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, stageHostJSON(after, st.CurrentDeployID, time.Now()))
}

// stageHost finds a host of a stage by name or id.
func (s *server) stageHost(c *gin.Context, env, stage, name string) (*schema.StageHost, error) {
	hosts, err := s.hosts.ListStageHosts(c.Request.Context(), env, stage)
	if err != nil {
		return nil, err
	}
	for i := range hosts {
		if hosts[i].HostName == name || (hosts[i].HostID != "" && hosts[i].HostID == name) {
			return &hosts[i], nil
		}
	}
	return nil, core.Errorf(core.ENOTFOUND, "host %s is not a host of %s/%s", name, env, stage)
}
