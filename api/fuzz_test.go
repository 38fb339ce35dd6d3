package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// fuzzAPI is a router over one SQLite store shared by every input of a fuzz worker, with
// a token of role.
type fuzzAPI struct {
	store  *schema.Store
	engine *gin.Engine
	auth   string
}

func newFuzzAPI(f *testing.F, role string) *fuzzAPI {
	return newFuzzAPIOn(f, schematest.SQLite(f), role)
}

// newFuzzAPIOn is newFuzzAPI over the store st, with a token of role of its own.
func newFuzzAPIOn(f *testing.F, st *schema.Store, role string) *fuzzAPI {
	secret, _, err := st.CreateToken(f.Context(), schema.TokenSpec{Name: "fuzz-" + role, Role: role})
	if err != nil {
		f.Fatal(err)
	}
	return &fuzzAPI{store: st, engine: api.NewRouter(api.Deps{Store: st, Deployer: &fakeDeployer{store: st}}), auth: "Bearer " + secret}
}

func (a *fuzzAPI) send(method, path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", a.auth)
	rec := httptest.NewRecorder()
	a.engine.ServeHTTP(rec, req)
	return rec
}

// checkAnswer fails unless rec is an acceptance (one of ok) or a refusal a client can act
// on: a 4xx error with a message, naming the field at fault when the body was a
// well-formed JSON object and the refusal a 400.
func checkAnswer(t *testing.T, what string, body []byte, rec *httptest.ResponseRecorder, ok ...int) bool {
	t.Helper()
	for _, s := range ok {
		if rec.Code == s {
			return true
		}
	}
	if rec.Code < 400 || rec.Code >= 500 {
		t.Fatalf("%s %q answered %d, want a 4xx or %v: %s", what, body, rec.Code, ok, rec.Body)
	}
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s %q refused with %d and no error code and message: %s", what, body, rec.Code, rec.Body)
	}
	trimmed := bytes.TrimSpace(body)
	if rec.Code == http.StatusBadRequest && json.Valid(trimmed) && len(trimmed) > 0 && trimmed[0] == '{' && e.Error.Field == "" {
		t.Fatalf("%s: well-formed object %q refused without naming a field: %s", what, body, rec.Body)
	}
	return false
}

// serverStageFields are in a stage's answer but written by the server only.
var serverStageFields = []string{"id", "envName", "stageName", "currentDeployId", "lastOperator", "createdAt", "updatedAt"}

