package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// fakeAgent speaks the real ping protocol over HTTP but runs no scripts: every goal
// succeeds at once. It records when it received the first goal of each deploy.
type fakeAgent struct {
	host, url, token string
	client           *http.Client
	report           *protocol.PingReport

	mu        sync.Mutex
	firstGoal map[string]time.Time // deploy id -> when its first goal arrived
}

func (a *fakeAgent) run(ctx context.Context) {
	for ctx.Err() == nil {
		req := protocol.PingRequest{HostID: a.host, HostName: a.host, HostIP: "127.0.0.1", Groups: []string{localAgentsGroup}}
		if a.report != nil {
			req.Reports = []protocol.PingReport{*a.report}
		}
		wait := ""
		if a.report == nil || a.report.DeployStage == protocol.StageServingBuild {
			wait = "?" + protocol.WaitParam + "=20"
		}
		body, _ := json.Marshal(req)
		hreq, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.url+protocol.PingPath+wait, bytes.NewReader(body))
		hreq.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := a.client.Do(hreq)
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		var pr protocol.PingResponse
		err = json.NewDecoder(resp.Body).Decode(&pr)
		resp.Body.Close()
		if err != nil || pr.DeployGoal == nil || pr.OpCode == protocol.OpNoop {
			continue
		}
		g := pr.DeployGoal
		a.mu.Lock()
		if _, seen := a.firstGoal[g.DeployID]; !seen {
			a.firstGoal[g.DeployID] = time.Now()
		}
		a.mu.Unlock()
		a.report = &protocol.PingReport{DeployID: g.DeployID, EnvID: g.EnvID, DeployStage: g.DeployStage, AgentStatus: protocol.StatusSucceeded}
	}
}

// BenchmarkFleetDeploy rolls builds over 1,000 simulated hosts (fake agents speaking the
// real protocol over HTTP, no-op stages) at a 10 % window on the whole dev stack, and
// reports the wall time of a deploy and of a rollback (the rollback action, back to the
// build before), the goal-delivery latency from admission to the host's first goal, and
// the deploy workflow's history length. Even iterations deploy build 2, odd ones roll back.
//
//	go test ./cmd/teletraan -run XXX -bench BenchmarkFleetDeploy -benchtime=4x
func BenchmarkFleetDeploy(b *testing.B) {
	const hosts = 1000
	s := startBenchStack(b)
	s.call(b, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 0, "maxParallelPct": 10, "stuckTimeoutSeconds": 600}, 200, nil)
	var builds struct {
		Builds []struct{ ID string }
	}
	s.call(b, "GET", "/v1/builds?name=hello", nil, 200, &builds)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	transport := &http.Transport{MaxIdleConnsPerHost: hosts, MaxConnsPerHost: 0}
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	agents := make([]*fakeAgent, hosts)
	for i := range agents {
		agents[i] = &fakeAgent{host: fmt.Sprintf("sim-%04d", i), url: s.apiURL, token: s.adminToken, client: client, firstGoal: map[string]time.Time{}}
		wg.Add(1)
		go func(a *fakeAgent) { defer wg.Done(); a.run(ctx) }(agents[i])
	}

	// The first deploy reaches every host at once (hosts new to a stage need no admission).
	deployAndWait(b, s, s, builds.Builds[1].ID, hosts)

	b.ResetTimer()
	var total time.Duration
	var delivery []time.Duration
	var events int
	var rollbackTotal time.Duration
	rollbacks := 0
	for i := 0; i < b.N; i++ {
		start := time.Now()
		var id string
		if i%2 == 0 {
			id = deployAndWait(b, s, s, builds.Builds[0].ID, hosts)
			total += time.Since(start)
		} else {
			id = rollbackAndWait(b, s, hosts)
			rollbackTotal += time.Since(start)
			rollbacks++
		}
		delivery = append(delivery, goalDelivery(b, s.store.DB(), agents, id)...)
		events = historyLength(b, s, workflows.DeployWorkflowID(id))
	}
	b.StopTimer()
	sort.Slice(delivery, func(i, j int) bool { return delivery[i] < delivery[j] })
	b.ReportMetric(total.Seconds()/float64((b.N+1)/2), "s/deploy")
	if rollbacks > 0 {
		b.ReportMetric(rollbackTotal.Seconds()/float64(rollbacks), "s/rollback")
	}
	if len(delivery) > 0 {
		b.ReportMetric(float64(delivery[len(delivery)/2].Milliseconds()), "delivery-p50-ms")
		b.ReportMetric(float64(delivery[len(delivery)*99/100].Milliseconds()), "delivery-p99-ms")
	}
	b.ReportMetric(float64(events), "history-events")
}

