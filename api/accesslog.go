package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// accessLog writes one line per request; its request_id and trace_id come from the
// request's context (see requestID and telemetry.ContextHandler). 5xx answers are logged at Warn because they are
// the server's fault and worth an operator's look; everything else is routine.
func (s *server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelWarn
		}
		s.logger.LogAttrs(c.Request.Context(), level, "http request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", c.Request.RemoteAddr))
	}
}

// observe records every answered request in the HTTP metrics, by route pattern. Pings are
// left to their own instruments: a held ping's minutes would drown every other route.
func (s *server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if c.FullPath() == "/v1/system/ping" {
			return
		}
		s.metrics.ObserveHTTP(c.Request.Context(), c.Request.Method, c.FullPath(), c.Writer.Status(), time.Since(start))
	}
}
