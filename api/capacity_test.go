package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestCapacityAndHosts(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")
	a.createStage("hello", "canary", "")

	rec := a.call(http.MethodGet, "/v1/envs/hello/prod/capacity", "")
	wantStatus(t, rec, http.StatusOK)
	if c := decode[schema.Capacity](t, rec); len(c.Hosts) != 0 || len(c.Groups) != 0 || c.Hosts == nil {
		t.Errorf("new stage capacity = %+v, want empty lists", c)
	}

	rec = a.call(http.MethodPut, "/v1/envs/hello/prod/capacity", `{"hosts":["web-2","web-1","web-1"],"groups":["fleet"]}`)
	wantStatus(t, rec, http.StatusOK)
	want := schema.Capacity{Hosts: []string{"web-1", "web-2"}, Groups: []string{"fleet"}}
	if c := decode[schema.Capacity](t, rec); !slices.Equal(c.Hosts, want.Hosts) || !slices.Equal(c.Groups, want.Groups) {
		t.Errorf("PUT capacity = %+v, want %+v", c, want)
	}
	if c := decode[schema.Capacity](t, a.call(http.MethodGet, "/v1/envs/hello/prod/capacity", "")); !slices.Equal(c.Hosts, want.Hosts) || !slices.Equal(c.Groups, want.Groups) {
		t.Errorf("GET capacity = %+v, want %+v", c, want)
	}

	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/canary/capacity", `{"hosts":["web-1"]}`),
		http.StatusConflict, core.ECONFLICT, "hosts", "web-1 already belongs to stage hello/prod")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/canary/capacity", `{"groups":["fleet"]}`),
		http.StatusConflict, core.ECONFLICT, "groups", "fleet already belongs to stage hello/prod")
	wantError(t, a.call(http.MethodPut, "/v1/envs/hello/canary/capacity", `{"hosts":["bad host"]}`),
		http.StatusBadRequest, core.EINVALID, "hosts", "not a valid name")
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/nope/capacity", ""), http.StatusNotFound, core.ENOTFOUND, "", "hello/nope")

	if err := a.store.RecordHost(t.Context(), &schema.Host{ID: "i-123", HostName: "web-9", IP: "10.0.0.9", Groups: []string{"fleet"}}); err != nil {
		t.Fatal(err)
	}
	rec = a.call(http.MethodGet, "/v1/envs/hello/prod/hosts", "")
	wantStatus(t, rec, http.StatusOK)
	hosts := decode[struct {
		Hosts []schema.StageHost `json:"hosts"`
	}](t, rec).Hosts
	var got []string
	for _, h := range hosts {
		got = append(got, h.HostName+"="+h.MemberBy)
	}
	if wantHosts := []string{"web-1=host", "web-2=host", "web-9=group:fleet"}; !slices.Equal(got, wantHosts) {
		t.Errorf("hosts = %v, want %v", got, wantHosts)
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/nope/hosts", ""), http.StatusNotFound, core.ENOTFOUND, "", "hello/nope")
}
