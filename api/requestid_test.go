package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestRequestIDsAreEchoedOrGenerated(t *testing.T) {
	a := newTestAPI(t)
	generated := regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

	auth := "Bearer " + a.secret
	rec := a.callWith(http.MethodGet, "/v1/envs", "", http.Header{"X-Request-ID": {"lb.trace-42_A"}, "Authorization": {auth}})
	wantStatus(t, rec, http.StatusOK)
	if id := rec.Header().Get("X-Request-ID"); id != "lb.trace-42_A" {
		t.Errorf("X-Request-ID = %q, want the caller's lb.trace-42_A", id)
	}
	if logs := a.logs.String(); !strings.Contains(logs, `"request_id":"lb.trace-42_A"`) || !strings.Contains(logs, `"status":200`) || !strings.Contains(logs, `"remote":`) {
		t.Errorf("access log lacks the request id, status or remote address:\n%s", logs)
	}

	for name, header := range map[string]http.Header{
		"absent":    nil,
		"too long":  {"X-Request-ID": {strings.Repeat("a", 65)}},
		"bad chars": {"X-Request-ID": {"id with spaces\n"}},
	} {
		rec := a.callWith(http.MethodGet, "/v1/envs", "", header)
		if id := rec.Header().Get("X-Request-ID"); !generated.MatchString(id) {
			t.Errorf("%s: X-Request-ID = %q, want a generated id", name, id)
		}
	}
	first := a.callWith(http.MethodGet, "/v1/envs", "", nil).Header().Get("X-Request-ID")
	second := a.callWith(http.MethodGet, "/v1/envs", "", nil).Header().Get("X-Request-ID")
	if first == second {
		t.Errorf("two requests got the same generated id %q", first)
	}
}
