package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// testWakeInterval keeps held-ping tests quick; production uses 250 ms.
const testWakeInterval = 20 * time.Millisecond

// newPingAPI is a test API whose ping hub lives as long as the test.
func newPingAPI(t *testing.T) *testAPI {
	t.Helper()
	return newTestAPI(t, func(d *api.Deps) {
		d.Context = t.Context()
		d.PingWakeInterval = testWakeInterval
	})
}

// newReplica is another router ("server replica") on st, with its own token.
func newReplica(t *testing.T, st *schema.Store) *testAPI {
	t.Helper()
	secret, _, err := st.CreateToken(context.Background(), schema.TokenSpec{Name: "pinger-" + strings.ToLower(schema.NewID()[:8]), Role: schema.RolePinger})
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	engine := api.NewRouter(api.Deps{Store: st, Logger: slog.New(slog.DiscardHandler), Context: t.Context(), PingWakeInterval: testWakeInterval})
	return &testAPI{t: t, store: st, engine: engine, secret: secret, logs: &syncBuffer{}}
}

// pingPath is the ping URL, with a wait parameter when wait > 0.
func pingPath(wait int) string {
	if wait > 0 {
		return protocol.PingPath + "?" + protocol.WaitParam + "=" + strconv.Itoa(wait)
	}
	return protocol.PingPath
}

// pingAs sends body as a Teletraan agent does ("Authorization: token ...") and decodes the
// answer.
func (a *testAPI) pingAs(body string) protocol.PingResponse {
	a.t.Helper()
	rec := a.callWith(http.MethodPost, protocol.PingPath, body, http.Header{"Authorization": {"token " + a.secret}})
	wantStatus(a.t, rec, http.StatusOK)
	return decode[protocol.PingResponse](a.t, rec)
}

// pingCtx sends a ping bound to ctx; held pings end when it does.
func (a *testAPI) pingCtx(ctx context.Context, wait int, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, pingPath(wait), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "token "+a.secret)
	rec := httptest.NewRecorder()
	a.engine.ServeHTTP(rec, req)
	return rec
}

// reportJSON is one report as a Teletraan agent writes it.
func reportJSON(envID, deployID, stage, status string) string {
	r := protocol.PingReport{EnvID: envID, DeployID: deployID, DeployStage: stage, AgentStatus: status}
	b, _ := json.Marshal(r)
	return string(b)
}

// pingJSON is a ping of host-1 in group web-asg carrying reports.
func pingJSON(reports ...string) string {
	return `{"hostId":"i-1","hostName":"host-1","hostIp":"10.0.0.1","availabilityZone":"us-east-1a","agentVersion":"1.2.60",` +
		`"groups":["web-asg"],"reports":[` + strings.Join(reports, ",") + `]}`
}

// pingStage creates web/prod with host-1 in its capacity and returns it.
func (a *testAPI) pingStage(extra string) schema.Stage {
	a.t.Helper()
	st := a.createStage("web", "prod", extra)
	rec := a.call(http.MethodPut, "/v1/envs/web/prod/capacity", `{"hosts":["host-1"]}`)
	wantStatus(a.t, rec, http.StatusOK)
	return st
}

// deploy starts a deploy of a new build of web on web/prod and returns its id.
func (a *testAPI) deploy(commit string) string {
	a.t.Helper()
	b := a.publishBuild("web", commit)
	rec := a.call(http.MethodPost, "/v1/envs/web/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(a.t, rec, http.StatusCreated)
	var view struct {
		Deploy schema.Deploy `json:"deploy"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &view); err != nil {
		a.t.Fatal(err)
	}
	return view.Deploy.ID
}

// hostOf returns host-1's row in the stage's host listing.
func (a *testAPI) hostOf(env, stage string) schema.StageHost {
	a.t.Helper()
	rec := a.get("/v1/envs/" + env + "/" + stage + "/hosts")
	wantStatus(a.t, rec, http.StatusOK)
	for _, h := range decode[struct {
		Hosts []schema.StageHost `json:"hosts"`
	}](a.t, rec).Hosts {
		if h.HostID == "i-1" {
			return h
		}
	}
	a.t.Fatalf("host i-1 not listed in %s/%s: %s", env, stage, rec.Body)
	return schema.StageHost{}
}

// serveToCompletion walks host-1 from its current goal to SERVING_BUILD, reporting
// success at every stage, and returns the stages it was told to run.
func (a *testAPI) serveToCompletion(resp protocol.PingResponse) []string {
	a.t.Helper()
	var stages []string
	for i := 0; resp.OpCode != protocol.OpNoop; i++ {
		if i > 20 {
			a.t.Fatalf("no SERVING_BUILD after 20 pings; stages %v", stages)
		}
		g := resp.DeployGoal
		stages = append(stages, g.DeployStage)
		resp = a.pingAs(pingJSON(reportJSON(g.EnvID, g.DeployID, g.DeployStage, protocol.StatusSucceeded)))
	}
	return stages
}
