package main

import (
	"slices"
	"strings"
)

// envVar is one environment variable the teletraan binary reads.
type envVar struct {
	// Name is the variable, or a prefix ending in "*" for a family (TEMPORAL_GRPC_META_*).
	Name string
	// Commands are the commands that read it.
	Commands []string
	// Meaning says what it sets.
	Meaning string
	// ReadBy names the library that reads it when this binary's code does not name it
	// (Temporal's envconfig, the OpenTelemetry exporter); "" when our code reads it.
	ReadBy string
}

// Command groups of envVar.Commands.
var (
	productionCommands = []string{"server", "worker"}
	tracedCommands     = []string{"dev", "server", "worker"}
	cliCommands        = []string{"CLI verbs (deploy, status, ...)"}
	serverCommands     = []string{"server", "dev"}
)

// envVars are every variable teletraan reads: `teletraan docs config` lists them,
// TestEveryEnvVarReadIsDocumented fails when the code reads one that is not here, and the
// compose test refuses a service environment naming one its command does not read.
var envVars = []envVar{
	{Name: "TELETRAAN_DB_DSN", Commands: []string{"server", "worker", "migrate", "token"},
		Meaning: "app database: `user:pass@tcp(mysql:3306)/teletraan` (MySQL) or `sqlite:/path/app.db`; `--db-dsn` wins"},
	{Name: "TELETRAAN_PRUNE_HOSTS_AFTER", Commands: []string{"worker", "dev"},
		Meaning: "forget hosts silent this long (default `168h`, `0` never, at least `1h`); also deletes expired board sessions; `--prune-hosts-after` wins"},
	{Name: "TELETRAAN_OPEN_READS", Commands: serverCommands, Meaning: "let anonymous viewers read the API and the board (trusted networks only); `--open-reads`"},
	{Name: "TELETRAAN_OIDC_ISSUER", Commands: serverCommands, Meaning: "the OpenID provider people sign in at; `--oidc-issuer`"},
	{Name: "TELETRAAN_OIDC_CLIENT_ID", Commands: serverCommands, Meaning: "the board's confidential client at the provider; `--oidc-client-id`"},
	{Name: "TELETRAAN_OIDC_CLIENT_SECRET", Commands: serverCommands, Meaning: "that client's secret (never logged or returned; prefer it to the flag, which shows in `ps`)"},
	{Name: "TELETRAAN_OIDC_REDIRECT_URL", Commands: serverCommands, Meaning: "`https://<board>/auth/oidc/callback`, registered at the provider; `--oidc-redirect-url`"},
	{Name: "TELETRAAN_OIDC_CLI_CLIENT_ID", Commands: serverCommands, Meaning: "the public client `teletraan login` uses (PKCE, loopback redirect); default the board's"},
	{Name: "TELETRAAN_OIDC_GROUPS_CLAIM", Commands: serverCommands, Meaning: "the ID token's claim with the person's groups (default `groups`)"},
	{Name: "TELETRAAN_ROLES", Commands: serverCommands, Meaning: "people's roles per environment, as `--role` takes them, comma-separated"},
	{Name: "TELETRAAN_ROLE_MAPPING_FILE", Commands: serverCommands, Meaning: "a YAML file of group and email to role mappings; `--role-mapping-file`"},
	{Name: "TELETRAAN_DEFAULT_ROLE", Commands: serverCommands, Meaning: "the role of every person the provider accepts; `--default-role`"},
	{Name: "TELETRAAN_AUTH_PROXY_HEADER", Commands: serverCommands, Meaning: "a sign-in proxy's header naming the person (off when empty)"},
	{Name: "TELETRAAN_AUTH_PROXY_GROUPS_HEADER", Commands: serverCommands, Meaning: "that proxy's header with the person's groups"},
	{Name: "TELETRAAN_AUTH_PROXY_CIDRS", Commands: serverCommands, Meaning: "the proxies' addresses; the header from anywhere else is refused"},
	{Name: "TELETRAAN_SESSION_TTL", Commands: serverCommands, Meaning: "board session length (default `12h`); `--session-ttl`"},
	{Name: "TELETRAAN_SECURE_COOKIES", Commands: serverCommands, Meaning: "Secure cookies when TLS ends at a proxy (always over TLS)"},
	{Name: "TELETRAAN_ENROLLMENTS_PER_MINUTE", Commands: serverCommands, Meaning: "new host ids one token may enroll per minute, per replica (default `600`, `-1` off)"},
	{Name: "TELETRAAN_ENROLLMENT_BURST", Commands: serverCommands, Meaning: "the burst before that limit applies (default `1000`)"},
	{Name: "TELETRAAN_PROMETHEUS_URL", Commands: []string{"server", "worker", "dev"}, Meaning: "the default Prometheus of `PROMETHEUS` alarms whose stage names none"},
	{Name: "TELETRAAN_PROMETHEUS_BEARER_TOKEN", Commands: []string{"server", "worker", "dev"}, Meaning: "the bearer token for that Prometheus"},
	{Name: "TELETRAAN_BOARD_URL", Commands: []string{"worker"}, Meaning: "the board's base URL, for the links webhook bodies carry"},
	{Name: "TELETRAAN_TEMPORAL_UI_URL", Commands: []string{"worker"}, Meaning: "the Temporal UI's base URL, for the links webhook bodies carry"},
	{Name: "TELETRAAN_WEBHOOK_BACKOFF", Commands: []string{"worker", "dev"}, Meaning: "first wait between webhook delivery attempts (default `1s`, doubling)"},
	{Name: "TEMPORAL_ADDRESS", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "Temporal frontend `host:port` (default `127.0.0.1:7233`); `--temporal-address` wins"},
	{Name: "TEMPORAL_NAMESPACE", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "namespace of the workflows (default `default`); checked at start; `--temporal-namespace` wins"},
	{Name: "TEMPORAL_API_KEY", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "API key (Temporal Cloud); turns TLS on"},
	{Name: "TEMPORAL_TLS", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "`true` for TLS with the system's roots, `false` to force it off"},
	{Name: "TEMPORAL_TLS_CLIENT_CERT_PATH", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "mTLS client certificate (PEM); with `TEMPORAL_TLS_CLIENT_KEY_PATH`. `_DATA` variants take the PEM itself"},
	{Name: "TEMPORAL_TLS_CLIENT_KEY_PATH", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "mTLS client key (PEM)"},
	{Name: "TEMPORAL_TLS_CLIENT_CERT_DATA", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "mTLS client certificate as PEM text, instead of a path"},
	{Name: "TEMPORAL_TLS_CLIENT_KEY_DATA", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "mTLS client key as PEM text, instead of a path"},
	{Name: "TEMPORAL_TLS_SERVER_CA_CERT_PATH", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "CA bundle (PEM) that signed the frontend's certificate, instead of the system roots"},
	{Name: "TEMPORAL_TLS_SERVER_CA_CERT_DATA", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "the CA bundle as PEM text"},
	{Name: "TEMPORAL_TLS_SERVER_NAME", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "name checked against the frontend's certificate; turns TLS on"},
	{Name: "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "`true` skips verifying the frontend's certificate (never in production)"},
	{Name: "TEMPORAL_TLS_CERT", Commands: productionCommands,
		Meaning: "older name of `TEMPORAL_TLS_CLIENT_CERT_PATH`, read when that is unset"},
	{Name: "TEMPORAL_TLS_KEY", Commands: productionCommands,
		Meaning: "older name of `TEMPORAL_TLS_CLIENT_KEY_PATH`, read when that is unset"},
	{Name: "TEMPORAL_TLS_CA", Commands: productionCommands,
		Meaning: "older name of `TEMPORAL_TLS_SERVER_CA_CERT_PATH`, read when that is unset"},
	{Name: "TEMPORAL_GRPC_META_*", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "gRPC headers sent with every Temporal call (`TEMPORAL_GRPC_META_X_TENANT=blue` sends `x-tenant: blue`)"},
	{Name: "TEMPORAL_CLIENT_AUTHORITY", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "the `:authority` of the gRPC connection, for proxies that route on it"},
	{Name: "TEMPORAL_CONFIG_FILE", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "Temporal's TOML client configuration (default `~/.config/temporalio/temporal.toml`); the variables above override it"},
	{Name: "TEMPORAL_PROFILE", Commands: productionCommands, ReadBy: "envconfig",
		Meaning: "profile of that file (default `default`)"},
	{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Commands: tracedCommands,
		Meaning: "turns trace export on, to this OTLP collector (`http://collector:4317` for gRPC, `:4318` for HTTP)"},
	{Name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Commands: tracedCommands,
		Meaning: "the same, for traces only (wins over the one above)"},
	{Name: "OTEL_EXPORTER_OTLP_PROTOCOL", Commands: tracedCommands,
		Meaning: "`grpc` (default) or `http/protobuf`"},
	{Name: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", Commands: tracedCommands,
		Meaning: "the same, for traces only"},
	{Name: "OTEL_SERVICE_NAME", Commands: tracedCommands,
		Meaning: "service name in traces (default `teletraan-server`, `teletraan-worker`, `teletraan-dev`); setting it alone turns export on"},
	{Name: "OTEL_TRACES_EXPORTER", Commands: tracedCommands, Meaning: "`none` forces trace export off"},
	{Name: "OTEL_SDK_DISABLED", Commands: tracedCommands, Meaning: "`true` forces trace export off"},
	{Name: "OTEL_RESOURCE_ATTRIBUTES", Commands: tracedCommands, ReadBy: "the OpenTelemetry SDK",
		Meaning: "extra resource attributes of every span (`deployment.environment=prod`)"},
	{Name: "OTEL_EXPORTER_OTLP_HEADERS", Commands: tracedCommands, ReadBy: "the OTLP exporter",
		Meaning: "headers for the collector (`authorization=Bearer ...`)"},
	{Name: "OTEL_EXPORTER_OTLP_INSECURE", Commands: tracedCommands, ReadBy: "the OTLP exporter",
		Meaning: "`true` for a plaintext gRPC collector"},
	{Name: "OTEL_EXPORTER_OTLP_CERTIFICATE", Commands: tracedCommands, ReadBy: "the OTLP exporter",
		Meaning: "CA bundle of the collector's certificate"},
	{Name: "OTEL_EXPORTER_OTLP_TIMEOUT", Commands: tracedCommands, ReadBy: "the OTLP exporter",
		Meaning: "export timeout in milliseconds"},
	{Name: "TELETRAAN_URL", Commands: cliCommands, Meaning: "the service's base URL; `--url` wins"},
	{Name: "TELETRAAN_TOKEN", Commands: cliCommands, Meaning: "the API token; `--token` wins"},
	{Name: "TELETRAAN_CONFIG", Commands: cliCommands, Meaning: "the CLI's contexts file (default `~/.config/teletraan/config.yaml`)"},
	{Name: "TELETRAAN_CONTEXT", Commands: cliCommands, Meaning: "the context of that file to use; `--context` wins"},
}

// envVarReadBy reports whether command reads the variable name (a family's members too).
func envVarReadBy(name, command string) bool {
	for _, v := range envVars {
		match := v.Name == name
		if prefix, family := strings.CutSuffix(v.Name, "*"); family {
			match = strings.HasPrefix(name, prefix) && name != prefix
		}
		if !match {
			continue
		}
		if slices.Contains(v.Commands, command) {
			return true
		}
	}
	return false
}
