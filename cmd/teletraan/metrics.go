package main

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// registerStoreGauges adds the gauges read from the database at each scrape: deploys by
// type and state, and every stage's hosts by phase. They are the same on every replica,
// which is why dashboards aggregate them with max.
func registerStoreGauges(m *telemetry.Metrics, st *schema.Store) error {
	err := m.Gauge("teletraan_deploys", "deploys recorded, by type and state",
		func(ctx context.Context, observe func(int64, ...attribute.KeyValue)) error {
			counts, err := st.CountDeploys(ctx)
			if err != nil {
				return err
			}
			for _, c := range counts {
				observe(c.N, attribute.String("type", c.Type), attribute.String("state", c.State))
			}
			return nil
		})
	if err != nil {
		return err
	}
	return m.Gauge("teletraan_stage_hosts", "hosts of each stage, by phase against the stage's current deploy (core.PhaseOf)",
		func(ctx context.Context, observe func(int64, ...attribute.KeyValue)) error {
			summaries, err := st.ListStageSummaries(ctx)
			if err != nil {
				return err
			}
			current := map[string]string{}
			names := map[string][2]string{}
			for _, s := range summaries {
				current[s.Stage.ID] = s.Stage.CurrentDeployID
				names[s.Stage.ID] = [2]string{s.Stage.EnvName, s.Stage.StageName}
			}
			now := time.Now()
			counts, err := st.CountStageHosts(ctx, func(stageID string, h schema.StageHost) string {
				return string(core.PhaseOf(h.Agent, h.LastPingAt, current[stageID], now))
			})
			if err != nil {
				return err
			}
			for stageID, byPhase := range counts {
				n, ok := names[stageID]
				if !ok {
					continue
				}
				for phase, v := range byPhase {
					observe(int64(v), attribute.String("env", n[0]), attribute.String("stage", n[1]), attribute.String("phase", phase))
				}
			}
			return nil
		})
}
