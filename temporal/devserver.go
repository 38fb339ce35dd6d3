package temporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	serverlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	persistencesql "go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	temporalserver "go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

const (
	devDatabaseFile = "temporal.db"
	// devClusterName matches the Temporal CLI's dev server, so a database
	// created by `temporal server start-dev` can be reused and vice versa.
	devClusterName = "active"
	// devRetention is long so that a dev stack restarted after a weekend or a
	// holiday still shows the deploys from before it.
	devRetention = 30 * 24 * time.Hour
	// devReadyTimeout bounds how long StartDevServer waits for the frontend;
	// a cold start on a slow laptop takes a few seconds, never this long.
	devReadyTimeout = 30 * time.Second
	devProbeTimeout = 5 * time.Second
	devPollInterval = 100 * time.Millisecond
	// devLoopback is what internal services bind to and what the membership
	// ring advertises; nothing outside the process needs to reach them.
	devLoopback = "127.0.0.1"
)

// DevServerConfig configures StartDevServer. The zero value, apart from
// DataDir, gives a stack on 127.0.0.1 with free ports and the UI enabled.
type DevServerConfig struct {
	// DataDir holds the SQLite database DataDir/temporal.db; it is created if
	// missing and reused, with all histories, on restart.
	DataDir string
	// IP is the address the frontend and the UI listen on; default "127.0.0.1".
	IP string
	// Port is the frontend gRPC port; 0 picks a free port.
	Port int
	// UIPort is the Temporal UI port; 0 picks a free port, -1 disables the UI.
	UIPort int
	// Namespace is created at start if it does not exist; default "default".
	Namespace string
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// LogLevel drops server logs below it; nil means slog.LevelWarn because
	// the server logs a great deal at Info.
	LogLevel slog.Leveler
	// SuggestContinueAsNewAfter, when positive, is the history length at which the server
	// suggests continue-as-new (its default is thousands of events), so that tests can take
	// and record the workflows' continue-as-new paths.
	SuggestContinueAsNewAfter int
}

// PortInUseError reports that a port StartDevServer was asked to listen on is
// already taken, so callers can point at the flag that chose it.
type PortInUseError struct {
	// Port is the busy port.
	Port int
	// What says what the port was for, e.g. "Temporal UI".
	What string
}

// Error implements error.
func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s port %d is already in use", e.What, e.Port)
}

// DevServer is an in-process Temporal server backed by SQLite, with the
// Temporal UI, for `teletraan dev` and end-to-end tests.
type DevServer struct {
	server    temporalserver.Server
	ui        *uiserver.Server
	uiDone    chan struct{}
	frontend  string
	uiURL     string
	namespace string
	logLevel  *shutdownQuietLevel

	stopOnce sync.Once
	stopErr  error
}

