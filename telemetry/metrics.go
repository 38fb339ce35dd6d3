// Package telemetry is the service's metrics: one OpenTelemetry meter provider whose
// instruments (ours and the Temporal SDK's) are served at /metrics in Prometheus's text
// format. OpenTelemetry rather than client_golang alone, because the Temporal SDK reports
// its worker and client metrics through an OpenTelemetry meter (its contrib handler), and
// one provider gives one scrape, one naming scheme and, later, OTLP export of the same
// instruments without touching the code that records them.
package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Metrics holds the meter provider and the service's own instruments. Its methods are safe
// for concurrent use; a nil *Metrics records nothing, so that tests and tools need none.
type Metrics struct {
	provider *sdkmetric.MeterProvider
	registry *prometheus.Registry

	httpRequests metric.Int64Counter
	httpDuration metric.Float64Histogram
	pings        metric.Int64Counter
	pingDuration metric.Float64Histogram

	deploysStarted  metric.Int64Counter
	deployDuration  metric.Float64Histogram
	waveDuration    metric.Float64Histogram
	goalDelivery    metric.Float64Histogram
	alarmChecks     metric.Int64Counter
	webhooks        metric.Int64Counter
	promotions      metric.Int64Counter
	qualifications  metric.Int64Counter
	qualifyDuration metric.Float64Histogram
}

// New builds the meter provider, its Prometheus registry (with the Go runtime's and the
// process's own collectors) and the service's instruments.
func New() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("start the Prometheus exporter: %w", err)
	}
	m := &Metrics{provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), registry: reg}
	meter := m.provider.Meter("teletraan")
	seconds := metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
	if m.httpRequests, err = meter.Int64Counter("teletraan_http_requests",
		metric.WithDescription("HTTP requests answered, by method, route pattern and status class")); err != nil {
		return nil, err
	}
	if m.httpDuration, err = meter.Float64Histogram("teletraan_http_request_duration", metric.WithUnit("s"), seconds,
		metric.WithDescription("time to answer an HTTP request, by method and route pattern (held pings excluded)")); err != nil {
		return nil, err
	}
	if m.pings, err = meter.Int64Counter("teletraan_pings",
		metric.WithDescription("agent pings answered, by outcome (ok, held, refused, error) and the answer's opcode")); err != nil {
		return nil, err
	}
	if m.pingDuration, err = meter.Float64Histogram("teletraan_ping_duration", metric.WithUnit("s"), seconds,
		metric.WithDescription("time to decide a ping's goal, without the time it was held")); err != nil {
		return nil, err
	}
	if err := m.newOutcomeInstruments(meter); err != nil {
		return nil, err
	}
	return m, nil
}

// MeterProvider is the provider the Temporal SDK's metrics handler records into.
func (m *Metrics) MeterProvider() metric.MeterProvider {
	return m.provider
}

// Handler serves every instrument in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Shutdown flushes and stops the provider.
func (m *Metrics) Shutdown(ctx context.Context) error {
	if m == nil {
		return nil
	}
	return m.provider.Shutdown(ctx)
}

// ObserveHTTP records one answered request. route is gin's pattern ("" for no route), so
// that the label set stays bounded whatever paths clients ask for.
func (m *Metrics) ObserveHTTP(ctx context.Context, method, route string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "(no route)"
	}
	m.httpRequests.Add(ctx, 1, metric.WithAttributes(attribute.String("method", method), attribute.String("route", route),
		attribute.String("status", fmt.Sprintf("%dxx", status/100))))
	m.httpDuration.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String("method", method), attribute.String("route", route)))
}

// ObservePing records one answered ping: outcome is ok, held (answered after a long poll),
// refused (bad input or credentials) or error; opcode is the answer's ("" when refused).
func (m *Metrics) ObservePing(ctx context.Context, outcome, opcode string, took time.Duration) {
	if m == nil {
		return
	}
	m.pings.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome), attribute.String("opcode", opcode)))
	m.pingDuration.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String("outcome", outcome)))
}

// Gauge registers an observable gauge read at every scrape. read reports the current
// values through observe; an error from read is reported by the scrape, not panicked on.
func (m *Metrics) Gauge(name, description string, read func(ctx context.Context, observe func(value int64, labels ...attribute.KeyValue)) error) error {
	if m == nil {
		return nil
	}
	meter := m.provider.Meter("teletraan")
	g, err := meter.Int64ObservableGauge(name, metric.WithDescription(description))
	if err != nil {
		return fmt.Errorf("register gauge %s: %w", name, err)
	}
	_, err = meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		return read(ctx, func(v int64, labels ...attribute.KeyValue) { o.ObserveInt64(g, v, metric.WithAttributes(labels...)) })
	}, g)
	if err != nil {
		return fmt.Errorf("register gauge %s: %w", name, err)
	}
	return nil
}
