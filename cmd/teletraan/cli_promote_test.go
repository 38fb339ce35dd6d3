package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
)

func TestPromoteSendsTheTargetStage(t *testing.T) {
	f := &fakeAPI{frames: []api.Deploy{frame("RUNNING", 4, 0, 0, 0, 4, "")}}
	url := startFakeAPI(t, f)
	out, err := runCommand(t, "promote", "hello", "staging", "--to", "prod", "--allow-unsucceeded", "--url", url, "--token", "t")
	if err != nil || !strings.Contains(out, "deploy d1: REGULAR of build b1 to hello/prod") {
		t.Fatalf("promote: %v\n%s", err, out)
	}
	if f.posts[0] != "/v1/envs/hello/staging/actions/promote" || f.bodies[0]["toStage"] != "prod" || f.bodies[0]["allowUnsucceeded"] != true {
		t.Errorf("posts = %v %v", f.posts, f.bodies)
	}
	if _, ok := f.bodies[0]["force"]; ok {
		t.Errorf("force sent without --force: %v", f.bodies[0])
	}
	_, err = runCommand(t, "promote", "hello", "staging", "--url", url, "--token", "t")
	if err == nil || !strings.Contains(err.Error(), `"to" not set`) {
		t.Errorf("promote without --to: %v", err)
	}
	f.refuse = "not promoting build b1 from hello/staging: deploy d1 is RUNNING, not SUCCEEDED; send allowUnsucceeded to promote it anyway"
	_, err = runCommand(t, "promote", "hello", "staging", "--to", "prod", "--url", url, "--token", "t")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "is RUNNING, not SUCCEEDED") {
		t.Errorf("refused promote: %v", err)
	}
}

func TestStartedDeploySaysWhichQueuedDeployItDropped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"deploy": frame("RUNNING", 4, 0, 0, 0, 4, ""), "clearedQueue": "q9"})
	}))
	defer srv.Close()
	for _, verb := range [][]string{{"hotfix", "hello", "prod", "--build", "b1"}, {"promote", "hello", "staging", "--to", "prod"}} {
		out, err := runCommand(t, append(verb, "--url", srv.URL, "--token", "t")...)
		if err != nil || !strings.Contains(out, "queued deploy q9 was dropped from the queue") {
			t.Errorf("%s: %v\n%s", verb[0], err, out)
		}
	}
}
