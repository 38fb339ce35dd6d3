package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

const benchHosts = 10000

// benchTokenCacheTTL is the production setting the benchmark measures; set it to 0 to
// measure a token query on every ping.
const benchTokenCacheTTL = 10 * time.Second

// benchFleet is a stage whose hosts all serve its current deploy, as in steady state.
type benchFleet struct {
	store    *schema.Store
	engine   http.Handler
	secret   string
	stage    *schema.Stage
	deployID string
	bodies   []string // one steady-state ping per host
}

func benchStore(b *testing.B, engine string) *schema.Store {
	if engine == "mysql" {
		return schematest.MySQL(b)
	}
	return schematest.SQLite(b)
}

// newBenchFleet registers hosts hosts serving the stage's current deploy, concurrently so
// that MySQL setup stays short.
func newBenchFleet(b *testing.B, st *schema.Store, hosts int, wake time.Duration) *benchFleet {
	b.Helper()
	ctx := context.Background()
	stage := &schema.Stage{EnvName: "web", StageName: "prod", StageConfig: schema.DefaultStageConfig("web", "prod")}
	if err := st.CreateStage(ctx, stage, "bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := st.SetCapacity(ctx, "web", "prod", schema.Capacity{Groups: []string{"web-asg"}}, "bench"); err != nil {
		b.Fatal(err)
	}
	build := &schema.Build{Name: "web", ArtifactURL: "https://b/web.tar.gz"}
	if err := st.PublishBuild(ctx, build); err != nil {
		b.Fatal(err)
	}
	d := &schema.Deploy{ID: schema.NewID(), StageID: stage.ID, EnvName: "web", StageName: "prod", BuildID: build.ID, Type: core.TypeRegular}
	if err := st.CreateDeploy(ctx, d); err != nil {
		b.Fatal(err)
	}
	secret, _, err := st.CreateToken(ctx, schema.TokenSpec{Name: "pinger", Role: schema.RolePinger})
	if err != nil {
		b.Fatal(err)
	}
	f := &benchFleet{store: st, secret: secret, stage: stage, deployID: d.ID,
		engine: api.NewRouter(api.Deps{Store: st, Logger: slog.New(slog.DiscardHandler), Context: b.Context(), PingWakeInterval: wake,
			// The whole benchmark fleet enrolls at once; the limit would measure itself, not pings.
			EnrollmentsPerMinute: -1,
			TokenCacheTTL:        benchTokenCacheTTL})}
	f.bodies = make([]string, hosts)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < hosts; i = int(next.Add(1) - 1) {
				id := fmt.Sprintf("i-%06d", i)
				f.bodies[i] = `{"hostId":"` + id + `","hostName":"` + id + `","hostIp":"10.0.0.1","agentVersion":"1.2.60",` +
					`"groups":["web-asg"],"reports":[` + reportJSON(stage.ID, d.ID, protocol.StageServingBuild, protocol.StatusSucceeded) + `]}`
				err := st.RecordPing(ctx, schema.PingHost{ID: id, Name: id, IP: "10.0.0.1", AgentVersion: "1.2.60", Groups: []string{"web-asg"}},
					func(s core.PingState) (core.PingWrites, error) {
						return core.PingWrites{Agents: []schema.Agent{{HostID: id, StageID: stage.ID, HostName: id, DeployID: d.ID,
							DeployStage: protocol.StageServingBuild, Status: protocol.StatusSucceeded, State: core.AgentNormal,
							StartedAt: s.Now, StageStartedAt: s.Now, UpdatedAt: s.Now}}}, nil
					})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("register hosts: %v", err)
	}
	return f
}

func (f *benchFleet) ping(ctx context.Context, wait int, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, pingPath(wait), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "token "+f.secret)
	rec := httptest.NewRecorder()
	f.engine.ServeHTTP(rec, req)
	return rec
}

// reportLatencies adds the throughput and latency percentiles of a run.
func reportLatencies(b *testing.B, prefix string, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	if elapsed > 0 {
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), prefix+"pings/s")
	}
	b.ReportMetric(at(0.50), prefix+"p50-ms")
	b.ReportMetric(at(0.99), prefix+"p99-ms")
}

