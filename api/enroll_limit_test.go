package api_test

import (
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// TestNewHostEnrollmentIsRateLimitedPerToken enrolls new host ids with one token past its
// burst: the next new host is refused with 429, Retry-After and a message saying why,
// while hosts already enrolled keep pinging and another token keeps its own allowance.
func TestNewHostEnrollmentIsRateLimitedPerToken(t *testing.T) {
	a := newTestAPI(t, func(d *api.Deps) { d.EnrollmentBurst = 3; d.EnrollmentsPerMinute = 1 })
	token := func(name string) http.Header {
		secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: name, Role: schema.RolePinger})
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Authorization": {"token " + secret}}
	}
	fleet, other := token("fleet"), token("other")
	ping := func(host string, h http.Header) *http.Response {
		t.Helper()
		return a.callWith(http.MethodPost, protocol.PingPath, `{"hostId":"`+host+`"}`, h).Result()
	}
	for _, host := range []string{"h1", "h2", "h3"} {
		if res := ping(host, fleet); res.StatusCode != http.StatusOK {
			t.Fatalf("enroll %s: %d", host, res.StatusCode)
		}
	}
	rec := a.callWith(http.MethodPost, protocol.PingPath, `{"hostId":"h4"}`, fleet)
	wantError(t, rec, http.StatusTooManyRequests, "rate_limited", "",
		`token "fleet" enrolled new hosts faster than 1 per minute (after a burst of 3), so host h4 is not enrolled; retry in 60 s`)
	if got := rec.Header().Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After = %q, want 60", got)
	}
	if b, err := a.store.HostBinding(t.Context(), "h4"); err != nil || b.Known {
		t.Error("the refused host h4 was recorded")
	}
	// Enrolled hosts are not limited: the limit is on new rows, not on pings.
	for range 5 {
		if res := ping("h1", fleet); res.StatusCode != http.StatusOK {
			t.Fatalf("ping of enrolled h1: %d", res.StatusCode)
		}
	}
	if res := ping("o1", other); res.StatusCode != http.StatusOK {
		t.Fatalf("another token's first host: %d", res.StatusCode)
	}
}
