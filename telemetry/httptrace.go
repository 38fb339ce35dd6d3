package telemetry

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// GinTracing is a gin middleware that starts a server span per request, continuing the
// trace of an incoming W3C traceparent header (an agent's ping, a proxy). It stands in for
// contrib's otelgin, which is not in the module graph and whose releases would move the
// pinned otel, gin and grpc versions. tp nil means the global provider at request time.
func GinTracing(tp trace.TracerProvider) gin.HandlerFunc {
	return func(c *gin.Context) {
		provider := tp
		if provider == nil {
			provider = otel.GetTracerProvider()
		}
		ctx := otel.GetTextMapPropagator().Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		route := c.FullPath()
		name := c.Request.Method + " " + route
		if route == "" {
			// The raw path would make one span name per URL a client invents.
			name = c.Request.Method
		}
		ctx, span := provider.Tracer(TracerName).Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", c.Request.Method),
				attribute.String("http.route", route),
				attribute.String("url.path", c.Request.URL.Path),
			))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, fmt.Sprintf("answered %d", status))
		}
	}
}
