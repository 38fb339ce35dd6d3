package api_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

type stageList struct {
	Stages []schema.Stage `json:"stages"`
}

func TestCreateListAndGetStages(t *testing.T) {
	a := newTestAPI(t)

	rec := a.call(http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"prod","maxParallel":5,"scriptVariables":{"PORT":"8080"}}`)
	wantStatus(t, rec, http.StatusCreated)
	if loc := rec.Header().Get("Location"); loc != "/v1/envs/hello/prod" {
		t.Errorf("Location = %q, want /v1/envs/hello/prod", loc)
	}
	st := decode[schema.Stage](t, rec)
	want := schema.DefaultStageConfig("hello", "prod")
	want.MaxParallel = 5
	want.ScriptVariables = map[string]string{"PORT": "8080"}
	if st.ID == "" || st.EnvName != "hello" || st.StageName != "prod" || st.LastOperator != "alice" {
		t.Errorf("created stage = %+v, want id set, hello/prod, last operator alice", st)
	}
	if st.MaxParallel != 5 || st.SuccessThreshold != want.SuccessThreshold || st.BuildName != "hello" ||
		st.StuckTimeoutSeconds != want.StuckTimeoutSeconds || !maps.Equal(st.ScriptVariables, want.ScriptVariables) {
		t.Errorf("created config = %+v, want %+v", st.StageConfig, want)
	}
	a.createStage("hello", "canary", "")
	a.createStage("other", "prod", "")

	all := decode[stageList](t, a.call(http.MethodGet, "/v1/envs", ""))
	if len(all.Stages) != 3 {
		t.Fatalf("GET /v1/envs listed %d stages, want 3", len(all.Stages))
	}
	filtered := decode[stageList](t, a.call(http.MethodGet, "/v1/envs?env=hello", ""))
	if len(filtered.Stages) != 2 || filtered.Stages[0].StageName != "canary" || filtered.Stages[1].StageName != "prod" {
		t.Errorf("GET /v1/envs?env=hello = %+v, want canary and prod", filtered.Stages)
	}
	rec = a.call(http.MethodGet, "/v1/envs/hello", "")
	wantStatus(t, rec, http.StatusOK)
	if env := decode[stageList](t, rec); len(env.Stages) != 2 {
		t.Errorf("GET /v1/envs/hello listed %d stages, want 2", len(env.Stages))
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/nope", ""), http.StatusNotFound, core.ENOTFOUND, "", "environment nope")

	rec = a.call(http.MethodGet, "/v1/envs/hello/prod", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[schema.Stage](t, rec); got.ID != st.ID || got.MaxParallel != 5 {
		t.Errorf("GET /v1/envs/hello/prod = %+v, want the created stage", got)
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/nope", ""), http.StatusNotFound, core.ENOTFOUND, "", "stage hello/nope does not exist")
}

func TestCreateStageRefusesDuplicatesAndInvalidConfig(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")

	wantError(t, a.call(http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"prod"}`),
		http.StatusConflict, core.ECONFLICT, "", "stage hello/prod already exists")
	wantError(t, a.call(http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"beta","successThreshold":150}`),
		http.StatusBadRequest, core.EINVALID, "successThreshold", "between 0 and 100")
	wantError(t, a.call(http.MethodPost, "/v1/envs", `{"stageName":"beta"}`),
		http.StatusBadRequest, core.EINVALID, "envName", "is required")
	wantError(t, a.call(http.MethodPost, "/v1/envs", `{"envName":"hello"}`),
		http.StatusBadRequest, core.EINVALID, "stageName", "is required")
	wantError(t, a.call(http.MethodPost, "/v1/envs", `{"envName":"hello world","stageName":"beta"}`),
		http.StatusBadRequest, core.EINVALID, "envName", "not a valid name")
	wantError(t, a.call(http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"beta","id":"mine"}`),
		http.StatusBadRequest, core.EINVALID, "id", "assigned by the server")

	if _, err := a.store.GetStage(t.Context(), "hello", "beta"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("a refused stage was stored: GetStage error = %v", err)
	}
}