// BenchmarkPing measures steady-state pings (hosts serving the current deploy) of a
// 10,000-host fleet through the real handler, 32 concurrent agents at a time, in two
// cases: "heartbeat" where every ping is the host's first for longer than
// schema.LastPingResolution and so writes last_ping_at (real agents ping every 30-60 s),
// and "burst" where every host pinged a moment ago and the ping writes nothing.
func BenchmarkPing(b *testing.B) {
	for _, engine := range []string{"sqlite", "mysql"} {
		for _, mode := range []string{"heartbeat", "burst"} {
			b.Run(engine+"/"+mode, func(b *testing.B) {
				st := benchStore(b, engine)
				f := newBenchFleet(b, st, benchHosts, 0)
				if mode == "heartbeat" {
					// A clock that moves a second per reading puts at least benchHosts
					// seconds between two pings of one host, whatever the throughput.
					base := time.Now().UTC().Truncate(time.Microsecond)
					var tick atomic.Int64
					st.SetClock(func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) })
				} else {
					// A stopped clock after one untimed round makes every stored last
					// ping as recent as the timed pings' own.
					frozen := time.Now().UTC().Truncate(time.Microsecond)
					st.SetClock(func() time.Time { return frozen })
					for _, body := range f.bodies {
						if rec := f.ping(context.Background(), 0, body); rec.Code != http.StatusOK {
							b.Fatalf("warm-up ping = %d %s", rec.Code, rec.Body)
						}
					}
				}
				runPings(b, f)
			})
		}
	}
}

// runPings sends b.N steady pings, cycling through the fleet, and reports their rate and
// latencies.
func runPings(b *testing.B, f *benchFleet) {
	var (
		next atomic.Int64
		mu   sync.Mutex
		all  []time.Duration
	)
	b.SetParallelism(16)
	b.ResetTimer()
	started := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var lat []time.Duration
		for pb.Next() {
			body := f.bodies[int(next.Add(1))%len(f.bodies)]
			t0 := time.Now()
			rec := f.ping(context.Background(), 0, body)
			lat = append(lat, time.Since(t0))
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"NOOP"`) {
				b.Errorf("steady ping = %d %s, want NOOP", rec.Code, rec.Body)
				return
			}
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	elapsed := time.Since(started)
	b.StopTimer()
	reportLatencies(b, "", all, elapsed)
}

// BenchmarkGoalDelivery measures the time from AdmitHosts to the answer of the admitted
// host's held ping (?wait=30), with the production wake interval (250 ms).
func BenchmarkGoalDelivery(b *testing.B) {
	for _, engine := range []string{"sqlite", "mysql"} {
		b.Run(engine, func(b *testing.B) {
			st := benchStore(b, engine)
			f := newBenchFleet(b, st, b.N, 0)
			ctx := context.Background()
			build := &schema.Build{Name: "web", ArtifactURL: "https://b/web2.tar.gz"}
			if err := st.PublishBuild(ctx, build); err != nil {
				b.Fatal(err)
			}
			d2 := &schema.Deploy{ID: schema.NewID(), StageID: f.stage.ID, EnvName: "web", StageName: "prod", BuildID: build.ID, Type: core.TypeRegular}
			if err := st.CreateDeploy(ctx, d2); err != nil {
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				done := make(chan *httptest.ResponseRecorder, 1)
				go func() { done <- f.ping(ctx, 30, f.bodies[i]) }()
				// Let the ping be held (a NOOP: not admitted yet) before admitting it.
				time.Sleep(300 * time.Millisecond)
				t0 := time.Now()
				if err := st.AdmitHosts(ctx, f.stage.ID, d2.ID, []string{fmt.Sprintf("i-%06d", i)}); err != nil {
					b.Fatal(err)
				}
				rec := <-done
				lat = append(lat, time.Since(t0))
				if !strings.Contains(rec.Body.String(), `"PRE_DOWNLOAD"`) {
					b.Fatalf("held ping after admission = %s, want PRE_DOWNLOAD", rec.Body)
				}
			}
			b.StopTimer()
			reportLatencies(b, "delivery-", lat, 0)
		})
	}
}
