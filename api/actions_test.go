package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// deployBuild starts a REGULAR deploy of b on hello/prod through the API.
func (a *testAPI) deployBuild(b schema.Build) *schema.Deploy {
	a.t.Helper()
	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(a.t, rec, http.StatusCreated)
	return decode[deployView](a.t, rec).Deploy
}

func TestPauseResumeAbortActions(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	d := a.deployBuild(a.publishBuild("hello", "abcdef1"))

	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/actions/pause", `{"description":"checking graphs"}`)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[deployView](t, rec).Deploy; got.ID != d.ID || !got.Paused || got.StateReason != "paused by alice" {
		t.Errorf("after pause: %+v", got)
	}
	// The body is optional.
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/actions/resume", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[deployView](t, rec).Deploy; got.Paused {
		t.Errorf("after resume: %+v", got)
	}
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/actions/abort", `{}`)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[deployView](t, rec).Deploy; got.State != core.StateAborted || got.StateReason != "aborted by alice" {
		t.Errorf("after abort: %+v", got)
	}
	want := []string{"pause by alice: checking graphs", "resume by alice: ", "abort by alice: "}
	if got := a.deployer.recordedActions(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("actions = %q, want %q", got, want)
	}

	a.deployer.failWith(core.Errorf(core.ECONFLICT, "stage hello/prod refused the resume: deploy x is not paused; only a paused deploy can be resumed"))
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/resume", ""), http.StatusConflict, core.ECONFLICT, "", "is not paused")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/promote-all", ""), http.StatusBadRequest, core.EINVALID, "action",
		`unknown action "promote-all": use one of pause, resume, abort, rollback, hotfix, restart, promote`)
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/pause", `{"reason":"x"}`), http.StatusBadRequest, core.EINVALID, "reason", "unknown field")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/nope/actions/pause", ""), http.StatusNotFound, core.ENOTFOUND, "", "hello/nope")
	wantError(t, a.callWith(http.MethodPost, "/v1/envs/hello/prod/actions/pause", "", nil), http.StatusUnauthorized, core.EUNAUTHORIZED, "")
}

func TestRollbackHotfixRestartActions(t *testing.T) {
	a := newTestAPI(t)
	st := a.createStage("hello", "prod", "")
	ctx := context.Background()
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/rollback", ""), http.StatusConflict, core.ECONFLICT, "", "never been deployed")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/restart", ""), http.StatusConflict, core.ECONFLICT, "", "never been deployed")

	good := a.publishBuild("hello", "abcdef1")
	bad := a.publishBuild("hello", "abcdef2")
	first := a.deployBuild(good)
	if _, err := a.store.SetDeployState(ctx, first.ID, core.StateSucceeded, "superseded"); err != nil {
		t.Fatal(err)
	}
	current := a.deployBuild(bad)

	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/actions/rollback", "")
	wantStatus(t, rec, http.StatusCreated)
	rb := decode[deployView](t, rec)
	if rb.Deploy.Type != core.TypeRollback || rb.Deploy.BuildID != good.ID || !strings.Contains(rb.Deploy.Description, first.ID) {
		t.Errorf("rollback = %+v, want a ROLLBACK to %s", rb.Deploy, good.ID)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/deploys/"+rb.Deploy.ID {
		t.Errorf("Location = %q", loc)
	}
	// Named target: back to the bad build's deploy, with a description.
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/actions/rollback", `{"toDeployId":"`+current.ID+`","description":"undo the undo"}`)
	wantStatus(t, rec, http.StatusCreated)
	if got := decode[deployView](t, rec).Deploy; got.BuildID != bad.ID || got.Description != "undo the undo" {
		t.Errorf("named rollback = %+v", got)
	}
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/rollback", `{"toDeployId":"nope"}`), http.StatusBadRequest, core.EINVALID, "toDeployId", "not a deploy of hello/prod")

	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/actions/hotfix", `{"buildId":"`+good.ID+`","description":"fix"}`)
	wantStatus(t, rec, http.StatusCreated)
	if got := decode[deployView](t, rec).Deploy; got.Type != core.TypeHotfix || got.BuildID != good.ID {
		t.Errorf("hotfix = %+v", got)
	}
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/actions/hotfix", ""), http.StatusBadRequest, core.EINVALID, "buildId", "is required")

	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/actions/restart", "")
	wantStatus(t, rec, http.StatusCreated)
	if got := decode[deployView](t, rec).Deploy; got.Type != core.TypeRestart || got.BuildID != good.ID {
		t.Errorf("restart = %+v, want a RESTART of the current build %s", got, good.ID)
	}

	// A REGULAR deploy passes force on; the stage workflow's refusal is a 409 with its reason.
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+bad.ID+`","force":true}`)
	wantStatus(t, rec, http.StatusCreated)
	calls := a.deployer.recorded()
	if last := calls[len(calls)-1]; !last.Force || last.Type != core.TypeRegular || last.Stage.ID != st.ID {
		t.Errorf("last deploy request = %+v, want a forced REGULAR", last)
	}
	a.deployer.failWith(core.Errorf(core.ECONFLICT, "stage hello/prod refused the deploy: a HOTFIX deploy is running; abort it first or wait"))
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+bad.ID+`"}`), http.StatusConflict, core.ECONFLICT, "",
		"a HOTFIX deploy is running; abort it first or wait")
}

