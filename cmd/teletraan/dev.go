package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
	"github.com/teletraan-on-temporal/teletraan/temporal"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// devConfig configures the all-in-one dev stack.
type devConfig struct {
	dataDir      string
	ip           string
	httpPort     int // 0 picks a free port (tests)
	temporalPort int
	uiPort       int // -1 disables the Temporal UI
	agents       int // local agents to run in-process
	// noWorker leaves the worker out, for a worker run as its own process (`teletraan
	// worker` against this stack's Temporal and database), which can then be killed alone.
	noWorker bool
	// allowCommands lets the in-process worker run stages' command acceptances.
	allowCommands bool
	pruneAfter    time.Duration
	// access is who may read and how people sign in, as for teletraan server; the dev
	// stack adds its local login link, which signs in devUser as ADMIN.
	access accessFlags
	logger *slog.Logger
	// suggestContinueAsNewAfter lowers the history length at which Temporal suggests
	// continue-as-new (tests that record that path); 0 keeps the server's default.
	suggestContinueAsNewAfter int
	// guards are the alarm and webhook options; the board and UI links default to the
	// stack's own.
	guards guardOptions
}

// devStack is everything `teletraan dev` runs in one process.
type devStack struct {
	temporal *temporal.DevServer
	store    *schema.Store
	client   client.Client
	worker   worker.Worker
	// commandWorker runs acceptance commands (--allow-acceptance-commands); nil otherwise.
	commandWorker worker.Worker
	agents        *localAgents
	listener      net.Listener
	adminToken    string
	apiURL        string
	// loginURL signs the local user in on the board (the dev login link).
	loginURL string
	// deps configure the API: access settings with the dev login.
	deps   api.Deps
	logger *slog.Logger
	// metrics serve /metrics for the API, the worker and the Temporal client alike.
	metrics *telemetry.Metrics
	// tracing exports the stack's spans when the OTEL_* variables ask for it.
	tracing *telemetry.Tracing
	// prometheus is the default Prometheus of PROMETHEUS alarms, for the API's checks.
	prometheus alarmcheck.Prometheus
	// stopPruner ends the silent-host pruner; nil before it starts.
	stopPruner context.CancelFunc
}

// adminTokenFile keeps the dev stack's admin token so that a restart prints the same one.
const adminTokenFile = "admin-token"

// Where the dev stack keeps its app database: the token commands find it there too.
const (
	// defaultDevDataDir is teletraan dev's --data-dir default.
	defaultDevDataDir = ".teletraan"
	// devDBFile is the app database's file in the data directory.
	devDBFile = "teletraan.db"
)

