package temporal

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
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

// The environment variables of Temporal's client configuration (go.temporal.io/sdk/contrib/envconfig,
// shared with the Temporal CLI and every SDK), named here for the error messages. The
// configuration file (TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml)
// and its profile (TEMPORAL_PROFILE) are read first; the variables override them.
const (
	envAddress     = "TEMPORAL_ADDRESS"
	envNamespace   = "TEMPORAL_NAMESPACE"
	envAPIKey      = "TEMPORAL_API_KEY"
	envTLSCertPath = "TEMPORAL_TLS_CLIENT_CERT_PATH"
	envTLSKeyPath  = "TEMPORAL_TLS_CLIENT_KEY_PATH"
	envTLSCAPath   = "TEMPORAL_TLS_SERVER_CA_CERT_PATH"
)

// legacyTLSEnv maps the older Temporal CLI's TLS variables, which earlier releases of
// Teletraan read, to the envconfig names that now win over them.
var legacyTLSEnv = []struct{ old, current string }{
	{"TEMPORAL_TLS_CERT", envTLSCertPath},
	{"TEMPORAL_TLS_KEY", envTLSKeyPath},
	{"TEMPORAL_TLS_CA", envTLSCAPath},
}

// ClientConfig says how to reach a Temporal cluster.
type ClientConfig struct {
	// Address is the frontend's host:port; it overrides Profile's.
	Address string
	// Namespace is the namespace deploys run in; it overrides Profile's.
	Namespace string
	// Profile is Temporal's client configuration (envconfig): address, namespace, API
	// key, TLS and mTLS (paths or PEM data, server name, CA), gRPC metadata.
	Profile envconfig.ClientConfigProfile
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

// ClientConfigFromEnv loads Temporal's client configuration the way the Temporal CLI does
// (envconfig: the TOML file's profile, then the TEMPORAL_* variables), with the CLI's
// defaults for address and namespace. A malformed file or variable is an error naming it.
func ClientConfigFromEnv() (ClientConfig, error) {
	return clientConfigFrom(setEnv{})
}

// setEnv is the process environment with empty variables read as unset, because `FOO= cmd`
// is a common way to "clear" a variable in shells and CI files (envconfig alone would turn
// TLS on for an empty TEMPORAL_TLS_CLIENT_CERT_PATH).
type setEnv struct{}

// Environ returns the variables that are set to something.
func (setEnv) Environ() []string {
	var out []string
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); k != "" && v != "" {
			out = append(out, kv)
		}
	}
	return out
}

// LookupEnv returns a variable's value when it is set and not empty.
func (setEnv) LookupEnv(key string) (string, bool) {
	v, ok := os.LookupEnv(key)
	return v, ok && v != ""
}

// boolEnv are the envconfig variables read as booleans; envconfig ignores a value it
// cannot read, which would leave TLS off for TEMPORAL_TLS=yes, so they are checked here.
var boolEnv = []string{"TEMPORAL_TLS", "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION"}

func clientConfigFrom(env envconfig.EnvLookup) (ClientConfig, error) {
	for _, name := range boolEnv {
		if v, ok := env.LookupEnv(name); ok {
			switch strings.ToLower(v) {
			case "1", "0", "true", "false":
			default:
				return ClientConfig{}, fmt.Errorf("%s=%q: use true or false", name, v)
			}
		}
	}
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{EnvLookup: env})
	if err != nil {
		return ClientConfig{}, fmt.Errorf("load the Temporal client configuration (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE, TEMPORAL_*): %w", err)
	}
	for _, l := range legacyTLSEnv {
		v, _ := env.LookupEnv(l.old)
		if _, set := env.LookupEnv(l.current); v == "" || set {
			continue
		}
		if prof.TLS == nil {
			prof.TLS = &envconfig.ClientConfigTLS{}
		}
		switch l.current {
		case envTLSCertPath:
			prof.TLS.ClientCertPath = v
		case envTLSKeyPath:
			prof.TLS.ClientKeyPath = v
		case envTLSCAPath:
			prof.TLS.ServerCACertPath = v
		}
	}
	cfg := ClientConfig{Address: prof.Address, Namespace: prof.Namespace, Profile: prof}
	if cfg.Address == "" {
		cfg.Address = defaultAddress
	}
	if cfg.Namespace == "" {
		cfg.Namespace = defaultNamespace
	}
	return cfg, nil
}

// UsesTLS reports whether the connection to Temporal is encrypted, for the start-up log.
func (cfg ClientConfig) UsesTLS() bool {
	return (cfg.Profile.TLS != nil && !cfg.Profile.TLS.Disabled) || (cfg.Profile.TLS == nil && cfg.Profile.APIKey != "")
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
	if t := cfg.Profile.TLS; t != nil && (t.ClientCertPath == "") != (t.ClientKeyPath == "") {
		return client.Options{}, fmt.Errorf("TLS client certificate %q and key %q: set both %s and %s, or neither",
			t.ClientCertPath, t.ClientKeyPath, envTLSCertPath, envTLSKeyPath)
	}
	opts, err := cfg.Profile.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("Temporal client TLS (%s, %s, %s): %w", envTLSCertPath, envTLSKeyPath, envTLSCAPath, err)
	}
	if t := opts.ConnectionOptions.TLS; t != nil && t.MinVersion == 0 {
		t.MinVersion = tls.VersionTLS12
	}
	opts.HostPort, opts.Namespace = cfg.Address, cfg.Namespace

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

	opts.Interceptors = []interceptor.ClientInterceptor{tracing}
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
