// Package api is Teletraan's HTTP API: the JSON endpoints under /v1 that manage stages,
// builds and deploys, plus /healthz. Deploys are started through a Deployer so that this
// package knows nothing about Temporal beyond a health probe and a UI link.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// Store is everything the API asks of the application's database: the union of what each
// handler group declares beside its handlers, so that one *schema.Store serves them all
// while every group depends only on its own part.
type Store interface {
	stageStore
	buildStore
	buildTagStore
	deployStore
	capacityStore
	hostStore
	healthStore
	tokenStore
	pingStore
	auditStore
	identityStore
	sessionStore
	alertStore
}

// Deps are the API's dependencies.
type Deps struct {
	// Metrics records the API's instruments and serves /metrics; nil makes a private set,
	// so that /metrics always answers.
	Metrics *telemetry.Metrics
	// Store is the application's database; it is required.
	Store Store
	// Deployer starts deploys; nil makes POST .../deploys answer 503.
	Deployer Deployer
	// TemporalHealth reports whether Temporal answers; nil means "not checked".
	TemporalHealth func(ctx context.Context) error
	// Logger receives the access log and the details of internal errors; nil discards them.
	Logger *slog.Logger
	// TemporalUIURL, when set, is used to build links to a deploy's workflow in the Temporal UI
	// (e.g. "http://127.0.0.1:8233").
	TemporalUIURL string
	// Namespace is the Temporal namespace of the deploy workflows; empty means "default".
	Namespace string
	// Context bounds the router's background work: the poller that wakes held pings
	// (POST /v1/system/ping?wait=N) starts with the first held ping and stops when Context
	// ends, answering every held ping NOOP at once. Cancel it when shutdown begins, before
	// or together with http.Server.Shutdown, or Shutdown waits for held pings (up to
	// protocol.MaxWaitSeconds). nil means context.Background(): the poller runs for the
	// life of the process.
	Context context.Context
	// PingWakeInterval is how often the poller looks for admissions and new deploys while
	// pings are held; 0 means 250 ms.
	PingWakeInterval time.Duration
	// TokenCacheTTL is how long this router trusts a token it verified without asking the
	// database again; 0 disables the cache. A revoked token keeps working on a replica for
	// up to this long (expired tokens are refused at once); 10 s saves a query on nearly
	// every ping.
	TokenCacheTTL time.Duration
	// EnrollmentsPerMinute is how many new host ids one token may enroll per minute, per
	// replica, once its burst (EnrollmentBurst) is spent: a leaked fleet token cannot
	// flood the hosts table. 0 means 600; a negative value turns the limit off. Pings of
	// hosts that pinged before are never limited.
	EnrollmentsPerMinute int
	// EnrollmentBurst is how many new host ids a token may enroll at once; 0 means 1000,
	// enough for a fleet's first rollout of the agent.
	EnrollmentBurst int
	// AlarmClient asks the stages' alarm endpoints for GET .../alarms; nil means
	// http.DefaultClient (each check is bounded by alarmcheck.Timeout).
	AlarmClient *http.Client
	// OpenReads lets anonymous viewers read the API and the board (for a trusted network);
	// false, the default, asks every read for a token or a signed-in person.
	OpenReads bool
	// People configures how people sign in (OpenID Connect, a trusted proxy, the dev
	// login link) and their roles; the zero value signs people in with API tokens only.
	People People
	// Prometheus is the default server of PROMETHEUS alarms whose stage names none.
	Prometheus alarmcheck.Prometheus
	// Tracer starts the requests' server spans; nil means the global provider, which
	// telemetry.SetupTracing installs (a no-op one when trace export is off).
	Tracer trace.TracerProvider
}

// server holds the dependencies every handler needs; handlers are its methods so that
// nothing is looked up from globals or from the request context.
type server struct {
	stages   stageStore
	builds   buildStore
	tags     buildTagStore
	deploys  deployStore
	capacity capacityStore
	hosts    hostStore
	database healthStore
	// store serves the agent ping (ping.go), which calls it by this name.
	store    pingStore
	auditLog auditStore
	// identities resets host identities (host_identity.go).
	identities identityStore
	metrics    *telemetry.Metrics

	deployer       Deployer
	temporalHealth func(ctx context.Context) error
	logger         *slog.Logger
	temporalUIURL  string
	namespace      string
	openAPIJSON    []byte
	pings          *pingHub
	tokens         *tokenCache
	alarms         *alarmCache
	alertStore     alertStore
	alarmClient    *http.Client
	prometheus     alarmcheck.Prometheus
	enrollments    *enrollLimiter
	sessions       sessionStore
	people         People
	oidc           *relyingParty
	openReads      bool
}

