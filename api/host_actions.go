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

// hostActions are the actions of POST .../hosts/:host/actions/:action, in the order the
// errors list them; core.HostActionState says which agent state each sets. Exclude is
// Teletraan's "pause host" (PAUSED_BY_USER: out of deploys, counted only in their total);
// pause holds the host at its step while the deploy keeps waiting for it; stop runs the
// build's STOPPING script and rests the host at STOPPED.
var hostActions = []string{core.HostRetry, core.HostExclude, core.HostPause, core.HostResume, core.HostStop}

func (s *server) hostAction(c *gin.Context) {
	action := c.Param("action")
	state := core.HostActionState[action]
	if state == "" {
		s.fail(c, &core.Error{Code: core.EINVALID, Field: "action",
			Message: fmt.Sprintf("unknown host action %q: use one of %s", action, strings.Join(hostActions, ", "))})
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
