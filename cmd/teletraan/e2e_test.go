package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// runningStack is a dev stack serving HTTP for the length of a test.
type runningStack struct {
	*devStack
	cancel context.CancelFunc
	done   chan error
}

func startTestStack(t testing.TB, dataDir string) *runningStack {
	return startTestStackWithAgents(t, dataDir, 0)
}

func startTestStackWithAgents(t testing.TB, dataDir string, agents int) *runningStack {
	t.Helper()
	return startTestStackWith(t, dataDir, func(c *devConfig) { c.agents = agents })
}

// startTestStackWith starts a test stack whose config mod adjusts.
func startTestStackWith(t testing.TB, dataDir string, mod func(*devConfig)) *runningStack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := devConfig{
		dataDir: dataDir, ip: "127.0.0.1", httpPort: 0, temporalPort: 0, uiPort: 0,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	mod(&cfg)
	s, err := startDevStack(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("start dev stack: %v", err)
	}
	r := &runningStack{devStack: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.serve(ctx) }()
	t.Cleanup(r.stopAndWait)
	return r
}

func (r *runningStack) stopAndWait() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.stop()
	r.cancel = nil
}

func (r *runningStack) call(t testing.TB, method, path string, body any, wantStatus int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.apiURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+r.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

type deployResponse struct {
	Deploy struct {
		ID, State, StateReason, WorkflowID, Operator, BuildID, AliasDeployID string
		Total, Succeeded                                                     int
	}
	WorkflowURL string
}

// TestDevStackDeploysThroughTemporalAndSurvivesRestart is the walking skeleton end to end:
// the real in-process Temporal server, the API, the worker and SQLite.
func TestDevStackDeploysThroughTemporalAndSurvivesRestart(t *testing.T) {
	dataDir := t.TempDir()
	s := startTestStack(t, dataDir)

	var health map[string]string
	s.call(t, "GET", "/healthz", nil, 200, &health)
	if health["temporal"] != "ok" || health["database"] != "ok" {
		t.Fatalf("healthz = %v", health)
	}
	resp, err := http.Get(s.temporal.UIAddress())
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Temporal UI at %s: %v %v", s.temporal.UIAddress(), resp, err)
	}
	resp.Body.Close()

	s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod", "maxParallelPct": 10}, 201, nil)
	s.call(t, "PUT", "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1", "web-2"}}, 200, nil)
	var build struct{ ID string }
	s.call(t, "POST", "/v1/builds", map[string]any{"name": "hello", "artifactUrl": "https://artifacts.example.com/hello-1.tar.gz", "commit": "abcdef1234", "branch": "main"}, 201, &build)

	var first deployResponse
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID, "description": "first"}, 201, &first)
	if first.Deploy.State != "RUNNING" || first.Deploy.Operator != "admin" || first.Deploy.WorkflowID != "deploy/"+first.Deploy.ID {
		t.Fatalf("first deploy = %+v", first.Deploy)
	}
	if !strings.HasPrefix(first.WorkflowURL, s.temporal.UIAddress()+"/namespaces/default/workflows/deploy%2F") {
		t.Fatalf("workflowUrl = %q", first.WorkflowURL)
	}

	// The deploy workflow is findable in Temporal by our search attributes.
	query := fmt.Sprintf("DeployEnv = 'hello' AND DeployStage = 'prod' AND DeployID = '%s' AND DeployBuild = '%s' AND DeployType = 'REGULAR' AND DeployOperator = 'admin'", first.Deploy.ID, build.ID)
	waitFor(t, 20*time.Second, "deploy workflow visible by search attributes", func() (bool, string) {
		res, err := s.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return false, err.Error()
		}
		if len(res.Executions) != 1 {
			return false, fmt.Sprintf("%d executions", len(res.Executions))
		}
		return res.Executions[0].Execution.WorkflowId == first.Deploy.WorkflowID, res.Executions[0].Execution.WorkflowId
	})
	// It counted the stage's hosts.
	waitFor(t, 20*time.Second, "deploy total recorded", func() (bool, string) {
		var cur deployResponse
		s.call(t, "GET", "/v1/envs/hello/prod/deploys/current", nil, 200, &cur)
		return cur.Deploy.Total == 2, fmt.Sprintf("total %d", cur.Deploy.Total)
	})

	// A second deploy supersedes the first, which ends ABORTED in the store and in Temporal.
	var second deployResponse
	s.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, &second)
	waitFor(t, 20*time.Second, "first deploy aborted", func() (bool, string) {
		var d deployResponse
		s.call(t, "GET", "/v1/deploys/"+first.Deploy.ID, nil, 200, &d)
		return d.Deploy.State == "ABORTED" && strings.Contains(d.Deploy.StateReason, second.Deploy.ID), d.Deploy.State + " " + d.Deploy.StateReason
	})
	waitFor(t, 20*time.Second, "first deploy workflow completed with state ABORTED", func() (bool, string) {
		res, err := s.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("DeployID = '%s' AND DeployState = 'ABORTED'", first.Deploy.ID)})
		if err != nil || len(res.Executions) != 1 {
			return false, fmt.Sprint(err)
		}
		return res.Executions[0].Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, res.Executions[0].Status.String()
	})
	stageWF, err := s.client.DescribeWorkflowExecution(context.Background(), workflows.StageWorkflowID("hello", "prod"), "")
	if err != nil || stageWF.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Fatalf("stage workflow: %v %v", stageWF, err)
	}

	recordHistories(t, s, "supersede", workflows.StageWorkflowID("hello", "prod"), first.Deploy.WorkflowID)

	token := s.adminToken
	s.stopAndWait()

	// A second start on the same data finds stages, builds, deploys, the token and every history.
	s2 := startTestStack(t, dataDir)
	if s2.adminToken != token {
		t.Fatalf("admin token changed across restarts")
	}
	var stages struct {
		Stages []struct{ EnvName, StageName string }
	}
	s2.call(t, "GET", "/v1/envs", nil, 200, &stages)
	// hello/dev is the sample stage the dev stack creates on its first start.
	if len(stages.Stages) != 2 || stages.Stages[0].StageName != "dev" || stages.Stages[1].StageName != "prod" {
		t.Fatalf("stages after restart = %+v", stages)
	}
	s2.call(t, "GET", "/v1/builds/"+build.ID, nil, 200, nil)
	var cur deployResponse
	s2.call(t, "GET", "/v1/envs/hello/prod/deploys/current", nil, 200, &cur)
	if cur.Deploy.ID != second.Deploy.ID {
		t.Fatalf("current deploy after restart = %s, want %s", cur.Deploy.ID, second.Deploy.ID)
	}
	iter := s2.client.GetWorkflowHistory(context.Background(), first.Deploy.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	events := 0
	for iter.HasNext() {
		if _, err := iter.Next(); err != nil {
			t.Fatalf("history of %s after restart: %v", first.Deploy.WorkflowID, err)
		}
		events++
	}
	if events < 5 {
		t.Fatalf("history of the first deploy has %d events after restart", events)
	}
	// The running stage workflow picks up where it left off: a third deploy supersedes the second.
	var third deployResponse
	s2.call(t, "POST", "/v1/envs/hello/prod/deploys", map[string]any{"buildId": build.ID}, 201, &third)
	waitFor(t, 20*time.Second, "second deploy aborted after restart", func() (bool, string) {
		var d deployResponse
		s2.call(t, "GET", "/v1/deploys/"+second.Deploy.ID, nil, 200, &d)
		return d.Deploy.State == "ABORTED", d.Deploy.State
	})
}