// NewRouter returns the gin engine serving /healthz and /v1. Callers may add more routes (the board) to it.
func NewRouter(d Deps) *gin.Engine {
	if concrete, ok := d.Store.(*schema.Store); d.Store == nil || (ok && concrete == nil) {
		panic("api.NewRouter: Deps.Store is nil")
	}
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Every line logged while serving a request then carries its request id and trace id.
	logger = slog.New(telemetry.NewContextHandler(logger.Handler()))
	namespace := d.Namespace
	if namespace == "" {
		// Temporal's own default, so that links work for a server configured with none.
		namespace = "default"
	}
	metrics := d.Metrics
	if metrics == nil {
		var err error
		if metrics, err = telemetry.New(); err != nil {
			panic(fmt.Sprintf("api.NewRouter: %v", err))
		}
	}
	s := &server{
		metrics:        metrics,
		stages:         d.Store,
		builds:         d.Store,
		tags:           d.Store,
		deploys:        d.Store,
		capacity:       d.Store,
		hosts:          d.Store,
		database:       d.Store,
		store:          d.Store,
		auditLog:       d.Store,
		identities:     d.Store,
		deployer:       d.Deployer,
		temporalHealth: d.TemporalHealth,
		logger:         logger,
		temporalUIURL:  strings.TrimRight(d.TemporalUIURL, "/"),
		namespace:      namespace,
		openAPIJSON:    mustMarshalOpenAPI(),
		pings:          newPingHub(d.Context, d.Store, logger, d.PingWakeInterval),
		tokens:         newTokenCache(d.Store, d.TokenCacheTTL),
		alarms:         newAlarmCache(d.AlarmClient, d.Prometheus),
		alertStore:     d.Store,
		alarmClient:    d.AlarmClient,
		prometheus:     d.Prometheus,
		enrollments:    newEnrollLimiter(d.EnrollmentsPerMinute, d.EnrollmentBurst),
		sessions:       d.Store,
		people:         d.People,
		openReads:      d.OpenReads,
	}
	if d.People.OIDC != nil {
		s.oidc = newRelyingParty(*d.People.OIDC)
	}

	if err := metrics.Gauge("teletraan_ping_long_polls_waiting", "agents whose ping this replica holds open until they have a goal",
		func(_ context.Context, observe func(int64, ...attribute.KeyValue)) error {
			observe(int64(s.pings.waiting()))
			return nil
		}); err != nil {
		panic(fmt.Sprintf("api.NewRouter: %v", err))
	}
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	// Trusting X-Forwarded-For from anyone would let clients forge the address that
	// ClientIP reports; a deployment behind a proxy can widen this on the returned engine.
	_ = engine.SetTrustedProxies(nil)

	// Order matters: the security headers come first so that every answer, the board's
	// pages included (they are registered on this engine), carries them; the span next so
	// that every later log line carries its trace id; the access log must see the status
	// the recovery handler writes.
	engine.Use(securityHeaders(), telemetry.GinTracing(d.Tracer), requestID(), s.accessLog(), s.observe(), s.recovery(), s.guardPages())
	engine.NoRoute(s.noRoute)
	engine.NoMethod(s.noMethod)

	engine.GET("/healthz", s.health)
	// Prometheus scrapes without credentials, like /healthz; the instruments carry counts
	// and stage names, never secrets or host names.
	engine.GET("/metrics", gin.WrapH(metrics.Handler()))

	// The audit trail comes first, so that it records the calls authenticate refuses.
	v1 := engine.Group("/v1", s.audit(), s.authenticate())
	v1.GET("/openapi.json", s.openAPI)
	v1.GET("/auth/token", s.whoAmI)
	s.registerSignIn(engine, v1)

	v1.GET("/envs", s.listStages)
	v1.POST("/envs", s.createStage)
	v1.GET("/envs/:env", s.listEnvStages)
	v1.GET("/envs/:env/:stage", s.getStage)
	v1.PUT("/envs/:env/:stage", s.updateStage)
	v1.DELETE("/envs/:env/:stage", s.deleteStage)
	v1.GET("/envs/:env/:stage/history", s.stageHistory)
	v1.GET("/envs/:env/:stage/capacity", s.getCapacity)
	v1.PUT("/envs/:env/:stage/capacity", s.setCapacity)
	v1.GET("/envs/:env/:stage/hosts", s.listHosts)
	v1.GET("/envs/:env/:stage/alarms", s.stageAlarms)
	v1.GET("/envs/:env/:stage/rollback-target", s.rollbackPreview)
	v1.GET("/envs/:env/:stage/deploys", s.listDeploys)
	v1.POST("/envs/:env/:stage/deploys", s.startDeploy)
	v1.GET("/envs/:env/:stage/deploys/current", s.currentDeploy)
	v1.GET("/envs/:env/:stage/queue", s.getQueue)
	v1.POST("/envs/:env/:stage/actions/:action", s.stageAction)
	v1.POST("/envs/:env/:stage/hosts/:host/actions/:action", s.hostAction)
	v1.POST("/envs/:env/:stage/stop", s.stopStage)
	v1.POST("/envs/:env/:stage/alerts", s.postAlerts)
	v1.GET("/envs/:env/:stage/alerts", s.listAlerts)
	v1.GET("/deploys/:id", s.getDeploy)
	v1.GET("/deploys/:id/hosts", s.deployHosts)
	v1.PUT("/deploys/:id/acceptance", s.giveAcceptance)

	v1.POST("/builds", s.publishBuild)
	v1.GET("/builds", s.listBuilds)
	v1.GET("/builds/:id", s.getBuild)
	v1.POST("/builds/:id/tags", s.tagBuild)
	v1.GET("/builds/:id/tags", s.listBuildTags)

	v1.POST("/system/ping", s.ping)

	v1.GET("/audit", s.listAudit)
	v1.POST("/hosts/:host/actions/reset-identity", s.resetHostIdentity)

	return engine
}

// created answers 201 with a Location header; segments are escaped one by one because
// ids and names are path segments, not paths.
func created(c *gin.Context, body any, segments ...string) {
	escaped := make([]string, len(segments))
	for i, seg := range segments {
		escaped[i] = url.PathEscape(seg)
	}
	c.Header("Location", "/v1/"+strings.Join(escaped, "/"))
	c.JSON(http.StatusCreated, body)
}
