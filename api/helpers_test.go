package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// fakeDeployer stands in for the Temporal-backed Deployer: it records its calls and writes
// the deploy row the way the real one does, or fails with a configured error.
type fakeDeployer struct {
	store *schema.Store

	mu      sync.Mutex
	calls   []api.StartDeployRequest
	actions []string
	err     error
	// blockedBy, when set, makes a request with Queue wait in the queue behind it, as the
	// stage workflow does while a HOTFIX or ROLLBACK runs.
	blockedBy string
	queued    *api.QueuedDeploy
	// alerts records every AlertDeploy call.
	alerts []api.AlertAction
	// commandWorkers is what CommandWorkers answers.
	commandWorkers int
}

func (f *fakeDeployer) StartDeploy(ctx context.Context, req api.StartDeployRequest) (*api.StartDeployResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	err := f.err
	if err == nil && req.Queue && f.blockedBy != "" {
		q := &api.QueuedDeploy{Queued: true, DeployID: schema.NewID(), BuildID: req.Build.ID, Type: req.Type, Operator: req.Operator, WaitingFor: f.blockedBy}
		if f.queued != nil {
			q.Replaced = f.queued.DeployID
		}
		f.queued = q
		f.mu.Unlock()
		return &api.StartDeployResult{Queued: q}, nil
	}
	cleared := ""
	if err == nil && f.queued != nil {
		cleared, f.queued = f.queued.DeployID, nil
	}
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	id := schema.NewID()
	d := &schema.Deploy{
		ID:          id,
		StageID:     req.Stage.ID,
		EnvName:     req.Stage.EnvName,
		StageName:   req.Stage.StageName,
		BuildID:     req.Build.ID,
		Type:        req.Type,
		Operator:    req.Operator,
		Description: req.Description,
		WorkflowID:  "deploy/" + id,
	}
	if err := f.store.CreateDeploy(ctx, d); err != nil {
		return nil, err
	}
	return &api.StartDeployResult{Deploy: d, ClearedQueue: cleared}, nil
}

// QueuedDeploy answers the request last queued, or ENOTFOUND.
func (f *fakeDeployer) QueuedDeploy(_ context.Context, st *schema.Stage) (*api.QueuedDeploy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queued == nil {
		return nil, core.Errorf(core.ENOTFOUND, "nothing is queued on %s/%s", st.EnvName, st.StageName)
	}
	q := *f.queued
	q.Replaced = ""
	return &q, nil
}

// CommandWorkers answers commandWorkers: how many workers run acceptance commands.
func (f *fakeDeployer) CommandWorkers(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.commandWorkers, nil
}

// GiveAcceptance records the verdict on the deploy, as the stage workflow does once the
// qualification tells it.
func (f *fakeDeployer) GiveAcceptance(ctx context.Context, req api.AcceptanceRequest) error {
	f.mu.Lock()
	f.actions = append(f.actions, "acceptance "+req.Status)
	f.mu.Unlock()
	_, err := f.store.SetAcceptance(ctx, req.Deploy.ID, req.Status, req.Status+" by "+req.Operator+": "+req.Reason, nil, req.Operator)
	return err
}

// blockWith makes queued requests wait behind waitingFor.
func (f *fakeDeployer) blockWith(waitingFor string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blockedBy = waitingFor
}

// PauseDeploy pauses the current deploy's row, as the deploy workflow would.
func (f *fakeDeployer) PauseDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return f.act(ctx, "pause", req, func(d *schema.Deploy) error {
		return f.store.SetDeployPaused(ctx, d.ID, true, "paused by "+req.Operator)
	})
}

// ResumeDeploy resumes the current deploy's row.
func (f *fakeDeployer) ResumeDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return f.act(ctx, "resume", req, func(d *schema.Deploy) error {
		return f.store.SetDeployPaused(ctx, d.ID, false, "resumed by "+req.Operator)
	})
}

// AbortDeploy marks the current deploy ABORTED.
func (f *fakeDeployer) AbortDeploy(ctx context.Context, req api.DeployActionRequest) (*schema.Deploy, error) {
	return f.act(ctx, "abort", req, func(d *schema.Deploy) error {
		_, err := f.store.SetDeployState(ctx, d.ID, core.StateAborted, "aborted by "+req.Operator)
		return err
	})
}

func (f *fakeDeployer) act(ctx context.Context, action string, req api.DeployActionRequest, apply func(*schema.Deploy) error) (*schema.Deploy, error) {
	f.mu.Lock()
	f.actions = append(f.actions, action+" by "+req.Operator+": "+req.Description)
	err := f.err
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	d, err := f.store.CurrentDeploy(ctx, req.Stage.EnvName, req.Stage.StageName)
	if err != nil {
		return nil, err
	}
	if err := apply(d); err != nil {
		return nil, err
	}
	return f.store.GetDeploy(ctx, d.ID)
}

func (f *fakeDeployer) recordedActions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.actions...)
}

func (f *fakeDeployer) failWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeDeployer) recorded() []api.StartDeployRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.StartDeployRequest(nil), f.calls...)
}

// syncBuffer collects log output; handlers may log from the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testAPI is a router over a fresh SQLite store with a token for alice.
type testAPI struct {
	t        *testing.T
	store    *schema.Store
	engine   *gin.Engine
	deployer *fakeDeployer
	secret   string
	logs     *syncBuffer
	// readerSecret is a READER token's, made on first use by get.
	readerSecret string
}

