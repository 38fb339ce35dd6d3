package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// decodePingBody runs the ping's decoder on body as the handler does.
func decodePingBody(body []byte) (*protocol.PingRequest, error) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/v1/system/ping", bytes.NewReader(body))
	return decodePing(c)
}

// FuzzPing feeds arbitrary bodies to the ping's decoder and validation (testdata/fuzz/FuzzPing
// holds the seeds: agents' real pings and the refusals they must get). Whatever the body:
// nothing panics; a refusal is a 4xx with a message, and names the field at fault when
// the body is a well-formed JSON object; an accepted ping validates again unchanged and
// survives being encoded and decoded again.
func FuzzPing(f *testing.F) {
	f.Add([]byte(`{"hostId":"i-1","hostName":"web-1","hostIp":"10.0.0.1","groups":["web"],"agentVersion":"1.0"}`))
	f.Add([]byte(`{"hostId":"i-1","reports":[{"deployId":"d1","envId":"s1","deployStage":"DOWNLOADING","agentStatus":"SUCCEEDED","errorCode":0,"failCount":0}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodePingBody(body)
		if err != nil {
			checkRefusal(t, body, err)
			return
		}
		before, merr := json.Marshal(req)
		if merr != nil {
			t.Fatalf("accepted ping does not encode: %v", merr)
		}
		if err := validatePing(req); err != nil {
			t.Fatalf("accepted ping %s fails validation again: %v", before, err)
		}
		if after, _ := json.Marshal(req); !bytes.Equal(before, after) {
			t.Fatalf("validating an accepted ping again changed it:\n%s\n%s", before, after)
		}
		again, err := decodePingBody(before)
		if err != nil {
			t.Fatalf("accepted ping, encoded again as %s, is refused: %v", before, err)
		}
		if after, _ := json.Marshal(again); !bytes.Equal(before, after) {
			t.Fatalf("an accepted ping changed on its way through the decoder again:\n%s\n%s", before, after)
		}
	})
}

// checkRefusal fails unless err is what a client may be answered with for body: a 4xx
// with a message, naming the field when the body is a well-formed JSON object.
func checkRefusal(t *testing.T, body []byte, err error) {
	t.Helper()
	status := httpStatus(core.ErrorCode(err))
	if status < 400 || status >= 500 {
		t.Fatalf("body %q answered %d (%v), want a 4xx", body, status, err)
	}
	if core.ErrorMessage(err) == "" {
		t.Fatalf("body %q refused without a message", body)
	}
	trimmed := bytes.TrimSpace(body)
	if status == http.StatusBadRequest && json.Valid(trimmed) && len(trimmed) > 0 && trimmed[0] == '{' && core.ErrorField(err) == "" {
		t.Fatalf("well-formed object %q refused without naming a field: %v", body, err)
	}
}
