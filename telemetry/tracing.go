package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TracerName names the tracer of every span the service itself starts (HTTP, database).
const TracerName = "teletraan"

// The standard OpenTelemetry variables that turn export on and pick its wire protocol.
const (
	envOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envOTLPTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envTracesExporter     = "OTEL_TRACES_EXPORTER"
	envSDKDisabled        = "OTEL_SDK_DISABLED"
	envServiceName        = "OTEL_SERVICE_NAME"
)

// Tracing is the process's tracer provider. When export is off it holds none and the
// global no-op provider stays in place, so spans cost nothing; trace ids that arrive in a
// traceparent header still reach the log lines, because the no-op tracer keeps its parent.
type Tracing struct {
	provider *sdktrace.TracerProvider
	endpoint string
	protocol string
}

// TracingEnabled reports whether the environment asks for OTLP trace export: an OTLP
// endpoint or OTEL_SERVICE_NAME is set, and neither OTEL_SDK_DISABLED=true nor
// OTEL_TRACES_EXPORTER=none says otherwise. Off by default, so that a dev machine
// or CI never dials a collector that is not there.
func TracingEnabled() bool {
	if strings.EqualFold(os.Getenv(envSDKDisabled), "true") || strings.EqualFold(os.Getenv(envTracesExporter), "none") {
		return false
	}
	return os.Getenv(envOTLPEndpoint) != "" || os.Getenv(envOTLPTracesEndpoint) != "" || os.Getenv(envServiceName) != ""
}

// SetupTracing installs W3C trace-context propagation and, when TracingEnabled, a tracer
// provider that batches spans to the OTLP endpoint the standard variables name, over gRPC
// or HTTP as OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL says (OTEL_EXPORTER_OTLP_ENDPOINT,
// _HEADERS, _INSECURE, _CERTIFICATE, ... read by the exporter itself). service names the process (teletraan-server, teletraan-worker,
// teletraan-dev) unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise.
// Call it once per process, before dialing Temporal or opening the database.
func SetupTracing(ctx context.Context, service string) (*Tracing, error) {
	// Always, even with export off: the Temporal interceptor carries the caller's trace
	// through workflow headers only with a real propagator, and the agent's traceparent is
	// only read with one.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !TracingEnabled() {
		return &Tracing{}, nil
	}
	protocol, err := otlpProtocol()
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	if protocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("start the OTLP/%s trace exporter (%s): %w", protocol, envOTLPEndpoint, err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service)),
		// After the default, so that OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("describe the trace resource (%s): %w", envServiceName, err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	endpoint := os.Getenv(envOTLPTracesEndpoint)
	if endpoint == "" {
		endpoint = os.Getenv(envOTLPEndpoint)
	}
	if endpoint == "" && protocol == "grpc" {
		endpoint = "localhost:4317 (the OTLP/gRPC default)"
	} else if endpoint == "" {
		endpoint = "localhost:4318 (the OTLP/HTTP default)"
	}
	return &Tracing{provider: tp, endpoint: endpoint, protocol: protocol}, nil
}

// otlpProtocol is the trace exporter's wire protocol as the standard variables choose it
// (the traces-specific one first): grpc, or http/protobuf; grpc when neither is set, as
// before the variable existed. Anything else is refused with what to set instead.
func otlpProtocol() (string, error) {
	for _, name := range []string{envOTLPTracesProtocol, envOTLPProtocol} {
		switch p := os.Getenv(name); p {
		case "":
			continue
		case "grpc", "http/protobuf":
			return p, nil
		default:
			return "", fmt.Errorf("%s=%s: set it to grpc (the collector's port 4317) or http/protobuf (port 4318); http/json is not supported", name, p)
		}
	}
	return "grpc", nil
}

// Enabled reports whether spans are exported.
func (t *Tracing) Enabled() bool {
	return t != nil && t.provider != nil
}

// Endpoint is where spans go, for the start-up log line; "" when export is off.
func (t *Tracing) Endpoint() string {
	if t == nil {
		return ""
	}
	return t.endpoint
}

// Protocol is the OTLP wire protocol spans are sent with (grpc or http/protobuf); "" when
// export is off.
func (t *Tracing) Protocol() string {
	if t == nil {
		return ""
	}
	return t.protocol
}

// Shutdown flushes the spans still batched and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// TraceIDs returns the trace and span ids of ctx's span as hex, or "" when it has none.
func TraceIDs(ctx context.Context) (traceID, spanID string) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return "", ""
	}
	return sc.TraceID().String(), sc.SpanID().String()
}
