package temporal_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/teletraan-on-temporal/teletraan/temporal"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

const e2eWorkflowName = "e2e-deploy"

// e2eDeployWorkflow stands in for a real deploy: it upserts the attributes a
// deploy updates while running, on top of those set at start.
func e2eDeployWorkflow(ctx workflow.Context, build string) (string, error) {
	err := workflow.UpsertTypedSearchAttributes(ctx,
		workflows.BuildKey.ValueSet(build),
		workflows.StateKey.ValueSet("succeeded"),
	)
	if err != nil {
		return "", err
	}
	return "deployed " + build, nil
}

// testLogger keeps server warnings visible in `go test -v` without the
// Info-level chatter.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func startDevServer(ctx context.Context, t *testing.T, dataDir string) *temporal.DevServer {
	t.Helper()
	start := time.Now()
	s, err := temporal.StartDevServer(ctx, temporal.DevServerConfig{DataDir: dataDir, Logger: testLogger()})
	if err != nil {
		t.Fatalf("StartDevServer: %v", err)
	}
	t.Logf("dev server ready in %s: frontend %s, UI %s", time.Since(start).Round(time.Millisecond), s.FrontendAddress(), s.UIAddress())
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func dialDevServer(ctx context.Context, t *testing.T, s *temporal.DevServer) (client.Client, func()) {
	t.Helper()
	c, err := temporal.Dial(ctx, temporal.ClientConfig{
		Address:   s.FrontendAddress(),
		Namespace: s.Namespace(),
		Logger:    testLogger(),
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	closeOnce := sync.OnceFunc(c.Close)
	t.Cleanup(closeOnce)
	return c, closeOnce
}

// waitForVisible polls because visibility is updated asynchronously after
// the workflow closes.
func waitForVisible(ctx context.Context, t *testing.T, c client.Client, query, workflowID string) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("ListWorkflow(%q): %v", query, err)
		}
		for _, e := range resp.GetExecutions() {
			if e.GetExecution().GetWorkflowId() == workflowID && e.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s not listed as completed by %q within 10s; got %d executions", workflowID, query, len(resp.GetExecutions()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func keywordAttr(t *testing.T, info *workflowpb.WorkflowExecutionInfo, key sdktemporal.SearchAttributeKeyKeyword) string {
	t.Helper()
	payload, ok := info.GetSearchAttributes().GetIndexedFields()[key.GetName()]
	if !ok {
		t.Fatalf("search attribute %s missing from %v", key.GetName(), info.GetSearchAttributes())
	}
	var v string
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &v); err != nil {
		t.Fatalf("decode search attribute %s: %v", key.GetName(), err)
	}
	return v
}

func TestDevServerEndToEndAndRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	dataDir := t.TempDir()
	const query = "DeployEnv = 'e2e' AND DeployStage = 'canary'"

	s := startDevServer(ctx, t, dataDir)
	c, closeClient := dialDevServer(ctx, t, s)

	// StartDevServer already ran it once; repeated calls must be no-ops.
	for i := range 2 {
		if err := temporal.EnsureSearchAttributes(ctx, c, s.Namespace()); err != nil {
			t.Fatalf("EnsureSearchAttributes call %d: %v", i+1, err)
		}
	}

	w := temporal.NewWorker(c, func(r worker.Registry) {
		r.RegisterWorkflowWithOptions(e2eDeployWorkflow, workflow.RegisterOptions{Name: e2eWorkflowName})
	}, worker.Options{})
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	stopWorker := sync.OnceFunc(w.Stop)
	t.Cleanup(stopWorker)

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        "e2e-deploy-1",
		TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: sdktemporal.NewSearchAttributes(
			workflows.EnvKey.ValueSet("e2e"),
			workflows.StageKey.ValueSet("canary"),
		),
	}, e2eWorkflowName, "build-42")
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	var result string
	if err := run.Get(ctx, &result); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if result != "deployed build-42" {
		t.Fatalf("workflow result = %q, want %q", result, "deployed build-42")
	}

	info := waitForVisible(ctx, t, c, query, run.GetID())
	if got := keywordAttr(t, info, workflows.StateKey); got != "succeeded" {
		t.Errorf("DeployState = %q, want %q", got, "succeeded")
	}
	if got := keywordAttr(t, info, workflows.BuildKey); got != "build-42" {
		t.Errorf("DeployBuild = %q, want %q", got, "build-42")
	}

	resp, err := http.Get(s.UIAddress())
	if err != nil {
		t.Fatalf("GET UI: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, want 200", s.UIAddress(), resp.Status)
	}

	stopWorker()
	closeClient()
	stopStart := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("dev server stopped in %s", time.Since(stopStart).Round(time.Millisecond))
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	// Same data directory, fresh ports: the history must have survived.
	s2 := startDevServer(ctx, t, dataDir)
	if s2.FrontendAddress() == s.FrontendAddress() {
		t.Logf("restarted server reused frontend address %s", s2.FrontendAddress())
	}
	c2, _ := dialDevServer(ctx, t, s2)

	desc, err := c2.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution after restart: %v", err)
	}
	if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("status after restart = %s, want COMPLETED", got)
	}
	var completed bool
	iter := c2.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			t.Fatalf("read history after restart: %v", err)
		}
		if event.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
			completed = true
		}
	}
	if !completed {
		t.Fatal("history after restart has no WorkflowExecutionCompleted event")
	}
	waitForVisible(ctx, t, c2, query, run.GetID())

	// The restarted stack must also dispatch tasks again, not just serve
	// old data; a stale membership ring would stall this for 30 s.
	w2 := temporal.NewWorker(c2, func(r worker.Registry) {
		r.RegisterWorkflowWithOptions(e2eDeployWorkflow, workflow.RegisterOptions{Name: e2eWorkflowName})
	}, worker.Options{})
	if err := w2.Start(); err != nil {
		t.Fatalf("start worker after restart: %v", err)
	}
	t.Cleanup(w2.Stop)
	runCtx, cancelRun := context.WithTimeout(ctx, 15*time.Second)
	defer cancelRun()
	run2, err := c2.ExecuteWorkflow(runCtx, client.StartWorkflowOptions{
		ID:        "e2e-deploy-2",
		TaskQueue: workflows.TaskQueue,
	}, e2eWorkflowName, "build-43")
	if err != nil {
		t.Fatalf("ExecuteWorkflow after restart: %v", err)
	}
	if err := run2.Get(runCtx, &result); err != nil {
		t.Fatalf("workflow result after restart: %v", err)
	}
}