// StartDevServer starts a Temporal server, and unless disabled the UI, and
// returns once the frontend serves the namespace with Teletraan's search
// attributes registered. Call Stop to shut it down.
func StartDevServer(ctx context.Context, cfg DevServerConfig) (*DevServer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	level := &shutdownQuietLevel{base: cfg.LogLevel}
	serverLog := newServerLogger(cfg.Logger, level)

	// Ports are held open until just before their owner binds them, so that
	// a busy port fails fast and no two "free" ports coincide. The server
	// binds its membership ports while being constructed, hence two groups.
	serverPorts, uiPorts := &portReserver{}, &portReserver{}
	defer serverPorts.release()
	defer uiPorts.release()
	plan, err := reserveDevPorts(serverPorts, uiPorts, cfg)
	if err != nil {
		return nil, err
	}

	sqlCfg, err := prepareDevDatabase(ctx, cfg.DataDir, cfg.Namespace)
	if err != nil {
		return nil, err
	}

	frontend := net.JoinHostPort(dialableHost(cfg.IP), strconv.Itoa(plan.frontend))
	dynCfg, dynKeys := devDynamicConfig(cfg.SuggestContinueAsNewAfter)
	cfg.Logger.Debug("dev server dynamic config", "keys", dynKeys)

	serverPorts.release()
	srv, err := temporalserver.NewServer(
		temporalserver.WithConfig(devServerConfig(cfg.IP, frontend, plan, sqlCfg)),
		temporalserver.ForServices(temporalserver.DefaultServices),
		temporalserver.WithLogger(serverLog),
		temporalserver.WithDynamicConfigClient(dynCfg),
	)
	if err != nil {
		return nil, fmt.Errorf("configure Temporal dev server: %w", err)
	}

	s := &DevServer{frontend: frontend, namespace: cfg.Namespace, logLevel: level}
	if plan.ui > 0 {
		uiPorts.release()
		s.startUI(cfg.IP, plan.ui, frontend, cfg.Namespace)
	}
	if err := srv.Start(); err != nil {
		s.stopUI()
		return nil, fmt.Errorf("start Temporal dev server on %s with database %s: %w",
			frontend, filepath.Join(cfg.DataDir, devDatabaseFile), err)
	}
	s.server = srv

	if err := s.waitReady(ctx, serverLog.SLog()); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

func (cfg DevServerConfig) withDefaults() (DevServerConfig, error) {
	if cfg.DataDir == "" {
		return cfg, errors.New("dev server needs a data directory for its SQLite database: set DevServerConfig.DataDir")
	}
	// The server keeps one process-wide connection per database DSN and
	// reuses it on restart; an absolute path keeps the DSN stable even if the
	// working directory changes between starts.
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return cfg, fmt.Errorf("resolve dev server data directory %s: %w", cfg.DataDir, err)
	}
	cfg.DataDir = abs
	if cfg.IP == "" {
		cfg.IP = devLoopback
	}
	if net.ParseIP(cfg.IP) == nil {
		return cfg, fmt.Errorf("dev server IP %q is not an IP address", cfg.IP)
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return cfg, fmt.Errorf("dev server frontend port %d is out of range: use 0 for a free port", cfg.Port)
	}
	if cfg.UIPort < -1 || cfg.UIPort > 65535 {
		return cfg, fmt.Errorf("dev server UI port %d is out of range: use 0 for a free port or -1 to disable the UI", cfg.UIPort)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = defaultNamespace
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LogLevel == nil {
		cfg.LogLevel = slog.LevelWarn
	}
	return cfg, nil
}

// dialableHost turns a wildcard listen address into one clients can dial.
func dialableHost(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed.IsUnspecified() && parsed.To4() != nil:
		return devLoopback
	case parsed.IsUnspecified():
		return "::1"
	default:
		return ip
	}
}

// devPorts are the ports chosen for one dev server; ui is 0 when disabled.
type devPorts struct {
	frontend   int
	ui         int
	history    int
	matching   int
	worker     int
	membership map[string]int
}

func reserveDevPorts(r, ui *portReserver, cfg DevServerConfig) (devPorts, error) {
	var (
		p   = devPorts{membership: make(map[string]int)}
		err error
	)
	if p.frontend, err = r.reserve(cfg.IP, cfg.Port, "Temporal frontend gRPC"); err != nil {
		return p, err
	}
	if cfg.UIPort >= 0 {
		if p.ui, err = ui.reserve(cfg.IP, cfg.UIPort, "Temporal UI"); err != nil {
			return p, err
		}
	}
	for _, port := range []*int{&p.history, &p.matching, &p.worker} {
		if *port, err = r.reserve(devLoopback, 0, "Temporal internal gRPC"); err != nil {
			return p, err
		}
	}
	for _, svc := range temporalserver.DefaultServices {
		if p.membership[svc], err = r.reserve(devLoopback, 0, "Temporal membership"); err != nil {
			return p, err
		}
	}
	return p, nil
}

// portReserver holds listeners on ports until release.
type portReserver struct {
	listeners []net.Listener
}

// reserve listens on host:port (port 0 = any free port) and returns the port.
func (r *portReserver) reserve(host string, port int, what string) (int, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	switch {
	case err != nil && port != 0 && errors.Is(err, syscall.EADDRINUSE):
		return 0, &PortInUseError{Port: port, What: what}
	case err != nil && port != 0:
		return 0, fmt.Errorf("cannot listen on %s for %s: %w", addr, what, err)
	case err != nil:
		return 0, fmt.Errorf("find a free port on %s for %s: %w", host, what, err)
	}
	r.listeners = append(r.listeners, l)
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (r *portReserver) release() {
	for _, l := range r.listeners {
		_ = l.Close()
	}
	r.listeners = nil
}

// prepareDevDatabase creates the schema when the file is new and the
// namespace when it is missing; both are no-ops on an existing stack.
func prepareDevDatabase(ctx context.Context, dataDir, namespace string) (*config.SQL, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create dev server data directory %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, devDatabaseFile)
	sqlCfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		// Keys that are not SQLite URI parameters become pragmas. WAL lets
		// readers proceed during writes; synchronous=normal is durable
		// enough for a dev stack and much faster.
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
	}

	_, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := sqliteschema.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("create Temporal schema in %s: %w: delete the file and retry", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("check dev server database %s: %w", path, err)
	}

	ns, err := sqliteschema.NewNamespaceConfig(devClusterName, namespace, false, workflows.SearchAttributeTypes())
	if err != nil {
		return nil, fmt.Errorf("prepare namespace %s: %w", namespace, err)
	}
	// NewNamespaceConfig hard-codes one day, which would make a dev stack
	// restarted the next morning look empty.
	ns.Detail.Config.Retention = durationpb.New(devRetention)
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s in %s: %w", namespace, path, err)
	}
	if err := forgetPreviousMembers(ctx, sqlCfg); err != nil {
		return nil, fmt.Errorf("clear stale cluster membership in %s: %w", path, err)
	}
	return sqlCfg, nil
}

