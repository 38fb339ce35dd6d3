package main

import (
	"context"
	"fmt"
	"time"

	"encoding/json"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestDeployStateActionTable checks the README's "Deploy states and actions" table through
// the API, on deploys really in each state: RUNNING (hosts without agents), FAILING (a
// stage without hosts) and SUCCEEDING (the dev stack's local agents).
func TestDeployStateActionTable(t *testing.T) {
	s := startTestStackWithAgents(t, t.TempDir(), 2)
	var builds struct{ Builds []struct{ ID string } }
	s.call(t, "GET", "/v1/builds?name=hello", nil, 200, &builds)
	build := builds.Builds[0].ID
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "idle"}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/idle/capacity", map[string]any{"hosts": []string{"web-1", "web-2"}}, 200, nil)
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "empty"}, 201, nil)

	type step struct {
		action string
		status int
		says   string
	}
	check := func(stage string, steps []step) {
		t.Helper()
		for _, st := range steps {
			var body map[string]any
			s.call(t, "POST", "/v1/envs/hello/"+stage+"/actions/"+st.action, map[string]any{}, st.status, &body)
			if st.says != "" && !strings.Contains(strings.ToLower(toJSON(body)), strings.ToLower(st.says)) {
				t.Errorf("%s on %s: answer %v, want it to say %q", st.action, stage, body, st.says)
			}
		}
	}

	var running deployResponse
	s.call(t, "POST", "/v1/envs/hello/idle/deploys", map[string]any{"buildId": build}, 201, &running)
	check("idle", []step{{"resume", 409, "not paused"}, {"pause", 200, ""}, {"pause", 409, "paused already"}, {"resume", 200, ""}, {"abort", 200, ""}, {"abort", 409, "nothing to abort"}})
	waitDeployState(t, s, running.Deploy.ID, "ABORTED")

	var failing deployResponse
	s.call(t, "POST", "/v1/envs/hello/empty/deploys", map[string]any{"buildId": build}, 201, &failing)
	waitDeployState(t, s, failing.Deploy.ID, "FAILING")
	check("empty", []step{{"pause", 200, ""}, {"resume", 200, ""}, {"abort", 200, ""}})
	waitDeployState(t, s, failing.Deploy.ID, "ABORTED")
	var ended struct {
		Reasons []struct{ State, Reason string }
	}
	s.call(t, "GET", "/v1/deploys/"+failing.Deploy.ID, nil, 200, &ended)
	if n := len(ended.Reasons); n < 2 || ended.Reasons[0].State != "FAILING" || !strings.Contains(ended.Reasons[0].Reason, "has no hosts") || ended.Reasons[n-1].State != "ABORTED" {
		t.Errorf("reasons of the aborted FAILING deploy = %+v, want why it failed kept before its abort", ended.Reasons)
	}

	var succeeding deployResponse
	s.call(t, "POST", "/v1/envs/hello/dev/deploys", map[string]any{"buildId": build}, 201, &succeeding)
	waitDeployState(t, s, succeeding.Deploy.ID, "SUCCEEDING")
	// The row says SUCCEEDING a moment before the stage workflow hears it.
	waitFor(t, 30*time.Second, "the stage workflow knows the deploy is SUCCEEDING", func() (bool, string) {
		v, err := s.client.QueryWorkflow(context.Background(), workflows.StageWorkflowID("hello", "dev"), "", workflows.StageStatusQuery)
		if err != nil {
			return false, err.Error()
		}
		var st workflows.StageStatus
		if err := v.Get(&st); err != nil || st.Current == nil {
			return false, fmt.Sprint(err)
		}
		return st.Current.State == "SUCCEEDING", st.Current.State
	})
	check("dev", []step{{"pause", 409, "nothing to pause"}, {"abort", 409, "roll back"}, {"resume", 409, "not paused"}})
	waitDeployState(t, s, succeeding.Deploy.ID, "SUCCEEDING")
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
