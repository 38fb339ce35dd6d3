package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// A Teletraan agent's first ping: no reports yet, and fields this server does not know.
const firstPingFixture = `{
  "hostId": "i-1",
  "hostName": "host-1",
  "hostIp": "10.0.0.1",
  "autoscalingGroup": "web-asg",
  "availabilityZone": "us-east-1a",
  "ec2Tags": "{\"team\":\"web\"}",
  "agentVersion": "1.2.60",
  "stageType": "PRODUCTION",
  "groups": ["web-asg"],
  "accountId": "123456789012",
  "normandieStatus": "OK",
  "knoxStatus": "OK",
  "someFieldFromANewerAgent": {"nested": [1, 2]}
}`

func TestPingFirstPingInstallsTheCurrentBuildAtOnce(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage(`"scriptVariables":{"PORT":"8080"},"agentConfigs":{"max_retry":"3","RESTARTING.process_timeout":"600"}`)
	deployID := a.deploy("abcdef1")

	rec := a.callWith(http.MethodPost, protocol.PingPath, firstPingFixture, http.Header{"Authorization": {"token " + a.secret}})
	wantStatus(t, rec, http.StatusOK)
	var wire map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &wire); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"opCode": "DEPLOY",
		"deployGoal": map[string]any{
			"deployId": deployID, "deployType": "REGULAR", "envId": st.ID, "envName": "web", "stageName": "prod", "stageType": "DEFAULT",
			"deployStage": "PRE_DOWNLOAD", "agentConfigs": map[string]any{"max_retry": "3"},
			"scriptVariables": map[string]any{"PORT": "8080"}, "firstDeploy": true, "isDocker": false,
		},
	}
	if !reflect.DeepEqual(wire, want) {
		t.Fatalf("first ping answer =\n%s\nwant %v", rec.Body, want)
	}
	h := a.hostOf("web", "prod")
	if h.Agent == nil || h.Agent.DeployID != deployID || h.Agent.DeployStage != "PRE_DOWNLOAD" || !h.Agent.FirstDeploy || h.IP != "10.0.0.1" {
		t.Fatalf("host after first ping = %+v (agent %+v)", h, h.Agent)
	}
}

func TestPingWalksOneHostToServingBuild(t *testing.T) {
	a := newPingAPI(t)
	a.pingStage(`"scriptVariables":{"PORT":"8080"},"agentConfigs":{"RESTARTING.process_timeout":"600"}`)
	deployID := a.deploy("abcdef1")

	resp := a.pingAs(pingJSON())
	var stages []string
	for i := 0; resp.OpCode != protocol.OpNoop; i++ {
		if i > 20 {
			t.Fatalf("no SERVING_BUILD after 20 pings; stages %v", stages)
		}
		g := resp.DeployGoal
		if resp.OpCode != protocol.OpDeploy || g.DeployID != deployID || !g.FirstDeploy {
			t.Fatalf("goal %d = %s %+v", i, resp.OpCode, g)
		}
		if (g.DeployStage == protocol.StageDownloading) != (g.Build != nil) {
			t.Errorf("%s: build = %+v; want it with DOWNLOADING only", g.DeployStage, g.Build)
		}
		if (g.DeployStage == protocol.StagePreDownload) != (g.ScriptVariables != nil) {
			t.Errorf("%s: scriptVariables = %v; want them with PRE_DOWNLOAD only", g.DeployStage, g.ScriptVariables)
		}
		if got := g.AgentConfigs["process_timeout"]; (g.DeployStage == protocol.StageRestarting) != (got == "600") {
			t.Errorf("%s: agentConfigs = %v; want process_timeout=600 at RESTARTING only", g.DeployStage, g.AgentConfigs)
		}
		stages = append(stages, g.DeployStage)
		resp = a.pingAs(pingJSON(reportJSON(g.EnvID, g.DeployID, g.DeployStage, protocol.StatusSucceeded)))
	}
	if !reflect.DeepEqual(stages, protocol.DeployStages()) {
		t.Fatalf("stages walked = %v, want %v", stages, protocol.DeployStages())
	}
	h := a.hostOf("web", "prod")
	if h.Agent == nil || h.Agent.DeployStage != protocol.StageServingBuild || h.Agent.FirstDeploy || h.Agent.State != core.AgentNormal {
		t.Fatalf("agent after the walk = %+v, want SERVING_BUILD, no longer a first deploy", h.Agent)
	}
	// Serving is the steady state: nothing to do, nothing written.
	before := *h.Agent
	if resp := a.pingAs(pingJSON(reportJSON(h.Agent.StageID, deployID, protocol.StageServingBuild, protocol.StatusSucceeded))); resp.OpCode != protocol.OpNoop {
		t.Fatalf("steady ping = %+v, want NOOP", resp)
	}
	if after := a.hostOf("web", "prod").Agent; !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Fatalf("steady ping rewrote the agent row: %v → %v", before.UpdatedAt, after.UpdatedAt)
	}
}