// forgetPreviousMembers deletes the membership records of earlier runs.
// Services find their peers through this table, and records heartbeated in
// the last 20 seconds count as live, so after a quick restart the first
// service to start (matching) tries to join the dead ring of the previous run
// and stays out of the ring for up to MaxJoinDuration, during which no task
// is dispatched. A dev stack is one process, so every existing record is
// stale.
func forgetPreviousMembers(ctx context.Context, sqlCfg *config.SQL) error {
	db, err := persistencesql.NewSQLDB(sqlplugin.DbKindMain, sqlCfg, resolver.NewNoopResolver(),
		serverlog.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	// Records expire 48 hours after their last heartbeat; a cut-off a year
	// ahead therefore matches all of them.
	_, err = db.PruneClusterMembership(ctx, &sqlplugin.PruneClusterMembershipFilter{
		PruneRecordsBefore: time.Now().AddDate(1, 0, 0),
	})
	return err
}

func devServerConfig(ip, frontend string, ports devPorts, sqlCfg *config.SQL) *config.Config {
	const store = "sqlite-default"
	var c config.Config

	c.Global.Membership = config.Membership{
		MaxJoinDuration:  30 * time.Second,
		BroadcastAddress: devLoopback,
	}
	// Global.Metrics stays nil: the server then uses a no-op metrics handler
	// instead of opening a Prometheus port that could clash between stacks.
	// Global.PProf.Port stays 0, which disables pprof for the same reason.

	c.Persistence = config.Persistence{
		DefaultStore:     store,
		VisibilityStore:  store,
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{store: {SQL: sqlCfg}},
	}
	c.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        devClusterName,
		CurrentClusterName:       devClusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			devClusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             frontend,
			},
		},
	}
	c.DCRedirectionPolicy.Policy = "noop"

	internal := func(grpcPort, membershipPort int) config.Service {
		return config.Service{RPC: config.RPC{
			GRPCPort:        grpcPort,
			MembershipPort:  membershipPort,
			BindOnLocalHost: true,
		}}
	}
	c.Services = map[string]config.Service{
		"frontend": {RPC: config.RPC{
			GRPCPort:       ports.frontend,
			MembershipPort: ports.membership["frontend"],
			BindOnIP:       ip,
		}},
		"history":  internal(ports.history, ports.membership["history"]),
		"matching": internal(ports.matching, ports.membership["matching"]),
		"worker":   internal(ports.worker, ports.membership["worker"]),
	}

	c.Archival.History.State = "disabled"
	c.Archival.Visibility.State = "disabled"
	c.NamespaceDefaults.Archival.History.State = "disabled"
	c.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The server's own system workers dial this; without it they panic.
	c.PublicClient.HostPort = frontend
	return &c
}

// devDynamicConfig mirrors what `temporal server start-dev` enables. Keys
// come from the server's setting definitions rather than string literals so
// that a key removed in a server upgrade breaks the build, not the feature.
// frontend.enableExecuteMultiOperation is absent because v1.32 removed the
// setting and always allows ExecuteMultiOperation (UpdateWithStart).
func devDynamicConfig(suggestContinueAsNewAfter int) (dynamicconfig.StaticClient, []string) {
	values := map[dynamicconfig.Key]any{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():            true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		dynamicconfig.FrontendEnableWorkerVersioningDataAPIs.Key():             true,
		dynamicconfig.FrontendEnableWorkerVersioningWorkflowAPIs.Key():         true,
		dynamicconfig.EnableEagerWorkflowStart.Key():                           true,
	}
	if suggestContinueAsNewAfter > 0 {
		values[dynamicconfig.HistoryCountSuggestContinueAsNew.Key()] = suggestContinueAsNewAfter
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k.String())
	}
	return dynamicconfig.StaticClient(values), keys
}

