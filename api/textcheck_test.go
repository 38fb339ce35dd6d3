package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// A NUL byte in any text field used to give a 500; every body now names the field.
func TestControlCharactersInTextFieldsAreRefusedByName(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage("")
	b := a.publishBuild("web", "abcdef1")
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{http.MethodPost, "/v1/envs", `{"envName":"web","stageName":"qa","description":"nul\u0000"}`, "description"},
		{http.MethodPut, "/v1/envs/web/prod", `{"scriptVariables":{"PORT":"80\u0000"}}`, "scriptVariables.PORT"},
		{http.MethodPut, "/v1/envs/web/prod", `{"alarms":[{"name":"ok","url":"https://a.example/x"},{"name":"lat\u001b","url":"https://a.example/y"}]}`, "alarms[1].name"},
		{http.MethodPost, "/v1/builds", `{"name":"web","artifactUrl":"https://b.example/w.tgz","commit":"abcdef2","branch":"main\u0000"}`, "branch"},
		{http.MethodPost, "/v1/builds", `{"name":"web","artifactUrl":"https://b.example/w.tgz","commit":"abcdef3","commitInfo":"fix\u0000"}`, "commitInfo"},
		{http.MethodPost, "/v1/envs/web/prod/deploys", `{"buildId":"` + b.ID + `","description":"why\u0000"}`, "description"},
	} {
		wantError(t, a.call(tc.method, tc.path, tc.body), http.StatusBadRequest, core.EINVALID, tc.field, "control character")
	}
	// Line breaks and tabs are text.
	rec := a.call(http.MethodPut, "/v1/envs/web/prod", `{"description":"line one\nline two\tend"}`)
	wantStatus(t, rec, http.StatusOK)

	for _, tc := range []struct{ body, field string }{
		{`{"hostId":"i-1","hostName":"host-1","hostIp":"10.0.0.1\u0000"}`, "hostIp"},
		{`{"hostId":"i-1","hostName":"host-1","agentVersion":"1.2\u0000"}`, "agentVersion"},
		{`{"hostId":"i-1","hostName":"host-1","availabilityZone":"a\u0007"}`, "availabilityZone"},
	} {
		rec := a.callWith(http.MethodPost, protocol.PingPath, tc.body, http.Header{"Authorization": {"token " + a.secret}})
		wantError(t, rec, http.StatusBadRequest, core.EINVALID, tc.field, "control character")
	}

	// A failing script's output is kept whatever it holds: refusing the ping would stop the
	// deploy, so the server stores it cleaned.
	deployID := a.deploy("abcdef4")
	failed := `{"hostId":"i-1","hostName":"host-1","reports":[{"deployId":"` + deployID + `","envId":"` + st.ID +
		`","deployStage":"PRE_DOWNLOAD","agentStatus":"SCRIPT_FAILED","errorCode":1,"errorMessage":"exit 1\u0000 \u001b[31mred","failCount":1}]}`
	a.pingAs(failed)
	h := a.hostOf("web", "prod")
	if h.LastError == nil || h.LastError.ErrorMessage != "exit 1\uFFFD \uFFFD[31mred" || strings.ContainsRune(h.LastError.ErrorMessage, 0) {
		t.Fatalf("stored error %+v, want the output with its control characters replaced", h.LastError)
	}
}
