package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// healthCheckTimeout bounds each dependency probe so that a hung database or Temporal
// frontend makes /healthz fail fast instead of hanging the load balancer's check.
const healthCheckTimeout = 2 * time.Second

// healthStore is what /healthz asks of the store: whether the database answers.
type healthStore interface {
	Ping(ctx context.Context) error
}

// healthResponse is the body of /healthz; each dependency is "ok", "not checked", or
// "unreachable: <why>".
type healthResponse struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Temporal string `json:"temporal"`
}

func (s *server) health(c *gin.Context) {
	ctx := c.Request.Context()
	resp := healthResponse{Status: "ok", Database: "ok", Temporal: "not checked"}
	if err := probe(ctx, s.database.Ping); err != nil {
		resp.Status, resp.Database = "unavailable", "unreachable: "+err.Error()
	}
	if s.temporalHealth != nil {
		resp.Temporal = "ok"
		if err := probe(ctx, s.temporalHealth); err != nil {
			resp.Status, resp.Temporal = "unavailable", "unreachable: "+err.Error()
		}
	}
	status := http.StatusOK
	if resp.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, resp)
}

func probe(ctx context.Context, check func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, healthCheckTimeout)
	defer cancel()
	return check(ctx)
}