func TestUpdateStageMergesFields(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", `"maxParallel":5,"scriptVariables":{"A":"1","B":"2"},"agentConfigs":{"process_timeout":"30"}`)

	rec := a.call(http.MethodPut, "/v1/envs/hello/prod", `{"successThreshold":90}`)
	wantStatus(t, rec, http.StatusOK)
	st := decode[schema.Stage](t, rec)
	if st.SuccessThreshold != 90 || st.MaxParallel != 5 || len(st.ScriptVariables) != 2 || st.AgentConfigs["process_timeout"] != "30" {
		t.Errorf("after PUT successThreshold: %+v, want successThreshold 90 and everything else kept", st.StageConfig)
	}

	rec = a.call(http.MethodPut, "/v1/envs/hello/prod", `{"scriptVariables":{"C":"3"},"description":"the real thing"}`)
	wantStatus(t, rec, http.StatusOK)
	st = decode[schema.Stage](t, rec)
	if !maps.Equal(st.ScriptVariables, map[string]string{"C": "3"}) {
		t.Errorf("scriptVariables = %v, want the present map to replace the old one: {C:3}", st.ScriptVariables)
	}
	if st.Description != "the real thing" || st.SuccessThreshold != 90 || st.MaxParallel != 5 || st.AgentConfigs["process_timeout"] != "30" {
		t.Errorf("after PUT scriptVariables: %+v, want other fields kept", st.StageConfig)
	}

	stored, err := a.store.GetStage(t.Context(), "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(stored.ScriptVariables, map[string]string{"C": "3"}) || stored.SuccessThreshold != 90 || stored.MaxParallel != 5 {
		t.Errorf("stored config = %+v, want the merged one", stored.StageConfig)
	}

	rec = a.call(http.MethodGet, "/v1/envs/hello/prod/history", "")
	wantStatus(t, rec, http.StatusOK)
	history := decode[struct {
		Changes []schema.ConfigChange `json:"changes"`
	}](t, rec)
	if len(history.Changes) != 3 {
		t.Fatalf("history has %d changes, want 3 (create and two updates)", len(history.Changes))
	}
	if c := history.Changes[0]; c.ChangeType != schema.HistoryStageConfig || c.Operator != "alice" || len(c.After) == 0 {
		t.Errorf("newest change = %+v, want a STAGE_CONFIG change by alice with its snapshot", c)
	}
	if h := decode[struct {
		Changes []schema.ConfigChange `json:"changes"`
	}](t, a.call(http.MethodGet, "/v1/envs/hello/prod/history?limit=1", "")); len(h.Changes) != 1 {
		t.Errorf("history?limit=1 returned %d changes, want 1", len(h.Changes))
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/history?limit=many", ""), http.StatusBadRequest, core.EINVALID, "limit", "whole number")
}

func TestUpdateStageRefusesBadRequests(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", `"maxParallel":5`)

	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"successThreshold":150}`),
		http.StatusBadRequest, core.EINVALID, "successThreshold", "between 0 and 100")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"envName":"other"}`),
		http.StatusBadRequest, core.EINVALID, "envName", "cannot be changed")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"stageName":"other"}`),
		http.StatusBadRequest, core.EINVALID, "stageName", "cannot be changed")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"id":"x","maxParallel":2}`),
		http.StatusBadRequest, core.EINVALID, "id", "cannot be changed")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"maxParalel":2}`),
		http.StatusBadRequest, core.EINVALID, "maxParalel", "unknown field")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/nope", `{"maxParallel":2}`),
		http.StatusNotFound, core.ENOTFOUND, "", "stage hello/nope does not exist")

	st, err := a.store.GetStage(t.Context(), "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxParallel != 5 || st.SuccessThreshold != 100 {
		t.Errorf("refused updates changed the stage: %+v", st.StageConfig)
	}
}

func TestStageFailurePolicyAndAlarms(t *testing.T) {
	a := newTestAPI(t)
	st := a.createStage("hello", "prod", `"maxParallel":5`)
	if st.OnFailure != core.FailureWait || st.Alarms == nil || len(st.Alarms) != 0 {
		t.Errorf("new stage: onFailure %q, alarms %#v; want WAIT and []", st.OnFailure, st.Alarms)
	}

	rec := a.call(http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"canary","maxParallel":1,"onFailure":"ROLLBACK","alarms":[{"name":"errors","url":"https://alarms.example.com/errors"}]}`)
	wantStatus(t, rec, http.StatusCreated)
	if c := decode[schema.Stage](t, rec); c.OnFailure != core.FailureRollback || len(c.Alarms) != 1 || c.Alarms[0].Name != "errors" {
		t.Errorf("created with policy and alarms: %+v", c.StageConfig)
	}

	rec = a.call(http.MethodPut, "/v1/envs/hello/prod", `{"onFailure":"ROLLBACK","alarms":[{"name":"a","url":"http://a.example.com/"},{"name":"b","url":"https://b.example.com/x"}]}`)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[schema.Stage](t, rec); got.OnFailure != core.FailureRollback || len(got.Alarms) != 2 || got.MaxParallel != 5 {
		t.Errorf("after PUT onFailure and alarms: %+v", got.StageConfig)
	}
	// Absent fields keep their value; a present list replaces the whole list.
	rec = a.call(http.MethodPut, "/v1/envs/hello/prod", `{"successThreshold":90}`)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[schema.Stage](t, rec); got.OnFailure != core.FailureRollback || len(got.Alarms) != 2 {
		t.Errorf("after PUT of another field: %+v, want policy and alarms kept", got.StageConfig)
	}
	rec = a.call(http.MethodPut, "/v1/envs/hello/prod", `{"alarms":[]}`)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[schema.Stage](t, rec); len(got.Alarms) != 0 || got.OnFailure != core.FailureRollback {
		t.Errorf("after PUT alarms []: %+v, want no alarms", got.StageConfig)
	}

	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"onFailure":"RETRY"}`),
		http.StatusBadRequest, core.EINVALID, "onFailure", "WAIT or ROLLBACK")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"alarms":[{"name":"a","url":"file:///etc/passwd"}]}`),
		http.StatusBadRequest, core.EINVALID, "alarms", "http or https")
	wantError(t, a.call(http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"beta","onFailure":"retry"}`),
		http.StatusBadRequest, core.EINVALID, "onFailure", "not a failure policy")
}

// "At most 10 %" used to deploy one host at a time: the default count cap of one host
// applied beside a percentage given alone.
func TestCreateStageWithOnlyAPercentageHasNoCountCap(t *testing.T) {
	a := newTestAPI(t)
	for _, tc := range []struct {
		body             string
		wantCount, wantP int
	}{
		{`{"envName":"hello","stageName":"pct","maxParallelPct":10}`, 0, 10},
		{`{"envName":"hello","stageName":"both","maxParallelPct":10,"maxParallel":3}`, 3, 10},
		{`{"envName":"hello","stageName":"none"}`, 1, 0},
	} {
		rec := a.call(http.MethodPost, "/v1/envs", tc.body)
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", tc.body, rec.Code, rec.Body.String())
		}
		var got struct{ MaxParallel, MaxParallelPct int }
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.MaxParallel != tc.wantCount || got.MaxParallelPct != tc.wantP {
			t.Errorf("POST %s: maxParallel %d, maxParallelPct %d; want %d, %d", tc.body, got.MaxParallel, got.MaxParallelPct, tc.wantCount, tc.wantP)
		}
	}
}

func TestStageType(t *testing.T) {
	a := newTestAPI(t)
	if st := a.createStage("hello", "prod", `"maxParallel":5`); st.StageType != core.StageTypeDefault {
		t.Errorf("new stage: stageType %q, want DEFAULT", st.StageType)
	}
	rec := a.call(http.MethodPut, "/v1/envs/hello/prod", `{"stageType":"PRODUCTION"}`)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[schema.Stage](t, rec); got.StageType != core.StageTypeProduction || got.MaxParallel != 5 {
		t.Errorf("after PUT stageType: %+v", got.StageConfig)
	}
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"stageType":"prod"}`),
		http.StatusBadRequest, core.EINVALID, "stageType", "not a stage type")
}
