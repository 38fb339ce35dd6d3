package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// capacityStore is what the capacity handlers ask of the store.
type capacityStore interface {
	GetCapacity(ctx context.Context, env, stage string) (schema.Capacity, error)
	SetCapacity(ctx context.Context, env, stage string, c schema.Capacity, operator string) (schema.Capacity, error)
}

func (s *server) getCapacity(c *gin.Context) {
	capacity, err := s.capacity.GetCapacity(c.Request.Context(), c.Param("env"), c.Param("stage"))
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
	capacity, err := s.capacity.SetCapacity(c.Request.Context(), c.Param("env"), c.Param("stage"), capacityRow(body), operator)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, capacityJSON(capacity))
}
