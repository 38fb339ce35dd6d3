package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// TestTerminatedHotfixDoesNotStickTheStage: a HOTFIX whose workflow is terminated from
// the Temporal UI (so it never tells its stage) is let go by the stage, recorded ABORTED
// with why, and the REGULAR deploy queued behind it starts; a deploy that supersedes it and
// one that checks the stage's alarms complete the paths its recorded histories replay
// (workflows/testdata/histories/*-stuck-*).
func TestTerminatedHotfixDoesNotStickTheStage(t *testing.T) {
	s := startTestStack(t, t.TempDir())
	alarm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(alarm.Close)
	// The hosts have no agents, so every deploy stays RUNNING until something ends it.
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod", "maxParallel": 1}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1", "web-2"}}, 200, nil)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://artifacts.example.com/hello-1.tar.gz", "commit": "abcdef1234", "branch": "main"}, 201, &build)

	var hotfix deployResponse
	s.call(t, "POST", "/v1/envs/hello/prod/actions/hotfix", map[string]any{"buildId": build.ID}, 201, &hotfix)
	var queued struct{ DeployID string }
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID, "queue": true}, 202, &queued)
	if err := s.client.TerminateWorkflow(context.Background(), hotfix.Deploy.WorkflowID, "", "stuck on purpose"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the terminated hotfix recorded ABORTED", func() (bool, string) {
		var d deployResponse
		s.call(t, "GET", "/v1/deploys/"+hotfix.Deploy.ID, nil, 200, &d)
		return d.Deploy.State == "ABORTED" && strings.HasSuffix(d.Deploy.StateReason, "ended without finishing the deploy: terminated"),
			d.Deploy.State + " " + d.Deploy.StateReason
	})
	waitDeployState(t, s, queued.DeployID, "RUNNING")

	// A deploy checking alarms supersedes the queued one, which ends ABORTED.
	s.call(t, "PUT", "/v1/envs/hello/prod", map[string]any{"alarms": []map[string]string{{"name": "ok", "url": alarm.URL}}}, 200, nil)
	var alarmed deployResponse
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, &alarmed)
	waitDeployState(t, s, queued.DeployID, "ABORTED")
	waitFor(t, 30*time.Second, "the new deploy admitted its first host after the alarm check", func() (bool, string) {
		var cur deployResponse
		s.call(t, "GET", "/v1/envs/hello/prod/deploys/current", nil, 200, &cur)
		return cur.Deploy.ID == alarmed.Deploy.ID && cur.Deploy.Total == 2, fmt.Sprintf("%+v", cur.Deploy)
	})
	s.call(t, "POST", "/v1/envs/hello/prod/actions/abort", map[string]any{}, 200, nil)
	waitDeployState(t, s, alarmed.Deploy.ID, "ABORTED")
	s.call(t, "POST", "/v1/envs/hello/prod/actions/pause", map[string]any{}, 409, nil)

	recordHistories(t, s, "stuck", workflows.StageWorkflowID("hello", "prod"), hotfix.Deploy.WorkflowID,
		workflows.DeployWorkflowID(queued.DeployID), alarmed.Deploy.WorkflowID)
}

// TestContinuedStageWatchesTheDeployItInherited: with Temporal suggesting continue-as-new
// after a few dozen events, the stage workflow continues as new while its deploy runs; the
// new run watches that deploy with the AwaitDeployClosed activity, so terminating the
// deploy then still frees the stage. Its histories are the corpus' continue-as-new of the
// stage and the inherited watch (workflows/testdata/histories/*-inherited-*).
func TestContinuedStageWatchesTheDeployItInherited(t *testing.T) {
	s := startTestStackWith(t, t.TempDir(), func(c *devConfig) { c.suggestContinueAsNewAfter = 40 })
	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod", "maxParallel": 1}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1", "web-2"}}, 200, nil)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://artifacts.example.com/hello-1.tar.gz", "commit": "abcdef1234", "branch": "main"}, 201, &build)
	var d deployResponse
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, &d)

	stageID := workflows.StageWorkflowID("hello", "prod")
	first, err := s.client.DescribeWorkflowExecution(context.Background(), stageID, "")
	if err != nil {
		t.Fatal(err)
	}
	// Each pause or resume adds a handful of events to the stage's history.
	for i := 0; i < 12; i++ {
		action := "pause"
		if i%2 == 1 {
			action = "resume"
		}
		s.call(t, "POST", "/v1/envs/hello/prod/actions/"+action, map[string]any{}, 200, nil)
		now, err := s.client.DescribeWorkflowExecution(context.Background(), stageID, "")
		if err == nil && now.WorkflowExecutionInfo.Execution.RunId != first.WorkflowExecutionInfo.Execution.RunId && i%2 == 1 {
			break
		}
	}
	waitFor(t, 30*time.Second, "the stage workflow continued as new", func() (bool, string) {
		now, err := s.client.DescribeWorkflowExecution(context.Background(), stageID, "")
		if err != nil {
			return false, err.Error()
		}
		return now.WorkflowExecutionInfo.Execution.RunId != first.WorkflowExecutionInfo.Execution.RunId, now.WorkflowExecutionInfo.Execution.RunId
	})
	if err := s.client.TerminateWorkflow(context.Background(), d.Deploy.WorkflowID, "", "stuck on purpose"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the terminated deploy recorded ABORTED by the continued stage", func() (bool, string) {
		var got deployResponse
		s.call(t, "GET", "/v1/deploys/"+d.Deploy.ID, nil, 200, &got)
		return got.Deploy.State == "ABORTED" && strings.Contains(got.Deploy.StateReason, "ended without finishing the deploy"), got.Deploy.State + " " + got.Deploy.StateReason
	})
	var next deployResponse
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, &next)
	s.call(t, "POST", "/v1/envs/hello/prod/actions/abort", map[string]any{}, 200, nil)
	waitDeployState(t, s, next.Deploy.ID, "ABORTED")
	recordRunHistories(t, s, "inherited", stageID)
}

// TestDeployContinuesAsNewAndFinishes: with Temporal suggesting continue-as-new after a few
// dozen events, a rolling deploy to real agents (one host per wave, a bake between waves)
// continues as new between waves and still brings every host to the build, each host's
// RESTARTING run once. Its histories are the corpus' continue-as-new of the deploy.
func TestDeployContinuesAsNewAndFinishes(t *testing.T) {
	s := startTestStackWith(t, t.TempDir(), func(c *devConfig) { c.suggestContinueAsNewAfter = 40 })
	f := startFleet(t, s, 3)
	_, d2 := rollingSecondDeploy(t, s, 3)
	waitServing(t, s, d2, 3)
	waitDeployState(t, s, d2, "SUCCEEDING")
	cur := readHistory(t, s, workflows.DeployWorkflowID(d2), "")
	if cur.Events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId() == "" {
		t.Fatalf("deploy %s never continued as new (%d events in its run)", d2, len(cur.Events))
	}
	for host, n := range f.restartsPerHost(t) {
		if n != 2 {
			t.Errorf("%s ran RESTARTING %d times, want once per deploy (2)", host, n)
		}
	}
	recordRunHistories(t, s, "continued", workflows.DeployWorkflowID(d2))
}