// FuzzStageConfig sends arbitrary bodies to PUT /v1/envs/hello/prod (a merge into one
// stored stage) and POST /v1/envs, over HTTP against a SQLite store; the seeds are in
// testdata/fuzz/FuzzStageConfig. A refusal is a 4xx naming the field; an accepted config
// is valid as stored (schema.StageConfig.Validate) and, read back through the API, is
// accepted again unchanged when sent back.
func FuzzStageConfig(f *testing.F) {
	a := newFuzzAPI(f, schema.RoleAdmin)
	if rec := a.send(http.MethodPost, "/v1/envs", []byte(`{"envName":"hello","stageName":"prod"}`)); rec.Code != http.StatusCreated {
		f.Fatalf("create the stage: %d %s", rec.Code, rec.Body)
	}
	f.Add([]byte(`{"maxParallel":3,"successThreshold":90,"scriptVariables":{"PORT":"8080"}}`))
	f.Add([]byte(`{"envName":"shop","stageName":"canary","maxParallelPct":10,"onFailure":"ROLLBACK"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if rec := a.send(http.MethodPost, "/v1/envs", body); checkAnswer(t, "POST /v1/envs", body, rec, http.StatusCreated) {
			var st schema.Stage
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
				t.Fatalf("created stage answer %s: %v", rec.Body, err)
			}
			checkStoredStage(t, a, st.EnvName, st.StageName, body)
		}
		if rec := a.send(http.MethodPut, "/v1/envs/hello/prod", body); checkAnswer(t, "PUT /v1/envs/hello/prod", body, rec, http.StatusOK) {
			checkStoredStage(t, a, "hello", "prod", body)
		}
	})
}

// checkStoredStage re-validates an accepted stage as stored, and sends its config, as the
// API shows it, back: an accepted value must be accepted again and change nothing.
func checkStoredStage(t *testing.T, a *fuzzAPI, env, stage string, body []byte) {
	t.Helper()
	stored, err := a.store.GetStage(t.Context(), env, stage)
	if err != nil {
		t.Fatalf("stage %s/%s accepted from %q is not stored: %v", env, stage, body, err)
	}
	if err := stored.Validate(); err != nil {
		t.Fatalf("stage %s/%s accepted from %q is stored invalid: %v", env, stage, body, err)
	}
	path := "/v1/envs/" + env + "/" + stage
	shown := a.send(http.MethodGet, path, nil)
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(shown.Body.Bytes(), &cfg); err != nil {
		t.Fatalf("GET %s: %d %s", path, shown.Code, shown.Body)
	}
	for _, k := range serverStageFields {
		delete(cfg, k)
	}
	again, _ := json.Marshal(cfg)
	rec := a.send(http.MethodPut, path, again)
	if rec.Code != http.StatusOK {
		t.Fatalf("the config accepted from %q, sent back as %s, is refused: %d %s", body, again, rec.Code, rec.Body)
	}
	after, err := a.store.GetStage(t.Context(), env, stage)
	if err != nil {
		t.Fatal(err)
	}
	if b1, b2 := mustJSON(t, stored.StageConfig), mustJSON(t, after.StageConfig); b1 != b2 {
		t.Fatalf("sending back the config accepted from %q changed it:\n%s\n%s", body, b1, b2)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzPublishBuild sends arbitrary bodies to POST /v1/builds as a PUBLISHER, over HTTP
// against a SQLite store; the seeds are in testdata/fuzz/FuzzPublishBuild. A refusal is a
// 4xx naming the field; an accepted build is valid as stored (schema.Build.Validate), and
// publishing it again as stored is accepted too.
func FuzzPublishBuild(f *testing.F) {
	a := newFuzzAPI(f, schema.RolePublisher)
	f.Add([]byte(`{"name":"hello","artifactUrl":"https://builds.example.com/hello.tar.gz","branch":"main","commit":"abcdef1"}`))
	f.Add([]byte(`{"name":"hello","artifactUrl":"https://b/x.tgz","checksum":"sha256:ABCDEF","commitDate":"2026-01-02T15:04:05Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := a.send(http.MethodPost, "/v1/builds", body)
		if !checkAnswer(t, "POST /v1/builds", body, rec, http.StatusCreated) {
			return
		}
		var shown schema.Build
		if err := json.Unmarshal(rec.Body.Bytes(), &shown); err != nil {
			t.Fatalf("published build answer %s: %v", rec.Body, err)
		}
		stored, err := a.store.GetBuild(t.Context(), shown.ID)
		if err != nil {
			t.Fatalf("build accepted from %q is not stored: %v", body, err)
		}
		if err := stored.Validate(); err != nil {
			t.Fatalf("build accepted from %q is stored invalid: %v", body, err)
		}
		republish := map[string]any{"name": stored.Name, "artifactUrl": stored.ArtifactURL, "checksum": stored.Checksum, "repo": stored.Repo,
			"branch": stored.Branch, "commit": stored.Commit, "commitInfo": stored.CommitInfo, "publishInfo": stored.PublishInfo}
		if stored.CommitDate != nil {
			republish["commitDate"] = stored.CommitDate.Format(time.RFC3339Nano)
		}
		again, _ := json.Marshal(republish)
		if rec := a.send(http.MethodPost, "/v1/builds", again); rec.Code != http.StatusCreated {
			t.Fatalf("the build accepted from %q, published again as %s, is refused: %d %s", body, again, rec.Code, rec.Body)
		}
	})
}
