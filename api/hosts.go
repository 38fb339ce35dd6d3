package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// hostList is the body of a stage's host listing.
type hostList struct {
	Hosts []StageHost `json:"hosts"`
}

func (s *server) listHosts(c *gin.Context) {
	hosts, err := s.store.ListStageHosts(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, hostList{Hosts: mapList(hosts, stageHostJSON)})
}
