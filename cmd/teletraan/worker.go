package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
	"github.com/teletraan-on-temporal/teletraan/temporal"
	"github.com/teletraan-on-temporal/teletraan/temporal/deployer"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// registerAll registers every workflow and activity of teletraan on a worker; c is the
// client the promotion activities reach the stage and promotion workflows with, and the
// activities record into metrics (nil records nothing).
func registerAll(st *schema.Store, c client.Client, g guardOptions, metrics *telemetry.Metrics) temporal.Registrar {
	return func(w worker.Registry) {
		w.RegisterWorkflow(workflows.StageWorkflow)
		w.RegisterWorkflow(workflows.DeployWorkflow)
		w.RegisterWorkflow(workflows.QualificationWorkflow)
		w.RegisterWorkflow(workflows.WebhookWorkflow)
		w.RegisterWorkflow(workflows.PromotionWorkflow)
		w.RegisterWorkflow(workflows.PromotionWakeWorkflow)
		a := &activities.Activities{Store: st, Prometheus: g.prometheus, BoardURL: g.boardURL,
			TemporalUIURL: g.temporalUIURL, Namespace: g.namespace, WebhookBackoff: g.webhookBackoff,
			Promoter: &deployer.Promotions{Deployer: deployer.Deployer{Client: c, Store: st}}}
		if metrics != nil {
			a.Metrics = metrics
		}
		w.RegisterActivity(a)
	}
}

// startCommandWorker starts, when allowed, the worker that runs acceptance commands: it
// polls activities.CommandTaskQueue alone, so that only workers started with
// --allow-acceptance-commands run them. It returns nil when not allowed.
func startCommandWorker(c client.Client, allowed bool) (worker.Worker, error) {
	if !allowed {
		return nil, nil
	}
	w := worker.New(c, activities.CommandTaskQueue, worker.Options{})
	w.RegisterActivity(&activities.CommandRunner{})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start the acceptance command worker on task queue %s: %w", activities.CommandTaskQueue, err)
	}
	return w, nil
}

// allowCommandsUsage is the help of --allow-acceptance-commands.
const allowCommandsUsage = "run stages' command acceptances (acceptance.command: a test suite, run with sh -c as this process's user); off by default, and stages cannot save one while no worker runs with it"

type temporalFlags struct {
	address   string
	namespace string
}

func (f *temporalFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.address, "temporal-address", "", "Temporal frontend host:port (default $TEMPORAL_ADDRESS or 127.0.0.1:7233)")
	cmd.Flags().StringVar(&f.namespace, "temporal-namespace", "", "Temporal namespace (default $TEMPORAL_NAMESPACE or default)")
}

func (f *temporalFlags) config(logger *slog.Logger) (temporal.ClientConfig, error) {
	cfg, err := temporal.ClientConfigFromEnv()
	if err != nil {
		return cfg, err
	}
	if f.address != "" {
		cfg.Address = f.address
	}
	if f.namespace != "" {
		cfg.Namespace = f.namespace
	}
	cfg.Logger = logger
	return cfg, nil
}

func newWorkerCommand(g *globalFlags) *cobra.Command {
	var dsnFlag string
	var tf temporalFlags
	var pruneAfter time.Duration
	var metricsListen string
	var allowCommands bool
	cmd := &cobra.Command{
		Use:     "worker",
		Short:   "Run the Temporal worker: stage, deploy and later workflows and their activities",
		Example: `  TELETRAAN_DB_DSN='teletraan:secret@tcp(mysql:3306)/teletraan' TEMPORAL_ADDRESS=temporal:7233 teletraan worker`,
		Long: `Run the Temporal worker against a Temporal cluster (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_TLS_CERT/KEY/CA, TEMPORAL_API_KEY) and the app database (TELETRAAN_DB_DSN).
Run as many as you like; they share the work.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := checkPruneAfter(pruneAfter); err != nil {
				return err
			}
			p, err := connectProduction(ctx, g, dsnFlag, &tf, "teletraan-worker")
			if err != nil {
				return err
			}
			defer p.close()
			logger, st, c, cfg := p.logger, p.store, p.client, p.cfg
			guards, err := guardOptionsFromEnv()
			if err != nil {
				return err
			}
			guards.namespace = cfg.Namespace
			w := temporal.NewWorker(c, registerAll(st, c, guards, p.metrics), worker.Options{})
			if err := w.Start(); err != nil {
				return fmt.Errorf("start worker on task queue %s: %w", workflows.TaskQueue, err)
			}
			cw, err := startCommandWorker(c, allowCommands)
			if err != nil {
				w.Stop()
				return err
			}
			if cw != nil {
				defer cw.Stop()
				logger.Info("worker runs acceptance commands", "taskQueue", activities.CommandTaskQueue)
			}
			logger.Info("worker running", "temporal", cfg.Address, "namespace", cfg.Namespace, "taskQueue", workflows.TaskQueue)
			go runHostPruner(ctx, st, pruneAfter, logger)
			if metricsListen != "" {
				ln, err := net.Listen("tcp", metricsListen)
				if err != nil {
					w.Stop()
					return fmt.Errorf("--metrics-listen %s: %w", metricsListen, err)
				}
				mux := http.NewServeMux()
				mux.Handle("GET /metrics", p.metrics.Handler())
				mux.Handle("GET /healthz", workerHealth(st, c))
				go func() { _ = serveHTTP(ctx, ln, mux, logger) }()
				logger.Info("worker metrics", "address", ln.Addr().String())
			}
			<-ctx.Done()
			logger.Info("stopping worker")
			w.Stop()
			return nil
		},
	}
	cmd.Flags().StringVar(&dsnFlag, "db-dsn", "", "app database DSN (default $TELETRAAN_DB_DSN)")
	cmd.Flags().BoolVar(&allowCommands, "allow-acceptance-commands", false, allowCommandsUsage)
	addPruneFlag(cmd, &pruneAfter)
	cmd.Flags().StringVar(&metricsListen, "metrics-listen", "", "serve the worker's metrics (GET /metrics, Prometheus text) and health (GET /healthz) on this address, such as :9464; off when empty")
	tf.add(cmd)
	return cmd
}
