package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// BenchmarkPipelinePromotion measures what auto-promotion costs a user: the time from
// publishing a build to prod SUCCEEDING through canary → staging → prod, 100 simulated
// hosts per stage (fake agents speaking the real protocol over HTTP, no-op stages), each
// stage 10 % at a time, canary and staging with a no-op acceptance (one HTTP check against
// a local server that always passes); and the promotion's own share, the handoff from one
// stage's deploy SUCCEEDING to the next stage's deploy starting (for canary and staging
// that includes running their acceptance and recording the verdict).
//
//	go test ./cmd/teletraan -run XXX -bench BenchmarkPipelinePromotion -benchtime=3x
func BenchmarkPipelinePromotion(b *testing.B) {
	const perStage = 100
	s := startBenchStack(b)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 3 * perStage}, Timeout: time.Minute}
	checks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	defer checks.Close()
	noop := map[string]any{"http": []map[string]any{{"name": "noop", "url": checks.URL + "/{build}"}}}
	stages := []struct{ name, promote string }{
		{"canary", `{"source":"BUILD","onEvent":true}`},
		{"staging", `{"source":"canary","onEvent":true}`},
		{"prod", `{"source":"staging","onEvent":true}`},
	}
	for _, st := range stages {
		hosts := make([]string, perStage)
		for i := range hosts {
			hosts[i] = fmt.Sprintf("sim-%s-%03d", st.name, i)
			a := &fakeAgent{host: hosts[i], url: s.apiURL, token: s.adminToken, client: client, firstGoal: map[string]time.Time{}}
			wg.Add(1)
			go func() { defer wg.Done(); a.run(ctx) }()
		}
		s.call(b, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": st.name, "buildName": "hello",
			"maxParallel": 0, "maxParallelPct": 10, "promote": rawJSON(st.promote)}, 201, nil)
		s.call(b, "PUT", "/v1/envs/hello/"+st.name+"/capacity", map[string]any{"hosts": hosts, "groups": []string{}}, 200, nil)
		if st.name != "prod" {
			s.call(b, "PUT", "/v1/envs/hello/"+st.name, map[string]any{"acceptance": noop}, 200, nil)
		}
	}
	publish := func(i int) string {
		var build struct{ ID string }
		s.call(b, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://builds.example.com/hello.tar.gz",
			"commit": fmt.Sprintf("bead%04d", i), "branch": "main"}, 201, &build)
		return build.ID
	}
	// A first build reaches every host at once (hosts new to a stage need no admission).
	first := publish(0)
	waitOn(b, s, "prod", first, perStage)

	b.ResetTimer()
	var total, handoff time.Duration
	handoffs := 0
	for i := 1; i <= b.N; i++ {
		start := time.Now()
		build := publish(i)
		waitOn(b, s, "prod", build, perStage)
		total += time.Since(start)
		b.StopTimer()
		var prev *benchDeploy
		for _, st := range stages {
			d := currentDeploy(b, s, st.name)
			if prev != nil && prev.SucceededAt != nil {
				handoff += d.CreatedAt.Sub(*prev.SucceededAt)
				handoffs++
			}
			prev = d
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(total.Seconds()/float64(b.N), "s/publish-to-prod")
	if handoffs > 0 {
		b.ReportMetric(float64(handoff.Milliseconds())/float64(handoffs), "handoff-ms")
	}
}

type benchDeploy struct {
	ID, BuildID, State string
	Succeeded          int
	CreatedAt          time.Time
	SucceededAt        *time.Time
}

// currentDeploy is stage's current deploy; its zero value before the first one.
func currentDeploy(b *testing.B, s *runningStack, stage string) *benchDeploy {
	b.Helper()
	var cur struct{ Deploy benchDeploy }
	req, _ := http.NewRequest(http.MethodGet, s.apiURL+"/v1/envs/hello/"+stage+"/deploys/current", nil)
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&cur); err != nil {
			b.Fatal(err)
		}
	}
	return &cur.Deploy
}

// waitOn waits until stage's current deploy is of build and SUCCEEDING on every host.
func waitOn(b *testing.B, s *runningStack, stage, build string, hosts int) {
	b.Helper()
	waitFor(b, 10*time.Minute, stage+" SUCCEEDING on build "+build, func() (bool, string) {
		d := currentDeploy(b, s, stage)
		return d.BuildID == build && d.State == "SUCCEEDING" && d.Succeeded == hosts, fmt.Sprintf("%s %s %d/%d", d.BuildID, d.State, d.Succeeded, hosts)
	})
}