// startDevStack starts Temporal with its UI, the app database, the worker and returns
// with the HTTP listener open; serve runs the API on it.
func startDevStack(ctx context.Context, cfg devConfig) (_ *devStack, err error) {
	logger := cfg.logger
	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.dataDir, err)
	}
	s := &devStack{logger: logger}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	// Claim the API port first: it is the one most likely taken, and failing before
	// Temporal starts is faster and clearer.
	if s.listener, err = listen(net.JoinHostPort(cfg.ip, strconv.Itoa(cfg.httpPort)), "--http-port"); err != nil {
		return nil, err
	}
	s.apiURL = "http://" + s.listener.Addr().String()
	if s.tracing, err = setupTracing(ctx, "teletraan-dev", logger); err != nil {
		return nil, err
	}

	s.temporal, err = temporal.StartDevServer(ctx, temporal.DevServerConfig{
		DataDir: filepath.Join(cfg.dataDir, "temporal"), IP: cfg.ip,
		Port: cfg.temporalPort, UIPort: cfg.uiPort, Logger: logger,
		SuggestContinueAsNewAfter: cfg.suggestContinueAsNewAfter,
	})
	if err != nil {
		var busy *temporal.PortInUseError
		if errors.As(err, &busy) {
			flag := "--temporal-port"
			if strings.Contains(busy.What, "UI") {
				flag = "--ui-port"
			}
			return nil, fmt.Errorf("%w: pick another with %s", err, flag)
		}
		return nil, fmt.Errorf("start the embedded Temporal server: %w", err)
	}

	if s.store, err = schema.Open(ctx, "sqlite:"+filepath.Join(cfg.dataDir, devDBFile)); err != nil {
		return nil, fmt.Errorf("open the app database: %w", err)
	}
	traceQueries(s.store)
	if _, err = s.store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate the app database: %w", err)
	}
	if s.adminToken, err = ensureAdminToken(ctx, s.store, cfg.dataDir); err != nil {
		return nil, err
	}
	if err = cfg.access.apply(&s.deps); err != nil {
		return nil, err
	}
	key, err := ensureSavedSecret(cfg.dataDir, devLoginKeyFile, "dev login key")
	if err != nil {
		return nil, err
	}
	s.deps.People.DevLoginKey, s.deps.People.DevUser = key, devUser()
	s.deps.People.Roles.Rules = append(s.deps.People.Roles.Rules, api.RoleRule{User: s.deps.People.DevUser, Role: schema.RoleAdmin})
	s.loginURL = s.apiURL + "/auth/dev?key=" + url.QueryEscape(key)

	if s.metrics, err = telemetry.New(); err != nil {
		return nil, err
	}
	if err = registerStoreGauges(s.metrics, s.store); err != nil {
		return nil, err
	}
	s.client, err = temporal.Dial(ctx, temporal.ClientConfig{Address: s.temporal.FrontendAddress(), Namespace: s.temporal.Namespace(),
		Logger: logger, Meter: s.metrics.MeterProvider()})
	if err != nil {
		return nil, err
	}
	s.prometheus = cfg.guards.prometheus
	if !cfg.noWorker {
		s.worker = temporal.NewWorker(s.client, registerAll(s.store, s.client, s.guardOptions(cfg.guards), s.metrics), worker.Options{})
		if err = s.worker.Start(); err != nil {
			s.worker = nil
			return nil, fmt.Errorf("start worker on task queue %s: %w", workflows.TaskQueue, err)
		}
		if s.commandWorker, err = startCommandWorker(s.client, cfg.allowCommands); err != nil {
			return nil, err
		}
	}
	if err = ensureSample(ctx, s.store, cfg.dataDir); err != nil {
		return nil, err
	}
	if err = checkPruneAfter(cfg.pruneAfter); err != nil {
		return nil, err
	}
	pruneCtx, stopPruner := context.WithCancel(context.WithoutCancel(ctx))
	s.stopPruner = stopPruner
	go runHostPruner(pruneCtx, s.store, cfg.pruneAfter, logger)
	if cfg.agents < 0 || cfg.agents > 100 {
		return nil, fmt.Errorf("--agents %d: run between 0 and 100 local agents", cfg.agents)
	}
	if cfg.agents > 0 {
		// The agents ping the API, which starts serving right after this returns; their
		// first failed pings are retried.
		if s.agents, err = startLocalAgents(ctx, s.store, cfg.dataDir, s.apiURL, cfg.agents, logger); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// guardOptions are g with the stack's own board and Temporal UI where g names none.
func (s *devStack) guardOptions(g guardOptions) guardOptions {
	if g.boardURL == "" {
		g.boardURL = s.apiURL
	}
	if g.temporalUIURL == "" {
		g.temporalUIURL = s.temporal.UIAddress()
	}
	g.namespace = s.temporal.Namespace()
	return g
}

// ensureAdminToken returns the admin token saved in the data directory, creating and
// saving one on first start. Only its hash goes into the database.
func ensureAdminToken(ctx context.Context, st *schema.Store, dataDir string) (string, error) {
	return ensureSavedToken(ctx, st, dataDir, adminTokenFile, "admin", schema.RoleAdmin)
}

// ensureSavedToken returns the token saved in dataDir/file, minting and saving it on first
// use, and makes sure the database knows it under name with role.
func ensureSavedToken(ctx context.Context, st *schema.Store, dataDir, file, name, role string) (string, error) {
	path := filepath.Join(dataDir, file)
	secret, err := ensureSavedSecret(dataDir, file, "the "+name+" token")
	if err != nil {
		return "", err
	}
	if _, _, err := st.CreateToken(ctx, schema.TokenSpec{Name: name, Role: role, CreatedBy: "teletraan dev", Secret: secret}); err != nil {
		return "", fmt.Errorf("register the %s token: %w (delete %s to mint a new one)", name, err, path)
	}
	return secret, nil
}

// ensureSavedSecret returns the secret saved in dataDir/file, minting and saving it (mode
// 0600) on first use, so that a restart prints the same one.
func ensureSavedSecret(dataDir, file, what string) (string, error) {
	path := filepath.Join(dataDir, file)
	secret := ""
	if b, err := os.ReadFile(path); err == nil {
		secret = strings.TrimSpace(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if secret == "" {
		secret = schema.NewTokenSecret()
		if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("save %s to %s: %w", what, path, err)
		}
	}
	return secret, nil
}

// devLoginKeyFile keeps the key of the dev login link.
const devLoginKeyFile = "dev-login-key"

// devUser is the email the dev login link signs in: the local user's, at localhost.
func devUser() string {
	name := "developer"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return name + "@localhost"
}

// serve runs the API and the board until ctx ends.
func (s *devStack) serve(ctx context.Context) error {
	h := newHTTPHandler(ctx, s.store, s.client, s.metrics, s.temporal.Namespace(), s.temporal.UIAddress(), s.prometheus, s.logger, func(d *api.Deps) {
		d.People, d.OpenReads = s.deps.People, s.deps.OpenReads
		d.EnrollmentsPerMinute, d.EnrollmentBurst = s.deps.EnrollmentsPerMinute, s.deps.EnrollmentBurst
	})
	return serveHTTP(ctx, s.listener, h, s.logger)
}

// stop shuts everything down in reverse order; safe on a partly started stack.
func (s *devStack) stop() {
	if s.stopPruner != nil {
		s.stopPruner()
	}
	if s.agents != nil {
		s.agents.stop()
	}
	if s.commandWorker != nil {
		s.commandWorker.Stop()
	}
	if s.worker != nil {
		s.worker.Stop()
	}
	if s.client != nil {
		s.client.Close()
	}
	if s.tracing != nil {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.tracing.Shutdown(flushCtx); err != nil {
			s.logger.Warn("could not flush the last spans", "error", err)
		}
		cancel()
	}
	if s.metrics != nil {
		_ = s.metrics.Shutdown(context.Background())
	}
	if s.store != nil {
		_ = s.store.Close()
	}
	if s.temporal != nil {
		if err := s.temporal.Stop(); err != nil {
			s.logger.Warn("stopping the embedded Temporal server", "error", err)
		}
	}
	if s.listener != nil {
		_ = s.listener.Close()
	}
}

func newDevCommand(g *globalFlags) *cobra.Command {
	cfg := devConfig{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything in one process: Temporal and its UI, the API, the board and a worker",
		Example: `  teletraan dev
  teletraan dev --agents 10 --http-port 9090 --data-dir /tmp/tt
  teletraan dev --oidc-issuer http://127.0.0.1:5556/dex --oidc-client-id teletraan \
      --oidc-redirect-url http://127.0.0.1:8080/auth/oidc/callback --role group:admins=ADMIN`,
		Long: `Run the whole system on one machine with embedded defaults: an in-process Temporal server
(SQLite under --data-dir) with its UI, the app database (SQLite), the REST API and board, and a worker.
Data survives restarts. Stop with Ctrl-C. It prints a sign-in link that signs you in on the board as
your local user (ADMIN), and an admin token for the CLI and curl. Reads need a caller as in
production; --open-reads opens them to anyone who reaches the port.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := g.logger()
			if err != nil {
				return err
			}
			cfg.logger = logger
			if cfg.guards, err = guardOptionsFromEnv(); err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := startDevStack(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.stop()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "\nTeletraan dev stack is up (data in %s)\n\n", cfg.dataDir)
			fmt.Fprintf(out, "  API and board  %s\n", s.apiURL)
			fmt.Fprintf(out, "  Sign in        %s  (signs you in as %s, ADMIN)\n", s.loginURL, s.deps.People.DevUser)
			if ui := s.temporal.UIAddress(); ui != "" {
				fmt.Fprintf(out, "  Temporal UI    %s\n", ui)
			}
			fmt.Fprintf(out, "  Temporal       %s (namespace %s)\n", s.temporal.FrontendAddress(), s.temporal.Namespace())
			fmt.Fprintf(out, "  Admin token    %s\n\n", s.adminToken)
			fmt.Fprintf(out, "  export TELETRAAN_URL=%s TOKEN=%s TELETRAAN_TOKEN=%s\n\nPress Ctrl-C to stop.\n", s.apiURL, s.adminToken, s.adminToken)
			err = s.serve(ctx)
			logger.Info("stopping the dev stack")
			return err
		},
	}
	cmd.Flags().StringVar(&cfg.dataDir, "data-dir", defaultDevDataDir, "where the dev stack keeps its databases and admin token")
	cmd.Flags().StringVar(&cfg.ip, "ip", "127.0.0.1", "address to listen on (0.0.0.0 to reach it from other machines)")
	cmd.Flags().IntVar(&cfg.httpPort, "http-port", 8080, "port of the API and the board")
	cmd.Flags().IntVar(&cfg.temporalPort, "temporal-port", 7233, "port of the embedded Temporal frontend (gRPC)")
	cmd.Flags().IntVar(&cfg.uiPort, "ui-port", 8233, "port of the Temporal UI (-1 to disable it)")
	addPruneFlag(cmd, &cfg.pruneAfter)
	cfg.access.add(cmd, false)
	cmd.Flags().BoolVar(&cfg.noWorker, "no-worker", false, "run no worker in-process; run teletraan worker --db-dsn sqlite:<data-dir>/teletraan.db --temporal-address <frontend> beside it")
	cmd.Flags().BoolVar(&cfg.allowCommands, "allow-acceptance-commands", false, allowCommandsUsage)
	cmd.AddCommand(newDevTemporalCommand(g))
	cmd.Flags().IntVar(&cfg.agents, "agents", 3, "host agents to run in-process (group local-agents, the capacity of the sample stage hello/dev)")
	return cmd
}