func TestDevStackRefusesBusyPortsNamingTheFlag(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for flag, cfg := range map[string]devConfig{
		"--http-port":     {httpPort: port},
		"--temporal-port": {temporalPort: port, uiPort: -1},
		"--ui-port":       {uiPort: port},
	} {
		cfg.dataDir, cfg.ip, cfg.logger = t.TempDir(), "127.0.0.1", logger
		s, err := startDevStack(context.Background(), cfg)
		if err == nil {
			s.stop()
			t.Fatalf("%s: started on a busy port", flag)
		}
		if !strings.Contains(err.Error(), flag) || !strings.Contains(err.Error(), strconv.Itoa(port)) {
			t.Errorf("%s: error %q does not name the flag and the port", flag, err)
		}
	}
}

// recordHistories saves the histories of the given workflows into the directory named by
// TELETRAAN_RECORD_HISTORIES, for workflows/replay_test.go. `make record-histories` runs
// every test that records one; do it after adding a workflow.GetVersion gate (and keep the
// old files), as ARCHITECTURE.md says.
func recordHistories(t *testing.T, s *runningStack, label string, ids ...string) {
	if os.Getenv("TELETRAAN_RECORD_HISTORIES") == "" {
		return
	}
	for i, id := range ids {
		writeHistory(t, readHistory(t, s, id, ""), id, label, i)
	}
}

// readHistory reads the history of one run of workflow id ("" for the current run).
func readHistory(t *testing.T, s *runningStack, id, run string) *historypb.History {
	hist := &historypb.History{}
	iter := s.client.GetWorkflowHistory(context.Background(), id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		hist.Events = append(hist.Events, ev)
	}
	return hist
}

// writeHistory saves hist as <kind>-<label>-<i>-<date>.json in TELETRAAN_RECORD_HISTORIES.
func writeHistory(t *testing.T, hist *historypb.History, id, label string, i int) {
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s-%s-%d-%s.json", strings.SplitN(id, "/", 2)[0], label, i, time.Now().UTC().Format("20060102"))
	if err := os.WriteFile(filepath.Join(os.Getenv("TELETRAAN_RECORD_HISTORIES"), name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recordRunHistories records the current run of workflow id and the run it continued from,
// which recordHistories (the current run only) leaves out.
func recordRunHistories(t *testing.T, s *runningStack, label, id string) {
	if os.Getenv("TELETRAAN_RECORD_HISTORIES") == "" {
		return
	}
	cur := readHistory(t, s, id, "")
	prev := cur.Events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
	if prev == "" {
		t.Fatalf("%s did not continue as new", id)
	}
	writeHistory(t, readHistory(t, s, id, prev), id, label, 0)
	writeHistory(t, cur, id, label, 1)
}

func waitFor(t testing.TB, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s (last: %s)", limit, what, last)
}
