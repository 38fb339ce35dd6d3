package api_test

import (
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestQueuedDeployAnswers202AndShowsInTheQueue(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	b := a.publishBuild("hello", "abcdef1")

	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/queue", ""), http.StatusNotFound, core.ENOTFOUND, "", "nothing is queued")
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/nope/queue", ""), http.StatusNotFound, core.ENOTFOUND, "", "")

	a.deployer.blockWith("HOTFIX deploy h1 (RUNNING)")
	rec := a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`","queue":true}`)
	wantStatus(t, rec, http.StatusAccepted)
	q := decode[api.QueuedDeploy](t, rec)
	if !q.Queued || q.DeployID == "" || q.WaitingFor != "HOTFIX deploy h1 (RUNNING)" || q.BuildID != b.ID {
		t.Fatalf("queued answer = %s", rec.Body)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/envs/hello/prod/queue" {
		t.Errorf("Location = %q", loc)
	}
	calls := a.deployer.recorded()
	if last := calls[len(calls)-1]; !last.Queue || last.Type != core.TypeRegular {
		t.Errorf("deploy request = %+v, want a queued REGULAR", last)
	}
	// No deploy row exists until the queued deploy starts.
	wantError(t, a.call(http.MethodGet, "/v1/deploys/"+q.DeployID, ""), http.StatusNotFound, core.ENOTFOUND, "", "")

	rec = a.call(http.MethodGet, "/v1/envs/hello/prod/queue", "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[api.QueuedDeploy](t, rec); got.DeployID != q.DeployID || got.WaitingFor != q.WaitingFor {
		t.Errorf("GET queue = %s, want %s", rec.Body, q.DeployID)
	}

	// A newer queued request replaces the older one.
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`","queue":true}`)
	wantStatus(t, rec, http.StatusAccepted)
	q2 := decode[api.QueuedDeploy](t, rec)
	if q2.Replaced != q.DeployID {
		t.Errorf("second queued answer = %s, want it to replace %s", rec.Body, q.DeployID)
	}

	// A forced deploy starts at once and names the queued deploy it cleared.
	rec = a.call(http.MethodPost, "/v1/envs/hello/prod/deploys", `{"buildId":"`+b.ID+`","force":true}`)
	wantStatus(t, rec, http.StatusCreated)
	type startedView struct {
		Deploy       *schema.Deploy `json:"deploy"`
		ClearedQueue string         `json:"clearedQueue"`
	}
	started := decode[startedView](t, rec)
	if started.Deploy == nil || started.ClearedQueue != q2.DeployID {
		t.Errorf("forced deploy = %s, want clearedQueue %s", rec.Body, q2.DeployID)
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/prod/queue", ""), http.StatusNotFound, core.ENOTFOUND, "", "nothing is queued")
}