func TestPingRetriesPausesAndResets(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage("")
	deployID := a.deploy("abcdef1")
	a.pingAs(pingJSON())

	// Teletraan-shaped failure report: SCRIPT_FAILED with the output's tail.
	failed := `{"hostId":"i-1","hostName":"host-1","groups":["web-asg"],"reports":[{"deployId":"` + deployID + `","envId":"` + st.ID +
		`","deployStage":"PRE_DOWNLOAD","agentStatus":"SCRIPT_FAILED","errorCode":1,"errorMessage":"` + strings.Repeat("x", 20<<10) +
		`tail of output","failCount":1,"extraInfo":{"k":"v"},"deployAlias":"","containerHealthStatus":""}]}`
	resp := a.pingAs(failed)
	if resp.OpCode != protocol.OpDeploy || resp.DeployGoal.DeployStage != protocol.StagePreDownload {
		t.Fatalf("after SCRIPT_FAILED = %+v, want PRE_DOWNLOAD again", resp)
	}
	h := a.hostOf("web", "prod")
	if h.Agent.Status != protocol.StatusScriptFailed || h.Agent.FailCount != 1 || h.LastError == nil {
		t.Fatalf("after SCRIPT_FAILED: agent %+v, error %+v", h.Agent, h.LastError)
	}
	if msg := h.LastError.ErrorMessage; len(msg) != 16<<10 || !strings.HasSuffix(msg, "tail of output") {
		t.Fatalf("stored error is %d bytes ending %q; want the last 16 KiB", len(msg), msg[len(msg)-20:])
	}

	fatal := pingJSON(`{"deployId":"` + deployID + `","envId":"` + st.ID + `","deployStage":"PRE_DOWNLOAD","agentStatus":"TOO_MANY_RETRY","errorCode":1,"errorMessage":"gave up","failCount":3}`)
	if resp := a.pingAs(fatal); resp.OpCode != protocol.OpNoop || resp.DeployGoal != nil {
		t.Fatalf("after TOO_MANY_RETRY = %+v, want NOOP", resp)
	}
	if h := a.hostOf("web", "prod"); h.Agent.State != core.AgentPausedBySystem || h.LastError.ErrorMessage != "gave up" {
		t.Fatalf("after TOO_MANY_RETRY: agent %+v, error %+v; want PAUSED_BY_SYSTEM", h.Agent, h.LastError)
	}

	reset := pingJSON(`{"deployId":"` + deployID + `","envId":"` + st.ID + `","deployStage":"PRE_DOWNLOAD","agentStatus":"UNKNOWN","errorCode":0,"failCount":0,"agentState":"RESET_BY_SYSTEM"}`)
	resp = a.pingAs(reset)
	if resp.OpCode != protocol.OpDeploy || resp.DeployGoal.DeployStage != protocol.StagePreDownload {
		t.Fatalf("after RESET_BY_SYSTEM = %+v, want PRE_DOWNLOAD", resp)
	}
	if h := a.hostOf("web", "prod"); h.Agent.State != core.AgentNormal {
		t.Fatalf("after RESET_BY_SYSTEM: agent %+v, want NORMAL", h.Agent)
	}
}

func TestPingHostServingAnOlderBuildWaitsForAdmission(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage("")
	a.deploy("abcdef1")
	first := a.serveToCompletion(a.pingAs(pingJSON()))
	if len(first) != len(protocol.DeployStages()) {
		t.Fatalf("first deploy walked %v", first)
	}
	old := a.hostOf("web", "prod").Agent.DeployID
	second := a.deploy("abcdef2")
	serving := pingJSON(reportJSON(st.ID, old, protocol.StageServingBuild, protocol.StatusSucceeded))
	if resp := a.pingAs(serving); resp.OpCode != protocol.OpNoop {
		t.Fatalf("before admission = %+v, want NOOP", resp)
	}
	if err := a.store.AdmitHosts(t.Context(), st.ID, second, []string{"i-1"}); err != nil {
		t.Fatal(err)
	}
	resp := a.pingAs(serving)
	if resp.OpCode != protocol.OpDeploy || resp.DeployGoal.DeployID != second || resp.DeployGoal.DeployStage != protocol.StagePreDownload || resp.DeployGoal.FirstDeploy {
		t.Fatalf("after admission = %+v %+v, want PRE_DOWNLOAD of %s, not a first deploy", resp, resp.DeployGoal, second)
	}
}