func rollbackAndWait(b *testing.B, s *runningStack, hosts int) string {
	b.Helper()
	var d deployResponse
	s.call(b, "POST", "/v1/envs/hello/dev/actions/rollback", map[string]any{"description": "benchmark"}, 201, &d)
	waitFor(b, 10*time.Minute, "rollback "+d.Deploy.ID+" SUCCEEDING", func() (bool, string) {
		var cur deployResponse
		s.call(b, "GET", "/v1/deploys/"+d.Deploy.ID, nil, 200, &cur)
		return cur.Deploy.State == "SUCCEEDING" && cur.Deploy.Succeeded == hosts, fmt.Sprintf("%s %d/%d", cur.Deploy.State, cur.Deploy.Succeeded, hosts)
	})
	return d.Deploy.ID
}

func startBenchStack(b *testing.B) *runningStack {
	b.Helper()
	return startTestStack(b, b.TempDir())
}

// apiCaller calls the API of a stack or of one replica.
type apiCaller interface {
	call(t testing.TB, method, path string, body any, wantStatus int, out any)
}

// deployAndWait starts a deploy of buildID on hello/dev through start and waits, reading
// through watch, until all hosts serve it.
func deployAndWait(b *testing.B, start, watch apiCaller, buildID string, hosts int) string {
	b.Helper()
	var d deployResponse
	start.call(b, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": buildID}, 201, &d)
	waitFor(b, 10*time.Minute, "deploy "+d.Deploy.ID+" SUCCEEDING", func() (bool, string) {
		var cur deployResponse
		watch.call(b, "GET", "/v1/deploys/"+d.Deploy.ID, nil, 200, &cur)
		return cur.Deploy.State == "SUCCEEDING" && cur.Deploy.Succeeded == hosts, fmt.Sprintf("%s %d/%d", cur.Deploy.State, cur.Deploy.Succeeded, hosts)
	})
	return d.Deploy.ID
}

// goalDelivery is, per host, the time from its admission (recorded in the database) to
// the first goal of the deploy it received.
func goalDelivery(b *testing.B, db bun.IDB, agents []*fakeAgent, deployID string) []time.Duration {
	b.Helper()
	type row struct {
		HostID     string    `bun:"host_id"`
		AdmittedAt time.Time `bun:"admitted_at"`
	}
	var rows []row
	if err := db.NewSelect().Table("host_admissions").Column("host_id", "admitted_at").Where("deploy_id = ?", deployID).Scan(context.Background(), &rows); err != nil {
		b.Fatal(err)
	}
	admitted := map[string]time.Time{}
	for _, r := range rows {
		admitted[r.HostID] = r.AdmittedAt
	}
	var out []time.Duration
	for _, a := range agents {
		a.mu.Lock()
		got, ok := a.firstGoal[deployID]
		a.mu.Unlock()
		if at, admittedOK := admitted[a.host]; ok && admittedOK {
			out = append(out, got.Sub(at))
		}
	}
	return out
}

func historyLength(b *testing.B, s *runningStack, workflowID string) int {
	b.Helper()
	iter := s.client.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for iter.HasNext() {
		if _, err := iter.Next(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return n
}