func (s *DevServer) startUI(ip string, port int, frontend, namespace string) {
	host := net.JoinHostPort(dialableHost(ip), strconv.Itoa(port))
	s.uiURL = "http://" + host
	s.uiDone = make(chan struct{})
	s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                ip,
		Port:                port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		// The dev UI is served over plain HTTP; secure cookies would be dropped.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
	}))
	// Start blocks until Stop, and exits the process itself if it cannot
	// listen, which is why the port was checked up front.
	go func() {
		defer close(s.uiDone)
		_ = s.ui.Start()
	}()
}

func (s *DevServer) stopUI() {
	if s.ui == nil {
		return
	}
	s.ui.Stop()
	<-s.uiDone
}

// waitReady polls until the frontend serves the namespace and the UI
// answers, then registers Teletraan's search attributes. Registration runs
// on every start because a namespace created by an older Teletraan or by
// another tool may lack some of them.
func (s *DevServer) waitReady(ctx context.Context, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, devReadyTimeout)
	defer cancel()

	c, err := s.pollFrontend(ctx, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := EnsureSearchAttributes(ctx, c, s.namespace); err != nil {
		return fmt.Errorf("dev server at %s: %w", s.frontend, err)
	}
	if s.ui != nil {
		if err := s.pollUI(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *DevServer) pollFrontend(ctx context.Context, logger *slog.Logger) (client.Client, error) {
	var lastErr error
	for {
		c, err := s.probeFrontend(ctx, logger)
		if err == nil {
			return c, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for Temporal dev server at %s to become ready: %w (last attempt: %w)", s.frontend, ctx.Err(), lastErr)
		case <-time.After(devPollInterval):
		}
	}
}

func (s *DevServer) probeFrontend(ctx context.Context, logger *slog.Logger) (client.Client, error) {
	// The SDK retries unavailable servers until its context ends; a short
	// per-attempt deadline keeps one stuck attempt from using up the budget.
	ctx, cancel := context.WithTimeout(ctx, devProbeTimeout)
	defer cancel()
	c, err := Dial(ctx, ClientConfig{Address: s.frontend, Namespace: s.namespace, Logger: logger})
	if err != nil {
		return nil, err
	}
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		c.Close()
		return nil, fmt.Errorf("check health: %w", err)
	}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.namespace}); err != nil {
		c.Close()
		return nil, fmt.Errorf("describe namespace %s: %w", s.namespace, err)
	}
	return c, nil
}

func (s *DevServer) pollUI(ctx context.Context) error {
	url := s.uiURL + "/healthz"
	var lastErr error
	for {
		lastErr = getOK(ctx, url)
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for Temporal UI at %s to become ready: %w (last attempt: %w)", s.uiURL, ctx.Err(), lastErr)
		case <-s.uiDone:
			return fmt.Errorf("start Temporal UI at %s: it stopped before answering: %w", s.uiURL, lastErr)
		case <-time.After(devPollInterval):
		}
	}
}

func getOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// FrontendAddress returns the host:port clients dial, e.g. "127.0.0.1:7233".
func (s *DevServer) FrontendAddress() string { return s.frontend }

// UIAddress returns the UI's URL, e.g. "http://127.0.0.1:8233", or "" when
// the UI is disabled.
func (s *DevServer) UIAddress() string { return s.uiURL }

// Namespace returns the namespace the dev server created.
func (s *DevServer) Namespace() string { return s.namespace }

// Stop shuts down the UI and the server. It is safe to call more than once;
// later calls return the first call's result. The server's SQLite plugin keeps
// its connection in a process-wide pool and never closes it, so the file stays
// open after Stop; a later StartDevServer on the same DataDir in this process
// reuses that connection.
func (s *DevServer) Stop() error {
	s.stopOnce.Do(func() {
		s.logLevel.stopping.Store(true)
		s.stopUI()
		if s.server == nil {
			return
		}
		if err := s.server.Stop(); err != nil {
			s.stopErr = fmt.Errorf("stop Temporal dev server at %s: %w", s.frontend, err)
		}
	})
	return s.stopErr
}
