package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
	"github.com/teletraan-on-temporal/teletraan/temporal/deployer"
)

// newHTTPHandler assembles the API and the board on one engine; prom is the default
// Prometheus of PROMETHEUS alarms, and configure sets who may read and how people sign in
// (accessFlags.apply). Its background work (the poller that wakes held agent pings) ends
// with ctx, which must end no later than the HTTP server's shutdown so that held pings are
// answered at once.
func newHTTPHandler(ctx context.Context, st *schema.Store, c client.Client, metrics *telemetry.Metrics, namespace, temporalUIURL string, prom alarmcheck.Prometheus, logger *slog.Logger, configure func(*api.Deps)) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	deps := api.Deps{
		Context:  ctx,
		Metrics:  metrics,
		Store:    st,
		Deployer: &deployer.Deployer{Client: c, Store: st, Namespace: namespace},
		Promoter: &deployer.Promotions{Deployer: deployer.Deployer{Client: c, Store: st, Namespace: namespace}},
		TemporalHealth: func(ctx context.Context) error {
			_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
		Logger:        logger,
		TemporalUIURL: temporalUIURL,
		Namespace:     namespace,
		Prometheus:    prom,
		// Saves a token query on nearly every agent ping; a revoked token keeps working on a
		// replica for at most this long.
		TokenCacheTTL: 10 * time.Second,
	}
	configure(&deps)
	engine := api.NewRouter(deps)
	signIn := board.SignIn{OIDC: deps.People.OIDC != nil, Proxy: deps.People.Proxy != nil}
	(&board.Board{Store: st, TemporalUIURL: temporalUIURL, Namespace: namespace, Logger: logger, SignIn: signIn, MayRead: api.MayReadEnv}).Register(engine)
	return engine
}

// serveHTTP serves h on ln until ctx ends, then drains in-flight requests.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("HTTP server on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("HTTP server did not drain in time", "error", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// listen opens addr, turning "address already in use" into an error that names the flag.
func listen(addr, flag string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (%v): pick another address or port with %s", addr, err, flag)
	}
	return ln, nil
}

// loadServerTLS reads the API's certificate and key (PEM files, the certificate with its
// chain) for --tls-cert and --tls-key; nil when neither is set. Half a pair, or a pair that
// does not load, is refused at start.
func loadServerTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, fmt.Errorf("--tls-cert %q and --tls-key %q: give both to serve HTTPS, or neither for plain HTTP behind a TLS-terminating proxy", certFile, keyFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s / --tls-key %s: %w (want PEM files: the certificate, with its chain, and its private key)", certFile, keyFile, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

func newServerCommand(g *globalFlags) *cobra.Command {
	var dsnFlag, listenAddr, uiURL, tlsCert, tlsKey string
	var tf temporalFlags
	var af accessFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the REST API and the board (stateless; run several behind a load balancer)",
		Example: `  TELETRAAN_DB_DSN='teletraan:secret@tcp(mysql:3306)/teletraan' TEMPORAL_ADDRESS=temporal:7233 \
      teletraan server --listen :8080 --temporal-ui-url https://temporal.example.com`,
		Long: `Run the REST API (/v1, /healthz) and the board against the app database (TELETRAAN_DB_DSN)
and a Temporal cluster (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, TEMPORAL_API_KEY).
It refuses to start when the database is unreachable or its schema is not current.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			tlsCfg, err := loadServerTLS(tlsCert, tlsKey)
			if err != nil {
				return err
			}
			var deps api.Deps
			if err := af.apply(&deps); err != nil {
				return err
			}
			p, err := connectProduction(ctx, g, dsnFlag, &tf, "teletraan-server")
			if err != nil {
				return err
			}
			defer p.close()
			logger, st, c, cfg := p.logger, p.store, p.client, p.cfg
			ln, err := listen(listenAddr, "--listen")
			if err != nil {
				return err
			}
			scheme := "http"
			if tlsCfg != nil {
				ln, scheme = tls.NewListener(ln, tlsCfg), "https"
			}
			logger.Info("API and board listening", "address", ln.Addr().String(), "scheme", scheme, "temporal", cfg.Address, "namespace", cfg.Namespace,
				"signIn", signInSummary(deps), "openReads", deps.OpenReads)
			guards, err := guardOptionsFromEnv()
			if err != nil {
				return err
			}
			return serveHTTP(ctx, ln, newHTTPHandler(ctx, st, c, p.metrics, cfg.Namespace, uiURL, guards.prometheus, logger, func(d *api.Deps) {
				d.People, d.OpenReads = deps.People, deps.OpenReads
				d.EnrollmentsPerMinute, d.EnrollmentBurst = deps.EnrollmentsPerMinute, deps.EnrollmentBurst
			}), logger)
		},
	}
	cmd.Flags().StringVar(&dsnFlag, "db-dsn", "", "app database DSN (default $TELETRAAN_DB_DSN)")
	cmd.Flags().StringVar(&listenAddr, "listen", ":8080", "address for the API and the board")
	cmd.Flags().StringVar(&uiURL, "temporal-ui-url", "", "base URL of the Temporal UI, for links to deploy workflows")
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (with its chain); needs --tls-key")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	tf.add(cmd)
	af.add(cmd, false)
	return cmd
}
