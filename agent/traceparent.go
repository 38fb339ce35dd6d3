package agent

import (
	"crypto/rand"
	"encoding/hex"
)

// traceparentHeader is the W3C Trace Context header. The agent writes it by hand instead of
// linking the OpenTelemetry SDK, which would more than double its size and its
// dependencies for two random numbers: the server's HTTP middleware continues the trace,
// so one trace id ties an agent's log line to the server's spans and log lines for it.
const traceparentHeader = "traceparent"

// newTraceID returns a random 16-byte W3C trace id in hex; one per ping, shared by its
// retries, so that a ping that needed three attempts is one trace.
func newTraceID() string {
	return randomHex(16)
}

// traceparent returns the header value for one attempt of the ping traceID belongs to:
// version 00, a fresh parent (span) id, and the sampled flag so that the server records it.
func traceparent(traceID string) string {
	return "00-" + traceID + "-" + randomHex(8) + "-01"
}

// randomHex returns n random bytes in hex. crypto/rand never fails on the platforms Go
// supports; an all-zero id would be invalid, which the server treats as no parent at all.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
