package api

import (
	"log/slog"
	"regexp"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// requestIDHeader carries the id that ties a client's request to the server's log lines.
const requestIDHeader = "X-Request-ID"

// requestIDRE limits incoming ids to characters that cannot forge log lines or headers.
var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type requestIDKey struct{}

// requestID adopts the caller's X-Request-ID when it is safe, so that a proxy's id follows
// the request into our logs, and mints one otherwise.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !requestIDRE.MatchString(id) {
			id = schema.NewID()
		}
		c.Set(requestIDKey{}, id)
		c.Header(requestIDHeader, id)
		// In the request's context too, so that every line logged while serving it (by
		// handlers, the deployer, the store) says which request it belongs to, and on the
		// span, so that a trace can be found from a request id a client reports.
		c.Request = c.Request.WithContext(telemetry.WithLogAttrs(c.Request.Context(), slog.String("request_id", id)))
		trace.SpanFromContext(c.Request.Context()).SetAttributes(attribute.String("teletraan.request_id", id))
		c.Next()
	}
}

func requestIDOf(c *gin.Context) string {
	v, _ := c.Get(requestIDKey{})
	id, _ := v.(string)
	return id
}
