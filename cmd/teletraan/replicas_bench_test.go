package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// BenchmarkGoalDeliveryAcrossReplicas measures goal delivery in the production topology
// (startReplicaSet: Temporal, MariaDB, two servers, two workers, each its own process):
// simulated hosts (fakeAgent, the real protocol over HTTP, no-op stages) long-poll server
// a, every deploy is started through server b, and the workers admit the hosts in waves of
// 10 %. Delivery is, per host, the time from its admission (the row a worker wrote) to
// the answer carrying its first goal of the deploy, as the host saw it. Hosts:
// TELETRAAN_BENCH_HOSTS (default 1,000).
//
//	TELETRAAN_TEST_MYSQL_DSN='root@tcp(127.0.0.1:3306)/test' \
//	  go test ./cmd/teletraan -run XXX -bench BenchmarkGoalDeliveryAcrossReplicas -benchtime=4x
func BenchmarkGoalDeliveryAcrossReplicas(b *testing.B) {
	hosts := 1000
	if v := os.Getenv("TELETRAAN_BENCH_HOSTS"); v != "" {
		var err error
		if hosts, err = strconv.Atoi(v); err != nil || hosts < 1 {
			b.Fatalf("TELETRAAN_BENCH_HOSTS=%q: want a positive number", v)
		}
	}
	r := startReplicaSet(b)
	r.b.call(b, "PUT", "/v1/envs/hello/dev", map[string]any{"maxParallel": 0, "maxParallelPct": 10, "stuckTimeoutSeconds": 600}, 200, nil)
	var builds [2]string
	for i := range builds {
		var build struct{ ID string }
		r.b.call(b, "POST", "/v1/builds", map[string]any{"name": "hello", "commit": fmt.Sprintf("be0c%d", i),
			"artifactUrl": fmt.Sprintf("https://artifacts.example.com/hello-%d.tar.gz", i)}, 201, &build)
		builds[i] = build.ID
	}
	st, err := schema.Open(context.Background(), r.dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: hosts}, Timeout: time.Minute}
	agents := make([]*fakeAgent, hosts)
	for i := range agents {
		agents[i] = &fakeAgent{host: fmt.Sprintf("sim-%04d", i), url: r.a.apiURL, token: r.token, client: client, firstGoal: map[string]time.Time{}}
		wg.Add(1)
		go func(a *fakeAgent) { defer wg.Done(); a.run(ctx) }(agents[i])
	}
	// The first deploy reaches every host at once (hosts new to a stage need no admission).
	deployAndWait(b, &r.b, &r.a, builds[0], hosts)

	b.ResetTimer()
	var delivery []time.Duration
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		id := deployAndWait(b, &r.b, &r.a, builds[(i+1)%2], hosts)
		total += time.Since(start)
		delivery = append(delivery, goalDelivery(b, st.DB(), agents, id)...)
	}
	b.StopTimer()
	sort.Slice(delivery, func(i, j int) bool { return delivery[i] < delivery[j] })
	b.ReportMetric(total.Seconds()/float64(b.N), "s/deploy")
	if len(delivery) > 0 {
		b.ReportMetric(float64(delivery[len(delivery)/2].Milliseconds()), "delivery-p50-ms")
		b.ReportMetric(float64(delivery[len(delivery)*99/100].Milliseconds()), "delivery-p99-ms")
		b.ReportMetric(float64(len(delivery)), "deliveries")
	}
}