const temporalUI = "http://127.0.0.1:8233"

func newTestAPI(t *testing.T, configure ...func(*api.Deps)) *testAPI {
	t.Helper()
	st := schematest.SQLite(t)
	secret, _, err := st.CreateToken(t.Context(), schema.TokenSpec{Name: "alice", Role: schema.RoleAdmin})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	fd := &fakeDeployer{store: st}
	logs := &syncBuffer{}
	deps := api.Deps{
		Store:         st,
		Deployer:      fd,
		Logger:        slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		TemporalUIURL: temporalUI,
		Namespace:     "default",
	}
	for _, c := range configure {
		c(&deps)
	}
	return &testAPI{t: t, store: st, engine: api.NewRouter(deps), deployer: fd, secret: secret, logs: logs}
}

// call sends a request authenticated as alice.
func (a *testAPI) call(method, path, body string) *httptest.ResponseRecorder {
	a.t.Helper()
	return a.callWith(method, path, body, http.Header{"Authorization": {"Bearer " + a.secret}})
}

// get reads path as a READER token: reads need a caller, and the least role that may read
// is what a read test should prove enough.
func (a *testAPI) get(path string) *httptest.ResponseRecorder {
	a.t.Helper()
	if a.readerSecret == "" {
		secret, _, err := a.store.CreateToken(a.t.Context(), schema.TokenSpec{Name: "reader-" + strings.ToLower(schema.NewID()[:8]), Role: schema.RoleReader})
		if err != nil {
			a.t.Fatalf("create reader token: %v", err)
		}
		a.readerSecret = secret
	}
	return a.callWith(http.MethodGet, path, "", http.Header{"Authorization": {"Bearer " + a.readerSecret}})
}

// signIn opens a board session for a person with the given groups, as signing in at the
// OpenID provider does, and returns the headers a browser of that session sends: its
// cookie and its CSRF token.
func (a *testAPI) signIn(email string, groups ...string) http.Header {
	a.t.Helper()
	secret, sess, err := a.store.CreateSession(a.t.Context(), schema.SessionSpec{Subject: email, Email: email, Groups: groups,
		Via: schema.SessionViaOIDC, TTL: time.Hour})
	if err != nil {
		a.t.Fatalf("open a session for %s: %v", email, err)
	}
	return http.Header{"Cookie": {"teletraan_session=" + secret}, "X-Csrf-Token": {sess.CSRF}}
}

// anonymous sends a request without any credential.
func (a *testAPI) anonymous(method, path, body string) *httptest.ResponseRecorder {
	a.t.Helper()
	return a.callWith(method, path, body, http.Header{})
}

// callWith sends a request with exactly the given headers.
func (a *testAPI) callWith(method, path, body string, header http.Header) *httptest.ResponseRecorder {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	a.engine.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON; body: %s", ct, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, rec.Body, err)
	}
	return v
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body: %s", rec.Code, status, rec.Body)
	}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// wantError checks an error answer's status, code, field and that its message contains
// each of the given fragments.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code, field string, fragments ...string) errorBody {
	t.Helper()
	wantStatus(t, rec, status)
	e := decode[errorBody](t, rec)
	if e.Error.Code != code {
		t.Errorf("error code = %q, want %q; body: %s", e.Error.Code, code, rec.Body)
	}
	if e.Error.Field != field {
		t.Errorf("error field = %q, want %q; body: %s", e.Error.Field, field, rec.Body)
	}
	for _, f := range fragments {
		if !strings.Contains(e.Error.Message, f) {
			t.Errorf("error message %q does not contain %q", e.Error.Message, f)
		}
	}
	return e
}

// createStage creates env/stage with the given extra JSON fields (without braces).
func (a *testAPI) createStage(env, stage, extra string) schema.Stage {
	a.t.Helper()
	body := `{"envName":"` + env + `","stageName":"` + stage + `"`
	if extra != "" {
		body += "," + extra
	}
	rec := a.call(http.MethodPost, "/v1/envs", body+"}")
	wantStatus(a.t, rec, http.StatusCreated)
	return decode[schema.Stage](a.t, rec)
}

// publishBuild publishes a build of name on branch main at commit.
func (a *testAPI) publishBuild(name, commit string) schema.Build {
	a.t.Helper()
	rec := a.call(http.MethodPost, "/v1/builds",
		`{"name":"`+name+`","artifactUrl":"https://builds.example.com/`+name+`.tar.gz","branch":"main","commit":"`+commit+`"}`)
	wantStatus(a.t, rec, http.StatusCreated)
	return decode[schema.Build](a.t, rec)
}

// AlertDeploy applies an alert's action to the deploy's row, as the deploy workflow would.
func (f *fakeDeployer) AlertDeploy(ctx context.Context, d *schema.Deploy, req api.AlertAction) error {
	f.mu.Lock()
	f.alerts = append(f.alerts, req)
	f.mu.Unlock()
	if req.Action == core.FiringPause {
		return f.store.SetDeployPaused(ctx, d.ID, true, "paused by alert "+req.Alert)
	}
	_, err := f.store.SetDeployState(ctx, d.ID, core.StateFailing, "alert "+req.Alert+" is firing: "+req.Detail)
	return err
}