func TestRollbackTarget(t *testing.T) {
	d := func(id, build, state string) schema.Deploy {
		return schema.Deploy{ID: id, BuildID: build, State: state}
	}
	for _, tc := range []struct {
		name    string
		history []schema.Deploy // newest first
		current string
		want    string
	}{
		{"previous succeeded", []schema.Deploy{d("d3", "b3", core.StateRunning), d("d2", "b2", core.StateSucceeded), d("d1", "b1", core.StateSucceeded)}, "d3", "d2"},
		{"skips aborted and failing", []schema.Deploy{d("d4", "b4", core.StateFailing), d("d3", "b3", core.StateAborted), d("d2", "b2", core.StateSucceeded)}, "d4", "d2"},
		{"skips the current build", []schema.Deploy{d("d3", "b2", core.StateRunning), d("d2", "b2", core.StateSucceeded), d("d1", "b1", core.StateSucceeded)}, "d3", "d1"},
		{"current succeeding is not a target", []schema.Deploy{d("d2", "b2", core.StateSucceeding), d("d1", "b1", core.StateSucceeded)}, "d2", "d1"},
		{"nothing succeeded", []schema.Deploy{d("d2", "b2", core.StateRunning), d("d1", "b1", core.StateAborted)}, "d2", ""},
		{"first deploy", []schema.Deploy{d("d1", "b1", core.StateRunning)}, "d1", ""},
	} {
		var cur *schema.Deploy
		for i := range tc.history {
			if tc.history[i].ID == tc.current {
				cur = &tc.history[i]
			}
		}
		got := schema.RollbackTarget(tc.history, cur, nil, core.RollbackRule{})
		if (got == nil && tc.want != "") || (got != nil && got.ID != tc.want) {
			t.Errorf("%s: RollbackTarget = %+v, want %q", tc.name, got, tc.want)
		}
	}
}

func TestHostActions(t *testing.T) {
	a := newTestAPI(t)
	st := a.createStage("hello", "prod", "")
	wantStatus(t, a.call(http.MethodPut, "/v1/envs/hello/prod/capacity", `{"hosts":["h-1","h-2"]}`), http.StatusOK)
	ctx := context.Background()
	failed := schema.Agent{HostID: "id-1", StageID: st.ID, HostName: "h-1", DeployID: "d1", DeployStage: "DOWNLOADING", State: core.AgentPausedBySystem, FailCount: 3}
	if err := a.store.RecordPing(ctx, schema.PingHost{ID: "id-1", Name: "h-1"}, func(core.PingState) (core.PingWrites, error) {
		return core.PingWrites{Agents: []schema.Agent{failed}}, nil
	}); err != nil {
		t.Fatal(err)
	}

	// A failed host can be retried or excluded, not paused: it has already stopped.
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/hosts/h-1/actions/pause", ""), http.StatusConflict, core.ECONFLICT, "", "retry it, or exclude it")
	for _, step := range []struct {
		action, want, actions string
	}{
		{"retry", core.AgentReset, "pause,exclude,stop"}, // the stage has no current deploy: the host is on another build
		{"pause", core.AgentPausedInDeploy, "resume,exclude"},
		{"resume", core.AgentNormal, "pause,exclude,stop"},
		{"exclude", core.AgentPausedByUser, "resume,pause"},
	} {
		rec := a.call(http.MethodPost, "/v1/envs/hello/prod/hosts/h-1/actions/"+step.action, `{"description":"why not"}`)
		wantStatus(t, rec, http.StatusOK)
		h := decode[api.StageHost](t, rec)
		if h.Agent == nil || h.Agent.State != step.want || h.HostName != "h-1" {
			t.Errorf("after %s: %+v", step.action, h.Agent)
		}
		if got := strings.Join(h.Actions, ","); got != step.actions {
			t.Errorf("after %s the host offers %s, want %s", step.action, got, step.actions)
		}
	}
	// By host id too, and bodiless.
	wantStatus(t, a.call(http.MethodPost, "/v1/envs/hello/prod/hosts/id-1/actions/resume", ""), http.StatusOK)
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/hosts/h-1/actions/resume", ""), http.StatusConflict, core.ECONFLICT, "", "not paused by a person or excluded")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/hosts/h-2/actions/pause", ""), http.StatusConflict, core.ECONFLICT, "", "never pinged")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/hosts/h-9/actions/pause", ""), http.StatusNotFound, core.ENOTFOUND, "", "h-9 is not a host of hello/prod")
	wantError(t, a.call(http.MethodPost, "/v1/envs/hello/prod/hosts/h-1/actions/reboot", ""), http.StatusBadRequest, core.EINVALID, "action",
		"use one of retry, exclude, pause, resume, stop")
}
