package api_test

import (
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestStoppingAStageStopsEveryHostThatDeployedThere(t *testing.T) {
	a := newPingAPI(t)
	a.pingStage("")
	wantStatus(t, a.call(http.MethodPut, "/v1/envs/web/prod/capacity", `{"hosts":["host-1","host-2"]}`), http.StatusOK)
	a.deploy("abcdef1")
	a.pingAs(pingJSON()) // host-1 gets its goal; host-2 never pings

	rec := a.call(http.MethodPost, "/v1/envs/web/prod/stop", `{"description":"decommission"}`)
	wantStatus(t, rec, http.StatusOK)
	got := decode[struct {
		Stopped []string
		Skipped map[string]string
	}](t, rec)
	if len(got.Stopped) != 1 || got.Stopped[0] != "host-1" || got.Skipped["host-2"] != "has not deployed in the stage" {
		t.Fatalf("stop = %+v", got)
	}
	if h := a.hostOf("web", "prod"); h.Agent == nil || h.Agent.State != core.AgentStop {
		t.Fatalf("host-1 after the stage's stop: %+v", h.Agent)
	}
	again := decode[struct{ Skipped map[string]string }](t, a.call(http.MethodPost, "/v1/envs/web/prod/stop", ""))
	if again.Skipped["host-1"] != "already stopped" {
		t.Fatalf("second stop = %+v", again)
	}
	wantError(t, a.call(http.MethodPost, "/v1/envs/web/nope/stop", ""), http.StatusNotFound, core.ENOTFOUND, "")
}
