package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (s *server) getCapacity(c *gin.Context) {
	capacity, err := s.store.GetCapacity(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, capacityJSON(capacity))
}

// setCapacity replaces the stage's hosts and groups: the body is the whole capacity, and a
// list left out is emptied, as PUT means.
func (s *server) setCapacity(c *gin.Context) {
	operator, err := callerName(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var body Capacity
	if err := decodeJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	capacity, err := s.store.SetCapacity(c.Request.Context(), c.Param("env"), c.Param("stage"), capacityRow(body), operator)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, capacityJSON(capacity))
}
