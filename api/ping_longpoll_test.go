package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// heldPing sends a ping with ?wait=N in the background.
func heldPing(ctx context.Context, a *testAPI, wait int, body string) <-chan *httptest.ResponseRecorder {
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- a.pingCtx(ctx, wait, body) }()
	return done
}

// stillHeld fails the test if the held ping has already answered.
func stillHeld(t *testing.T, done <-chan *httptest.ResponseRecorder) {
	t.Helper()
	select {
	case rec := <-done:
		t.Fatalf("held ping answered before anything changed: %d %s", rec.Code, rec.Body)
	case <-time.After(10 * testWakeInterval):
	}
}

// answer waits for a held ping's answer; the guard is far longer than any wake-up and
// shorter than the ping's wait, so a NOOP here can only be a timeout.
func answer(t *testing.T, done <-chan *httptest.ResponseRecorder) protocol.PingResponse {
	t.Helper()
	select {
	case rec := <-done:
		wantStatus(t, rec, http.StatusOK)
		return decode[protocol.PingResponse](t, rec)
	case <-time.After(20 * time.Second):
		t.Fatal("held ping did not answer within 20 s")
	}
	return protocol.PingResponse{}
}

// replicaStores opens the same database twice, as two server replicas would.
func replicaStores(t *testing.T, engine string) (*schema.Store, *schema.Store) {
	t.Helper()
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "app.db")
	if engine == "mysql" {
		dsn = schematest.MySQLDSN(t)
	}
	open := func() *schema.Store {
		st, err := schema.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return st
	}
	first := open()
	if _, err := first.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return first, open()
}

// A ping held by one replica must notice an admission written through another.
func TestHeldPingWakesOnAdmissionFromAnotherReplica(t *testing.T) {
	for _, engine := range []string{"sqlite", "mysql"} {
		t.Run(engine, func(t *testing.T) {
			storeA, storeB := replicaStores(t, engine)
			a, b := newReplica(t, storeA), newReplica(t, storeB)
			ctx := context.Background()
			stage := &schema.Stage{EnvName: "web", StageName: "prod", StageConfig: schema.DefaultStageConfig("web", "prod")}
			if err := storeB.CreateStage(ctx, stage, "alice"); err != nil {
				t.Fatal(err)
			}
			if _, err := storeB.SetCapacity(ctx, "web", "prod", schema.Capacity{Hosts: []string{"host-1"}}, "alice"); err != nil {
				t.Fatal(err)
			}
			deployOn := func(st *schema.Store) string {
				build := &schema.Build{Name: "web", ArtifactURL: "https://b/web.tar.gz"}
				if err := st.PublishBuild(ctx, build); err != nil {
					t.Fatal(err)
				}
				d := &schema.Deploy{ID: schema.NewID(), StageID: stage.ID, EnvName: "web", StageName: "prod", BuildID: build.ID, Type: core.TypeRegular}
				if err := st.CreateDeploy(ctx, d); err != nil {
					t.Fatal(err)
				}
				return d.ID
			}
			deployOn(storeB)
			a.serveToCompletion(a.pingAs(pingJSON()))
			old := a.hostOf("web", "prod").Agent.DeployID
			second := deployOn(storeB)

			serving := pingJSON(reportJSON(stage.ID, old, protocol.StageServingBuild, protocol.StatusSucceeded))
			done := heldPing(ctx, a, 30, serving)
			stillHeld(t, done)
			if err := b.store.AdmitHosts(ctx, stage.ID, second, []string{"i-1"}); err != nil {
				t.Fatal(err)
			}
			resp := answer(t, done)
			if resp.OpCode != protocol.OpDeploy || resp.DeployGoal.DeployID != second || resp.DeployGoal.DeployStage != protocol.StagePreDownload {
				t.Fatalf("held ping after admission = %+v %+v, want PRE_DOWNLOAD of %s", resp, resp.DeployGoal, second)
			}
			// The replica that held the ping measured the delivery, once; the other did not.
			for _, r := range []struct {
				api  *testAPI
				want string
			}{{a, "teletraan_goal_delivery_seconds_count 1\n"}, {b, ""}} {
				body := r.api.call(http.MethodGet, "/metrics", "").Body.String()
				if r.want != "" && !strings.Contains(body, r.want) || r.want == "" && strings.Contains(body, "teletraan_goal_delivery_seconds_count") {
					t.Errorf("goal delivery on a replica: want %q in:\n%s", r.want, body)
				}
			}
		})
	}
}

// A new host waits for the stage's first deploy and gets it as soon as it exists.
func TestHeldPingWakesOnANewCurrentDeploy(t *testing.T) {
	a := newPingAPI(t)
	a.pingStage("")
	done := heldPing(t.Context(), a, 30, pingJSON())
	stillHeld(t, done)
	deployID := a.deploy("abcdef1")
	resp := answer(t, done)
	if resp.OpCode != protocol.OpDeploy || resp.DeployGoal.DeployID != deployID || !resp.DeployGoal.FirstDeploy {
		t.Fatalf("held ping after the first deploy = %+v %+v, want its PRE_DOWNLOAD", resp, resp.DeployGoal)
	}
}

func TestHeldPingTimesOutWithNoop(t *testing.T) {
	a := newPingAPI(t)
	a.pingStage("")
	resp := answer(t, heldPing(t.Context(), a, 1, pingJSON()))
	if resp.OpCode != protocol.OpNoop || resp.DeployGoal != nil {
		t.Fatalf("timed-out ping = %+v, want NOOP", resp)
	}
}

func TestHeldPingEndsWhenTheClientLeaves(t *testing.T) {
	a := newPingAPI(t)
	a.pingStage("")
	ctx, cancel := context.WithCancel(t.Context())
	done := heldPing(ctx, a, 60, pingJSON())
	stillHeld(t, done)
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("held ping still running 20 s after its client left")
	}
}