// TestEnsureSearchAttributes covers what the pre-created dev namespace never
// exercises: adding missing attributes, as on a production cluster, and
// refusing an attribute registered with the wrong type.
func TestEnsureSearchAttributes(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s := startDevServer(ctx, t, t.TempDir())
	c, _ := dialDevServer(ctx, t, s)

	// The namespace check at start: the dev server's passes, a missing one says how to create it.
	if err := temporal.CheckNamespace(ctx, c, s.FrontendAddress(), s.Namespace()); err != nil {
		t.Errorf("CheckNamespace(%s): %v", s.Namespace(), err)
	}
	err := temporal.CheckNamespace(ctx, c, s.FrontendAddress(), "no-such-namespace")
	for _, want := range []string{"no-such-namespace does not exist", "temporal operator namespace create", "TEMPORAL_NAMESPACE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckNamespace(no-such-namespace) = %v, want it to say %q", err, want)
		}
	}

	for _, ns := range []string{"sa-fresh", "sa-conflict"} {
		_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        ns,
			WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
		})
		if err != nil {
			t.Fatalf("register namespace %s: %v", ns, err)
		}
	}

	// A new namespace reaches the frontend's namespace cache a moment after
	// registration, so retry until then.
	retry := func(what string, op func() error) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := op()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", what, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	for i := range 2 {
		retry("EnsureSearchAttributes on sa-fresh", func() error {
			return temporal.EnsureSearchAttributes(ctx, c, "sa-fresh")
		})
		resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "sa-fresh"})
		if err != nil {
			t.Fatalf("ListSearchAttributes: %v", err)
		}
		for name, want := range workflows.SearchAttributeTypes() {
			if got := resp.GetCustomAttributes()[name]; got != want {
				t.Errorf("after call %d: %s type = %s, want %s", i+1, name, got, want)
			}
		}
	}

	retry("add DeployEnv as Int to sa-conflict", func() error {
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        "sa-conflict",
			SearchAttributes: map[string]enumspb.IndexedValueType{"DeployEnv": enumspb.INDEXED_VALUE_TYPE_INT},
		})
		return err
	})
	err = temporal.EnsureSearchAttributes(ctx, c, "sa-conflict")
	if err == nil {
		t.Fatal("EnsureSearchAttributes accepted DeployEnv registered as Int")
	}
	for _, want := range []string{"DeployEnv", "sa-conflict", "Int", "Keyword"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestStartDevServerPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port

	for _, tc := range []struct {
		name string
		cfg  temporal.DevServerConfig
		what string
	}{
		{name: "ui", cfg: temporal.DevServerConfig{UIPort: busy}, what: "Temporal UI"},
		{name: "frontend", cfg: temporal.DevServerConfig{Port: busy, UIPort: -1}, what: "Temporal frontend gRPC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.DataDir = t.TempDir()
			tc.cfg.Logger = testLogger()
			s, err := temporal.StartDevServer(t.Context(), tc.cfg)
			if err == nil {
				_ = s.Stop()
				t.Fatal("StartDevServer succeeded on a busy port")
			}
			var inUse *temporal.PortInUseError
			if !errors.As(err, &inUse) {
				t.Fatalf("error %v (%T) is not a *PortInUseError", err, err)
			}
			if inUse.Port != busy || inUse.What != tc.what {
				t.Errorf("PortInUseError = %+v, want port %d for %q", inUse, busy, tc.what)
			}
			want := tc.what + " port " + strconv.Itoa(busy) + " is already in use"
			if err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			// A busy port must be reported before anything is written.
			if _, err := os.Stat(filepath.Join(tc.cfg.DataDir, "temporal.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("database file exists after a port conflict (stat error %v)", err)
			}
		})
	}
}

