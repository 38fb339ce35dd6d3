package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
)

type health struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Temporal string `json:"temporal"`
}

func TestHealthz(t *testing.T) {
	t.Run("temporal not checked", func(t *testing.T) {
		a := newTestAPI(t)
		rec := a.call(http.MethodGet, "/healthz", "")
		wantStatus(t, rec, http.StatusOK)
		if h := decode[health](t, rec); h != (health{Status: "ok", Database: "ok", Temporal: "not checked"}) {
			t.Errorf("healthz = %+v", h)
		}
	})
	t.Run("all ok", func(t *testing.T) {
		a := newTestAPI(t, func(d *api.Deps) { d.TemporalHealth = func(context.Context) error { return nil } })
		rec := a.call(http.MethodGet, "/healthz", "")
		wantStatus(t, rec, http.StatusOK)
		if h := decode[health](t, rec); h != (health{Status: "ok", Database: "ok", Temporal: "ok"}) {
			t.Errorf("healthz = %+v", h)
		}
	})
	t.Run("temporal down", func(t *testing.T) {
		a := newTestAPI(t, func(d *api.Deps) {
			d.TemporalHealth = func(context.Context) error { return errors.New("dial tcp 127.0.0.1:7233: connection refused") }
		})
		rec := a.call(http.MethodGet, "/healthz", "")
		wantStatus(t, rec, http.StatusServiceUnavailable)
		h := decode[health](t, rec)
		if h.Status != "unavailable" || h.Database != "ok" || h.Temporal != "unreachable: dial tcp 127.0.0.1:7233: connection refused" {
			t.Errorf("healthz = %+v, want temporal unreachable", h)
		}
	})
	t.Run("database down", func(t *testing.T) {
		a := newTestAPI(t)
		if err := a.store.Close(); err != nil {
			t.Fatal(err)
		}
		rec := a.call(http.MethodGet, "/healthz", "")
		wantStatus(t, rec, http.StatusServiceUnavailable)
		h := decode[health](t, rec)
		if h.Status != "unavailable" || !strings.HasPrefix(h.Database, "unreachable: ") || h.Temporal != "not checked" {
			t.Errorf("healthz = %+v, want database unreachable", h)
		}
	})
}
