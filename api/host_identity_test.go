package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// pingerToken creates a PINGER token scoped to scope and returns its Authorization header.
func pingerToken(t *testing.T, a *testAPI, name, scope string) http.Header {
	t.Helper()
	secret, _, err := a.store.CreateToken(t.Context(), schema.TokenSpec{Name: name, Role: schema.RolePinger, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Authorization": {"token " + secret}}
}

// with adds headers to h.
func with(h http.Header, kv ...string) http.Header {
	out := h.Clone()
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// hostIP is the IP the store holds for host i-1.
func hostIP(t *testing.T, st *schema.Store) string {
	t.Helper()
	d, err := st.HostDetail(context.Background(), "host-1")
	if err != nil || len(d.Hosts) == 0 {
		t.Fatalf("host-1: %v", err)
	}
	return d.Hosts[0].IP
}

// tokenCacheSettings run the identity tests with the token cache off and on (entries kept
// for an hour, longer than any test): a token trusted from the cache must not let another
// credential, another token or a reset host through.
var tokenCacheSettings = map[string]time.Duration{"uncached": 0, "cached": time.Hour}

// newIdentityAPI is a ping API whose token cache keeps entries for ttl.
func newIdentityAPI(t *testing.T, ttl time.Duration) *testAPI {
	t.Helper()
	return newTestAPI(t, func(d *api.Deps) {
		d.Context = t.Context()
		d.PingWakeInterval = testWakeInterval
		d.TokenCacheTTL = ttl
	})
}

func TestAHostIsBoundToTheCredentialOnlyItsAgentHolds(t *testing.T) {
	for name, ttl := range tokenCacheSettings {
		t.Run(name, func(t *testing.T) { testHostBoundToItsCredential(t, newIdentityAPI(t, ttl)) })
	}
}

func testHostBoundToItsCredential(t *testing.T, a *testAPI) {
	a.pingStage("")
	fleet := pingerToken(t, a, "fleet", "*")
	ours := with(fleet, protocol.HostBindingHeader, "1")

	rec := a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), ours)
	wantStatus(t, rec, http.StatusOK)
	secret := decode[protocol.PingResponse](t, rec).HostSecret
	if !strings.HasPrefix(secret, "th_") {
		t.Fatalf("enrolling ping issued credential %q", secret)
	}
	// Presenting it binds the host; no new credential is issued after that.
	rec = a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), with(ours, protocol.HostSecretHeader, secret))
	wantStatus(t, rec, http.StatusOK)
	if again := decode[protocol.PingResponse](t, rec).HostSecret; again != "" {
		t.Fatalf("a bound host was issued another credential %q", again)
	}

	// Anyone else with the fleet's token: refused, and nothing about the host changes.
	spoof := strings.Replace(pingJSON(), `"hostIp":"10.0.0.1"`, `"hostIp":"10.6.6.6"`, 1)
	wantError(t, a.callWith(http.MethodPost, protocol.PingPath, spoof, fleet), http.StatusForbidden, core.EFORBIDDEN, "", "carries none", "reset-identity")
	wantError(t, a.callWith(http.MethodPost, protocol.PingPath, spoof, with(ours, protocol.HostSecretHeader, "th_guess")), http.StatusForbidden, core.EFORBIDDEN, "", "another credential")
	if ip := hostIP(t, a.store); ip != "10.0.0.1" {
		t.Fatalf("a refused ping changed the host's IP to %s", ip)
	}
	wantStatus(t, a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), with(ours, protocol.HostSecretHeader, secret)), http.StatusOK)
	// Steady heartbeats still refuse everyone else.
	wantStatus(t, a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), with(ours, protocol.HostSecretHeader, secret)), http.StatusOK)
	wantError(t, a.callWith(http.MethodPost, protocol.PingPath, spoof, fleet), http.StatusForbidden, core.EFORBIDDEN, "", "carries none")
	wantError(t, a.callWith(http.MethodPost, protocol.PingPath, spoof, with(ours, protocol.HostSecretHeader, "th_guess")), http.StatusForbidden, core.EFORBIDDEN, "", "another credential")
	wantStatus(t, a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), with(ours, protocol.HostSecretHeader, secret)), http.StatusOK)

	// A re-imaged machine: an admin resets the host, and its next ping enrolls it again.
	wantError(t, a.callWith(http.MethodPost, "/v1/hosts/host-1/actions/reset-identity", "", fleet), http.StatusForbidden, core.EFORBIDDEN, "", "needs ADMIN")
	rec = a.call(http.MethodPost, "/v1/hosts/host-1/actions/reset-identity", "")
	wantStatus(t, rec, http.StatusOK)
	wantError(t, a.call(http.MethodPost, "/v1/hosts/nobody/actions/reset-identity", ""), http.StatusNotFound, core.ENOTFOUND, "")
	rec = a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), ours)
	wantStatus(t, rec, http.StatusOK)
	if fresh := decode[protocol.PingResponse](t, rec).HostSecret; fresh == "" || fresh == secret {
		t.Fatalf("after a reset the host was issued %q", fresh)
	}
}

