package agent_test

import (
	"regexp"
	"testing"
	"time"
)

// w3cTraceparent is the W3C Trace Context header of version 00 with non-zero ids.
var w3cTraceparent = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-01$`)

// Every ping carries a valid, sampled W3C traceparent with its own trace id, so that the
// server continues one trace per ping without the agent linking the OpenTelemetry SDK.
func TestPingsCarryAW3CTraceparent(t *testing.T) {
	srv := newFakeServer(t, noop)
	cfg := testConfig(t, srv.URL)
	cfg.LongPollWait = time.Second
	runOnce(t, cfg)
	runOnce(t, cfg)
	pings := srv.recorded()
	if len(pings) < 2 {
		t.Fatalf("%d pings recorded, want at least 2", len(pings))
	}
	seen := map[string]bool{}
	for i, p := range pings {
		m := w3cTraceparent.FindStringSubmatch(p.traceparent)
		if m == nil {
			t.Fatalf("ping %d traceparent %q is not a W3C traceparent", i, p.traceparent)
		}
		if m[1] == "00000000000000000000000000000000" || m[2] == "0000000000000000" {
			t.Fatalf("ping %d traceparent %q has an all-zero id, which W3C calls invalid", i, p.traceparent)
		}
		if seen[m[1]] {
			t.Fatalf("ping %d reuses trace id %s", i, m[1])
		}
		seen[m[1]] = true
	}
}
