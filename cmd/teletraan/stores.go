package main

import (
	"context"
	"fmt"
	"log/slog"

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
	return st, nil
}

// production is what `teletraan server` and `teletraan worker` connect to.
type production struct {
	logger  *slog.Logger
	store   *schema.Store
	client  client.Client
	cfg     temporal.ClientConfig
	metrics *telemetry.Metrics
}

// connectProduction opens the checked app database and dials Temporal, failing with a
// message that says what to fix when either is unreachable.
func connectProduction(ctx context.Context, g *globalFlags, dsnFlag string, tf *temporalFlags) (*production, error) {
	logger, err := g.logger()
	if err != nil {
		return nil, err
	}
	dsn, err := dbDSN(dsnFlag)
	if err != nil {
		return nil, err
	}
	st, err := openCheckedStore(ctx, dsn)
	if err != nil {
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
	cfg := tf.config(logger)
	cfg.Meter = metrics.MeterProvider()
	c, err := temporal.Dial(ctx, cfg)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return &production{logger: logger, store: st, client: c, cfg: cfg, metrics: metrics}, nil
}

func (p *production) close() {
	p.client.Close()
	_ = p.metrics.Shutdown(context.Background())
	_ = p.store.Close()
}
