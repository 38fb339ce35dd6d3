package temporal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
)

// Defaults match the Temporal CLI so that `teletraan dev` and a plain
// `temporal server start-dev` are interchangeable.
const (
	defaultAddress   = "127.0.0.1:7233"
	defaultNamespace = "default"
)

// Environment variable names follow the Temporal CLI's so that one set of
// variables configures both the CLI and Teletraan.
const (
	envAddress       = "TEMPORAL_ADDRESS"
	envNamespace     = "TEMPORAL_NAMESPACE"
	envTLSCert       = "TEMPORAL_TLS_CERT"
	envTLSKey        = "TEMPORAL_TLS_KEY"
	envTLSCA         = "TEMPORAL_TLS_CA"
	envTLSServerName = "TEMPORAL_TLS_SERVER_NAME"
	envAPIKey        = "TEMPORAL_API_KEY"
)

// ClientConfig says how to reach a Temporal cluster.
type ClientConfig struct {
	// Address is the frontend's host:port.
	Address string
	// Namespace is the namespace deploys run in.
	Namespace string
	// TLSCertFile is the PEM client certificate for mTLS; requires TLSKeyFile.
	TLSCertFile string
	// TLSKeyFile is the PEM private key for TLSCertFile.
	TLSKeyFile string
	// TLSCAFile is a PEM bundle used instead of the system roots to verify the server.
	TLSCAFile string
	// TLSServerName overrides the name checked against the server certificate.
	TLSServerName string
	// APIKey authenticates to clusters, such as Temporal Cloud, that use API keys.
	APIKey string
	// Logger receives SDK logs; nil keeps the SDK's default logger.
	Logger *slog.Logger
	// Meter receives the SDK's client and worker metrics (temporal_* at /metrics); nil
	// records none.
	Meter metric.MeterProvider
	// Tracer supplies the tracing interceptor's tracer; nil means the global provider, which
	// telemetry.SetupTracing installs. The interceptor also serves every worker built on the
	// client (the SDK hands client interceptors that are worker interceptors to its workers),
	// so workflows, updates and activities join the caller's trace.
	Tracer trace.TracerProvider
}

// ClientConfigFromEnv reads a ClientConfig from the TEMPORAL_* environment
// variables the Temporal CLI also uses, with the CLI's defaults.
func ClientConfigFromEnv() ClientConfig {
	return ClientConfig{
		Address:       envOr(envAddress, defaultAddress),
		Namespace:     envOr(envNamespace, defaultNamespace),
		TLSCertFile:   os.Getenv(envTLSCert),
		TLSKeyFile:    os.Getenv(envTLSKey),
		TLSCAFile:     os.Getenv(envTLSCA),
		TLSServerName: os.Getenv(envTLSServerName),
		APIKey:        os.Getenv(envAPIKey),
	}
}

// envOr treats an empty variable like an unset one, because `FOO= cmd` is a
// common way to "clear" a variable in shells and CI files.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Dial connects to the cluster described by cfg. The SDK checks the
// connection eagerly, so an error here means the frontend is unreachable or
// refused the credentials, not merely that the config is malformed.
func Dial(ctx context.Context, cfg ClientConfig) (client.Client, error) {
	opts, err := clientOptions(cfg)
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w: set %s to a reachable frontend or start a local one with `teletraan dev`",
			opts.HostPort, opts.Namespace, err, envAddress)
	}
	return c, nil
}

func clientOptions(cfg ClientConfig) (client.Options, error) {
	if cfg.Address == "" {
		cfg.Address = defaultAddress
	}
	if cfg.Namespace == "" {
		cfg.Namespace = defaultNamespace
	}

	tlsCfg, err := clientTLSConfig(cfg)
	if err != nil {
		return client.Options{}, err
	}

	tp := cfg.Tracer
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	tracing, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{
		Tracer: tp.Tracer("teletraan"),
		// The global propagator, not the contrib package's default, so that
		// traces join whatever propagation the binary configured.
		TextMapPropagator: otel.GetTextMapPropagator(),
	})
	if err != nil {
		return client.Options{}, fmt.Errorf("create OpenTelemetry tracing interceptor: %w", err)
	}

	opts := client.Options{
		HostPort:          cfg.Address,
		Namespace:         cfg.Namespace,
		ConnectionOptions: client.ConnectionOptions{TLS: tlsCfg},
		Interceptors:      []interceptor.ClientInterceptor{tracing},
	}
	if cfg.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	if cfg.Logger != nil {
		opts.Logger = sdklog.NewStructuredLogger(cfg.Logger)
	}
	if cfg.Meter != nil {
		opts.MetricsHandler = opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
			Meter: cfg.Meter.Meter("temporal-sdk-go"),
			// A metric the SDK cannot record must not take the worker down.
			OnError: func(err error) {
				if cfg.Logger != nil {
					cfg.Logger.Warn("could not record a Temporal SDK metric", "error", err)
				}
			},
		})
	}
	return opts, nil
}

// clientTLSConfig returns nil when no TLS setting is present, so that plain
// local dev servers keep working without any configuration.
func clientTLSConfig(cfg ClientConfig) (*tls.Config, error) {
	switch {
	case cfg.TLSCertFile != "" && cfg.TLSKeyFile == "":
		return nil, fmt.Errorf("TLS client certificate %q is set but its key is not: set both %s and %s, or neither",
			cfg.TLSCertFile, envTLSCert, envTLSKey)
	case cfg.TLSKeyFile != "" && cfg.TLSCertFile == "":
		return nil, fmt.Errorf("TLS client key %q is set but its certificate is not: set both %s and %s, or neither",
			cfg.TLSKeyFile, envTLSCert, envTLSKey)
	}
	// API keys are bearer tokens, so sending them in clear text would leak
	// them; a server name only makes sense with TLS.
	if cfg.TLSCertFile == "" && cfg.TLSCAFile == "" && cfg.APIKey == "" && cfg.TLSServerName == "" {
		return nil, nil
	}

	tlsCfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: cfg.TLSServerName,
	}
	if cfg.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS client certificate %s and key %s (%s, %s): %w",
				cfg.TLSCertFile, cfg.TLSKeyFile, envTLSCert, envTLSKey, err)
		}
		tlsCfg.Certificates = []tls.Certificate{cert}
	}
	if cfg.TLSCAFile != "" {
		pem, err := os.ReadFile(cfg.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("read TLS CA bundle %s (%s): %w", cfg.TLSCAFile, envTLSCA, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA bundle %s (%s) contains no PEM certificates", cfg.TLSCAFile, envTLSCA)
		}
		tlsCfg.RootCAs = pool
	}
	return tlsCfg, nil
}
