package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestCLIDeployQueueWaitsThenWatches(t *testing.T) {
	var (
		mu     sync.Mutex
		polls  int
		bodies []map[string]any
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/envs/hello/prod/deploys":
			raw, _ := io.ReadAll(r.Body)
			var body map[string]any
			_ = json.Unmarshal(raw, &body)
			bodies = append(bodies, body)
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"queued":true,"deployId":"d1","waitingFor":"HOTFIX deploy h1 (RUNNING)"}`)
		case r.URL.Path == "/v1/deploys/d1":
			polls++
			if polls <= 2 {
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"deploy d1 does not exist"}}`)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"deploy": frame(core.StateSucceeding, 2, 2, 0, 0, 0, "2 of 2 hosts serving build b1")})
		case r.URL.Path == "/v1/envs/hello/prod/queue":
			_, _ = io.WriteString(w, `{"queued":true,"deployId":"d1","waitingFor":"HOTFIX deploy h1 (RUNNING)"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"no route"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	t.Setenv("TELETRAAN_URL", srv.URL)
	t.Setenv("TELETRAAN_TOKEN", "s3cret")

	out, err := runCommand(t, "deploy", "hello", "prod", "--build", "b1", "--queue", "--watch", "--interval", "1ms")
	if err != nil {
		t.Fatalf("deploy --queue --watch: %v\n%s", err, out)
	}
	for _, want := range []string{
		"queued: waiting for HOTFIX deploy h1 (RUNNING)",
		"deploy d1: REGULAR of build b1 to hello/prod by alice, SUCCEEDING",
		"deploy d1 is SUCCEEDING: 2 of 2 hosts serving build b1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(bodies) != 1 || bodies[0]["queue"] != true {
		t.Errorf("request bodies = %v, want queue: true", bodies)
	}
}

func TestCLIDeployQueueFailsWhenDropped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, `{"queued":true,"deployId":"d1","waitingFor":"ROLLBACK deploy r1 (RUNNING)"}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"code":"not_found","message":"nothing is queued"}}`)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("TELETRAAN_URL", srv.URL)
	t.Setenv("TELETRAAN_TOKEN", "s3cret")
	out, err := runCommand(t, "deploy", "hello", "prod", "--build", "b1", "--queue", "--watch", "--interval", "1ms")
	if exitCode(err) != exitDeployFailed || !strings.Contains(err.Error(), "left the queue") {
		t.Fatalf("err = %v (exit %d), want the dropped deploy reported\n%s", err, exitCode(err), out)
	}
}
