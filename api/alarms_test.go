package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestStageAlarmsAreAskedAndCached(t *testing.T) {
	var asked atomic.Int32
	alarm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, "OK")
		case "/firing":
			_, _ = io.WriteString(w, `{"firing": true}`)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer alarm.Close()
	a := newTestAPI(t)
	a.createStage("hello", "prod", `"alarms":[{"name":"latency","url":"`+alarm.URL+`/ok"},{"name":"errors","url":"`+alarm.URL+`/firing"},{"name":"broken","url":"`+alarm.URL+`/500"}]`)

	type status struct {
		Name   string `json:"name"`
		Firing bool   `json:"firing"`
		Detail string `json:"detail"`
	}
	type view struct {
		Alarms []status `json:"alarms"`
		Firing int      `json:"firing"`
	}
	rec := a.call(http.MethodGet, "/v1/envs/hello/prod/alarms", "")
	wantStatus(t, rec, http.StatusOK)
	v := decode[view](t, rec)
	if v.Firing != 2 || len(v.Alarms) != 3 || v.Alarms[0].Firing || !v.Alarms[1].Firing || v.Alarms[2].Detail != alarm.URL+"/500 answered HTTP 500" {
		t.Fatalf("alarms = %+v", v)
	}
	// A second look within the cache window does not ask the endpoints again.
	wantStatus(t, a.call(http.MethodGet, "/v1/envs/hello/prod/alarms", ""), http.StatusOK)
	if n := asked.Load(); n != 3 {
		t.Errorf("alarm endpoints asked %d times, want 3", n)
	}
	// Changing the alarms invalidates the cached answers.
	wantStatus(t, a.call(http.MethodPut, "/v1/envs/hello/prod", `{"alarms":[{"name":"latency","url":"`+alarm.URL+`/ok"}]}`), http.StatusOK)
	rec = a.call(http.MethodGet, "/v1/envs/hello/prod/alarms", "")
	if v := decode[view](t, rec); v.Firing != 0 || len(v.Alarms) != 1 {
		t.Errorf("after the change: %+v", v)
	}
	wantError(t, a.call(http.MethodGet, "/v1/envs/hello/nope/alarms", ""), http.StatusNotFound, "not_found", "")
}