func TestPingDeletesAStageTheHostLeft(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage("")
	deployID := a.deploy("abcdef1")
	a.serveToCompletion(a.pingAs(pingJSON()))
	wantStatus(t, a.call(http.MethodPut, "/v1/envs/web/prod/capacity", `{"hosts":[]}`), http.StatusOK)

	resp := a.pingAs(pingJSON(reportJSON(st.ID, deployID, protocol.StageServingBuild, protocol.StatusSucceeded)))
	if resp.OpCode != protocol.OpDelete || resp.DeployGoal == nil || resp.DeployGoal.EnvID != st.ID || resp.DeployGoal.EnvName != "web" {
		t.Fatalf("report on a left stage = %+v %+v, want DELETE of web", resp, resp.DeployGoal)
	}
	if h := a.hostOf("web", "prod"); h.Agent.State != core.AgentDelete || h.MemberBy != "removed" {
		t.Fatalf("left host = %+v agent %+v, want state DELETE", h, h.Agent)
	}
	// The agent dropped the stage: its row goes.
	if resp := a.pingAs(pingJSON()); resp.OpCode != protocol.OpNoop {
		t.Fatalf("after the DELETE = %+v, want NOOP", resp)
	}
	rec := a.call(http.MethodGet, "/v1/envs/web/prod/hosts", "")
	if strings.Contains(rec.Body.String(), "i-1") {
		t.Fatalf("host still listed after acknowledging DELETE: %s", rec.Body)
	}
}

func TestPingRejectsBadInput(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage("")
	rep := func(stage, status string) string { return pingJSON(reportJSON(st.ID, "d1", stage, status)) }
	tests := []struct {
		name, path, body, field, fragment string
	}{
		{"no hostId", protocol.PingPath, `{"hostName":"host-1"}`, "hostId", "is required"},
		{"bad hostId", protocol.PingPath, `{"hostId":"host 1; rm -rf"}`, "hostId", "not valid"},
		{"bad group", protocol.PingPath, `{"hostId":"i-1","groups":["a b"]}`, "groups[0]", "not a valid group"},
		{"empty body", protocol.PingPath, ``, "", "body is required"},
		{"not JSON", protocol.PingPath, `{"hostId":`, "", "not valid JSON"},
		{"wrong type", protocol.PingPath, `{"hostId":"i-1","reports":[{"failCount":"two"}]}`, "reports.failCount", "must be a number"},
		{"wait zero", pingPath(0) + "?wait=0", `{"hostId":"i-1"}`, "wait", "from 1 to 60"},
		{"wait too long", pingPath(61), `{"hostId":"i-1"}`, "wait", "from 1 to 60"},
		{"wait not a number", protocol.PingPath + "?wait=soon", `{"hostId":"i-1"}`, "wait", "from 1 to 60"},
		{"unknown deployStage", protocol.PingPath, rep("UPLOADING", "SUCCEEDED"), "reports[0].deployStage", "not a deploy stage"},
		{"unknown agentStatus", protocol.PingPath, rep("STAGING", "MAYBE"), "reports[0].agentStatus", "not an agent status"},
		{"report twice", protocol.PingPath, pingJSON(reportJSON(st.ID, "d1", "STAGING", "SUCCEEDED"), reportJSON(st.ID, "d1", "STAGING", "SUCCEEDED")), "reports[1].envId", "reported twice"},
		{"too many reports", protocol.PingPath, pingJSON(strings.Repeat(reportJSON(st.ID, "d1", "STAGING", "SUCCEEDED")+",", 100) + reportJSON(st.ID, "d1", "STAGING", "SUCCEEDED")), "reports", "limit is 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := a.callWith(http.MethodPost, tt.path, tt.body, http.Header{"Authorization": {"token " + a.secret}})
			wantError(t, rec, http.StatusBadRequest, core.EINVALID, tt.field, tt.fragment)
		})
	}

	rec := a.callWith(http.MethodPost, protocol.PingPath, firstPingFixture, nil)
	wantError(t, rec, http.StatusUnauthorized, core.EUNAUTHORIZED, "", "needs a caller", "Authorization: token <token>")
	rec = a.callWith(http.MethodPost, protocol.PingPath, firstPingFixture, http.Header{"Authorization": {"token not-a-token"}})
	wantStatus(t, rec, http.StatusUnauthorized)
}

func TestPingAcceptsAnyRole(t *testing.T) {
	a := newPingAPI(t)
	a.pingStage("")
	a.deploy("abcdef1")
	pinger := newReplica(t, a.store)
	if resp := pinger.pingAs(pingJSON()); resp.OpCode != protocol.OpDeploy {
		t.Fatalf("ping with a PINGER token = %+v, want DEPLOY", resp)
	}
}