// Teletraan's own agent keeps no credential: a host it runs on is bound to the first token
// that pinged as it, and another token cannot speak for it (nor empty its groups).
func TestCompatibilityModeBindsAHostToTheFirstToken(t *testing.T) {
	for name, ttl := range tokenCacheSettings {
		t.Run(name, func(t *testing.T) { testCompatibilityBinding(t, newIdentityAPI(t, ttl)) })
	}
}

func testCompatibilityBinding(t *testing.T, a *testAPI) {
	st := a.pingStage("")
	if _, err := a.store.SetCapacity(t.Context(), "web", "prod", schema.Capacity{Groups: []string{"web-asg"}}, "alice"); err != nil {
		t.Fatal(err)
	}
	fleet, other := pingerToken(t, a, "fleet", "*"), pingerToken(t, a, "other-fleet", "*")
	wantStatus(t, a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), fleet), http.StatusOK)
	noGroups := strings.Replace(pingJSON(), `"groups":["web-asg"]`, `"groups":[]`, 1)
	wantError(t, a.callWith(http.MethodPost, protocol.PingPath, noGroups, other), http.StatusForbidden, core.EFORBIDDEN, "", `claimed by token "fleet"`)
	hosts, err := a.store.ListStageHosts(t.Context(), "web", "prod")
	if err != nil || len(hosts) != 1 || hosts[0].HostID != "i-1" || hosts[0].MemberBy != "group:web-asg" {
		t.Fatalf("after a refused ping: %+v, %v; want i-1 still in web/prod by its group", hosts, err)
	}
	_ = st
	wantStatus(t, a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), fleet), http.StatusOK)
	wantStatus(t, a.callWith(http.MethodPost, protocol.PingPath, pingJSON(), fleet), http.StatusOK)
	wantError(t, a.callWith(http.MethodPost, protocol.PingPath, noGroups, other), http.StatusForbidden, core.EFORBIDDEN, "", `claimed by token "fleet"`)
}

// A PINGER scoped to one environment cannot read a goal of another (with its script
// variables) nor change its agent rows, even for a host that another stage names.
func TestAScopedPingerSeesOnlyItsEnvironment(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage(`"scriptVariables":{"DB_URL":"postgres://web"}`)
	deployID := a.deploy("abcdef1")
	other := pingerToken(t, a, "other-env", "other")
	rec := a.callWith(http.MethodPost, protocol.PingPath, pingJSON(reportJSON(st.ID, deployID, protocol.StageServingBuild, protocol.StatusSucceeded)), other)
	wantStatus(t, rec, http.StatusOK)
	if resp := decode[protocol.PingResponse](t, rec); resp.OpCode != protocol.OpNoop || resp.DeployGoal != nil {
		t.Fatalf("a PINGER of another environment got %+v", resp)
	}
	if strings.Contains(rec.Body.String(), "postgres://web") {
		t.Fatal("a PINGER of another environment read web/prod's script variables")
	}
	hosts, err := a.store.ListStageHosts(t.Context(), "web", "prod")
	if err != nil || len(hosts) != 1 || hosts[0].Agent != nil {
		t.Fatalf("web/prod hosts after the scoped ping: %+v, %v; want host-1 with no agent row", hosts, err)
	}
}

// A host cannot claim to serve a deploy it was never told to install: a report of the
// current deploy without a goal for it is taken as no report, and the host gets its install.
func TestAReportOfADeployWithoutAGoalDoesNotCount(t *testing.T) {
	a := newPingAPI(t)
	st := a.pingStage("")
	deployID := a.deploy("abcdef1")
	resp := a.pingAs(pingJSON(reportJSON(st.ID, deployID, protocol.StageServingBuild, protocol.StatusSucceeded)))
	if resp.OpCode != protocol.OpDeploy || resp.DeployGoal == nil || resp.DeployGoal.DeployStage != protocol.StagePreDownload {
		t.Fatalf("answer to a made-up SUCCEEDED = %+v, want the install's PRE_DOWNLOAD", resp)
	}
	if h := a.hostOf("web", "prod"); h.Agent == nil || h.Agent.DeployStage != protocol.StagePreDownload {
		t.Fatalf("agent row after a made-up SUCCEEDED = %+v, want PRE_DOWNLOAD", h.Agent)
	}
}