func TestSearchAttributeTypes(t *testing.T) {
	types := workflows.SearchAttributeTypes()
	want := []string{"DeployEnv", "DeployStage", "DeployBuild", "DeployType", "DeployOperator", "DeployState", "DeployID", "DeployAcceptance"}
	if len(types) != len(want) {
		t.Fatalf("SearchAttributeTypes has %d entries, want %d: %v", len(types), len(want), types)
	}
	for _, name := range want {
		if got := types[name]; got != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("%s type = %s, want Keyword", name, got)
		}
	}
}

// clearTemporalEnv unsets every variable Temporal's client configuration reads, and points
// its configuration file at none, so that the machine running the test cannot leak in.
func clearTemporalEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TEMPORAL_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
}

func TestClientConfigFromEnv(t *testing.T) {
	t.Run("envconfig variables", func(t *testing.T) {
		clearTemporalEnv(t)
		t.Setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
		t.Setenv("TEMPORAL_NAMESPACE", "deploys")
		t.Setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", "/certs/client.pem")
		t.Setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", "/certs/client.key")
		t.Setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/certs/ca.pem")
		t.Setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
		t.Setenv("TEMPORAL_API_KEY", "secret")
		t.Setenv("TEMPORAL_GRPC_META_X_TENANT", "blue")
		got, err := temporal.ClientConfigFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		tls := got.Profile.TLS
		if got.Address != "temporal.example:7233" || got.Namespace != "deploys" || got.Profile.APIKey != "secret" || tls == nil ||
			tls.ClientCertPath != "/certs/client.pem" || tls.ClientKeyPath != "/certs/client.key" ||
			tls.ServerCACertPath != "/certs/ca.pem" || tls.ServerName != "temporal.internal" || got.Profile.GRPCMeta["x-tenant"] != "blue" || !got.UsesTLS() {
			t.Errorf("ClientConfigFromEnv() = %+v (TLS %+v)", got, tls)
		}
	})
	t.Run("the older CLI's TLS names", func(t *testing.T) {
		clearTemporalEnv(t)
		t.Setenv("TEMPORAL_TLS_CERT", "/certs/client.pem")
		t.Setenv("TEMPORAL_TLS_KEY", "/certs/client.key")
		t.Setenv("TEMPORAL_TLS_CA", "/certs/ca.pem")
		got, err := temporal.ClientConfigFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if tls := got.Profile.TLS; tls == nil || tls.ClientCertPath != "/certs/client.pem" || tls.ClientKeyPath != "/certs/client.key" || tls.ServerCACertPath != "/certs/ca.pem" {
			t.Errorf("legacy TLS variables not read: %+v", got.Profile.TLS)
		}
	})
	t.Run("a profile of the configuration file", func(t *testing.T) {
		clearTemporalEnv(t)
		file := filepath.Join(t.TempDir(), "temporal.toml")
		if err := os.WriteFile(file, []byte("[profile.prod]\naddress = \"prod.example:7233\"\nnamespace = \"prod\"\napi_key = \"k\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("TEMPORAL_CONFIG_FILE", file)
		t.Setenv("TEMPORAL_PROFILE", "prod")
		got, err := temporal.ClientConfigFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if got.Address != "prod.example:7233" || got.Namespace != "prod" || !got.UsesTLS() {
			t.Errorf("profile prod not applied: %+v", got)
		}
	})
	t.Run("a malformed variable is an error", func(t *testing.T) {
		clearTemporalEnv(t)
		t.Setenv("TEMPORAL_TLS", "maybe")
		if _, err := temporal.ClientConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "TEMPORAL_") {
			t.Errorf("TEMPORAL_TLS=maybe: %v", err)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		clearTemporalEnv(t)
		got, err := temporal.ClientConfigFromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if got.Address != "127.0.0.1:7233" || got.Namespace != "default" || got.UsesTLS() {
			t.Errorf("ClientConfigFromEnv() = %+v", got)
		}
	})
}

func TestDialRejectsHalfAKeyPair(t *testing.T) {
	for _, tls := range []envconfig.ClientConfigTLS{
		{ClientCertPath: "/certs/client.pem"},
		{ClientKeyPath: "/certs/client.key"},
	} {
		cfg := temporal.ClientConfig{Profile: envconfig.ClientConfigProfile{TLS: &tls}}
		c, err := temporal.Dial(t.Context(), cfg)
		if err == nil {
			c.Close()
			t.Fatalf("Dial(%+v) succeeded, want an error", tls)
		}
		for _, name := range []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("Dial(%+v) error %q does not mention %s", tls, err, name)
			}
		}
	}
}

func TestDialUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := temporal.Dial(ctx, temporal.ClientConfig{Address: addr, Logger: testLogger()})
	if err == nil {
		c.Close()
		t.Fatalf("Dial(%s) succeeded with nothing listening", addr)
	}
	for _, want := range []string{addr, "TEMPORAL_ADDRESS", "teletraan dev"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
