package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestUnknownRouteAndWrongMethodAnswerJSON(t *testing.T) {
	a := newTestAPI(t)

	wantError(t, a.call(http.MethodGet, "/v1/nope", ""), http.StatusNotFound, core.ENOTFOUND, "", "no route for GET /v1/nope")
	wantError(t, a.call(http.MethodGet, "/", ""), http.StatusNotFound, core.ENOTFOUND, "", "no route")

	rec := a.call(http.MethodDelete, "/v1/builds", "")
	wantError(t, rec, http.StatusMethodNotAllowed, "method_not_allowed", "", "DELETE is not allowed on /v1/builds", "GET", "POST")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow = %q, want GET and POST", allow)
	}
}

func TestPanicsBecomeOpaque500s(t *testing.T) {
	a := newTestAPI(t)
	a.engine.GET("/boom", func(*gin.Context) { panic("kaboom: secret internal state") })

	rec := a.callWith(http.MethodGet, "/boom", "", http.Header{"X-Request-ID": {"req-panic-1"}, "Authorization": {"Bearer " + a.secret}})
	wantError(t, rec, http.StatusInternalServerError, core.EINTERNAL, "", "internal error", "req-panic-1")
	if strings.Contains(rec.Body.String(), "kaboom") || strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("panic details leaked to the client: %s", rec.Body)
	}
	logs := a.logs.String()
	if !strings.Contains(logs, "kaboom: secret internal state") || !strings.Contains(logs, "req-panic-1") {
		t.Errorf("panic not logged with its request id; log:\n%s", logs)
	}
	if !strings.Contains(logs, `"level":"WARN","msg":"http request","method":"GET","path":"/boom","status":500`) {
		t.Errorf("access log does not record the 500 at WARN; log:\n%s", logs)
	}

	// The server keeps serving after a panic.
	wantStatus(t, a.call(http.MethodGet, "/v1/envs", ""), http.StatusOK)
}
