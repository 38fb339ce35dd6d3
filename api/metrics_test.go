package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestMetricsCountRequestsAndPingsByRouteAndOutcome(t *testing.T) {
	a := newPingAPI(t)
	a.pingStage("")
	a.pingAs(pingJSON())
	wantStatus(t, a.call(http.MethodGet, "/v1/envs/web/no-such-stage", ""), http.StatusNotFound)
	rec := a.callWith(http.MethodPost, "/v1/system/ping", `{"hostId":""}`, http.Header{"Authorization": {"token " + a.secret}})
	wantStatus(t, rec, http.StatusBadRequest)

	rec = a.call(http.MethodGet, "/metrics", "")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{
		`teletraan_http_requests_total{method="POST",route="/v1/envs",status="2xx"} 1`,
		`teletraan_http_requests_total{method="GET",route="/v1/envs/:env/:stage",status="4xx"} 1`,
		`teletraan_http_request_duration_seconds_bucket{method="POST",route="/v1/envs",le="+Inf"} 1`,
		`teletraan_pings_total{opcode="NOOP",outcome="ok"} 1`,
		`teletraan_pings_total{opcode="",outcome="refused"} 1`,
		`teletraan_ping_duration_seconds_count{outcome="ok"} 1`,
		`teletraan_ping_long_polls_waiting 0`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Host names never become labels: the label sets stay bounded by routes and stages.
	if strings.Contains(body, "host-1") {
		t.Error("/metrics names a host")
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
