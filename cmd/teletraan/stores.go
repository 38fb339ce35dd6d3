package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
	"github.com/teletraan-on-temporal/teletraan/temporal"
)

// openCheckedStore opens the production database and refuses to go on unless its schema
// is exactly the one this binary knows.
func openCheckedStore(ctx context.Context, dsn string) (*schema.Store, error) {
	st, err := schema.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open the database: %w", err)
	}
	if err := st.CheckSchema(ctx); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("refusing to start: %w", err)
	}
	traceQueries(st)
	return st, nil
}

// traceQueries records the store's queries as spans of the trace they run in (none outside
// a trace, so the idle pollers add nothing).
func traceQueries(st *schema.Store) {
	st.DB().AddQueryHook(&telemetry.BunTracing{System: string(st.Dialect())})
}

// setupTracing installs the process's tracer provider (see telemetry.SetupTracing) and
// says at start whether spans leave the process, so that an operator missing traces can
// tell a collector problem from export being off.
func setupTracing(ctx context.Context, service string, logger *slog.Logger) (*telemetry.Tracing, error) {
	tr, err := telemetry.SetupTracing(ctx, service)
	if err != nil {
		return nil, err
	}
	if tr.Enabled() {
		logger.Info("exporting traces over OTLP", "endpoint", tr.Endpoint(), "protocol", tr.Protocol(), "service", service)
	} else {
		logger.Debug("trace export off: set OTEL_EXPORTER_OTLP_ENDPOINT to send traces to a collector")
	}
	return tr, nil
}

// production is what `teletraan server` and `teletraan worker` connect to.
type production struct {
	logger  *slog.Logger
	store   *schema.Store
	client  client.Client
	cfg     temporal.ClientConfig
	metrics *telemetry.Metrics
	tracing *telemetry.Tracing
}

// connectProduction sets up tracing for service, opens the checked app database and dials
// Temporal, failing with a message that says what to fix when either is unreachable.
func connectProduction(ctx context.Context, g *globalFlags, dsnFlag string, tf *temporalFlags, service string) (*production, error) {
	logger, err := g.logger()
	if err != nil {
		return nil, err
	}
	dsn, err := dbDSN(dsnFlag)
	if err != nil {
		return nil, err
	}
	tracing, err := setupTracing(ctx, service, logger)
	if err != nil {
		return nil, err
	}
	st, err := openCheckedStore(ctx, dsn)
	if err != nil {
		_ = tracing.Shutdown(ctx)
		return nil, err
	}
	metrics, err := telemetry.New()
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := registerStoreGauges(metrics, st); err != nil {
		_ = st.Close()
		return nil, err
	}
	cfg, err := tf.config(logger)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	cfg.Meter = metrics.MeterProvider()
	c, err := temporal.Dial(ctx, cfg)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	// Both checks at start, on servers as on workers, so that a wrong namespace or missing
	// search attributes stop the process with what to do instead of failing every deploy.
	if err := temporal.CheckNamespace(ctx, c, cfg.Address, cfg.Namespace); err != nil {
		c.Close()
		_ = st.Close()
		return nil, err
	}
	if err := temporal.EnsureSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		c.Close()
		_ = st.Close()
		return nil, err
	}
	logger.Info("connected to Temporal", "address", cfg.Address, "namespace", cfg.Namespace, "tls", cfg.UsesTLS())
	return &production{logger: logger, store: st, client: c, cfg: cfg, metrics: metrics, tracing: tracing}, nil
}

func (p *production) close() {
	p.client.Close()
	// Flush the last spans; bounded, because a collector that went away must not hold
	// the process at exit.
	flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.tracing.Shutdown(flushCtx); err != nil {
		p.logger.Warn("could not flush the last spans", "error", err)
	}
	_ = p.metrics.Shutdown(context.Background())
	_ = p.store.Close()
}
