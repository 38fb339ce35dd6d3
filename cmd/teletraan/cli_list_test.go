package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// newListAPI serves the real API over a SQLite store holding stage hello/prod (hosts
// web-1, which pinged, and web-2, which never did), build b1 and deploy d1 of it, FAILING.
func newListAPI(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	st := schematest.SQLite(t)
	stage := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(ctx, stage, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"web-1", "web-2"}}, "alice"); err != nil {
		t.Fatal(err)
	}
	b := &schema.Build{Name: "hello", ArtifactURL: "https://example.com/b1.tar.gz", Commit: "1a2b3c4d", Branch: "main", Publisher: "ci"}
	if err := st.PublishBuild(ctx, b); err != nil {
		t.Fatal(err)
	}
	d := &schema.Deploy{ID: "d1", StageID: stage.ID, EnvName: "hello", StageName: "prod", BuildID: b.ID, Type: core.TypeRegular, Operator: "alice"}
	if err := st.CreateDeploy(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDeployState(ctx, "d1", core.StateFailing, "1 of 2 hosts failed"); err != nil {
		t.Fatal(err)
	}
	err := st.RecordPing(ctx, schema.PingHost{ID: "i-1", Name: "web-1"}, func(core.PingState) (core.PingWrites, error) {
		now := time.Now().UTC()
		return core.PingWrites{Agents: []core.Agent{{HostID: "i-1", StageID: stage.ID, HostName: "web-1", DeployID: "d1",
			DeployStage: "RESTARTING", Status: "SCRIPT_FAILED", State: core.AgentPausedBySystem, StartedAt: now, StageStartedAt: now, UpdatedAt: now}},
			Errors: []core.AgentError{{HostID: "i-1", StageID: stage.ID, HostName: "web-1", ErrorMessage: "\nexit 3: port in use\nmore", UpdatedAt: now}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.NewRouter(api.Deps{Context: t.Context(), Store: st}))
	t.Cleanup(srv.Close)
	secret, _, err := st.CreateToken(ctx, schema.TokenSpec{Name: "ops", Role: "ADMIN", Scope: "*", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TELETRAAN_TOKEN", secret)
	return srv
}

// apiJSON is the API's own answer to GET path, decoded.
func apiJSON(t *testing.T, srv *httptest.Server, path string) any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token := os.Getenv("TELETRAAN_TOKEN"); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, raw)
	}
	return v
}

func TestListVerbsPrintTheAPIsAnswerAsJSONAndYAML(t *testing.T) {
	srv := newListAPI(t)
	for _, tc := range []struct {
		args []string
		path string
	}{
		{[]string{"stages", "list"}, "/v1/envs"},
		{[]string{"stages", "list", "--env", "hello"}, "/v1/envs?env=hello"},
		{[]string{"builds", "list", "--name", "hello"}, "/v1/builds?name=hello"},
		{[]string{"deploys", "list", "hello", "prod"}, "/v1/envs/hello/prod/deploys"},
		{[]string{"deploys", "list", "hello", "prod", "--state", "failing"}, "/v1/envs/hello/prod/deploys?state=FAILING"},
		{[]string{"hosts", "list", "hello", "prod"}, "/v1/envs/hello/prod/hosts"},
		{[]string{"deploys", "get", "d1"}, "/v1/deploys/d1"},
		{[]string{"stages", "get", "hello", "prod"}, "/v1/envs/hello/prod"},
		{[]string{"capacity", "get", "hello", "prod"}, "/v1/envs/hello/prod/capacity"},
		{[]string{"whoami"}, "/v1/auth/token"},
		{[]string{"audit", "--env", "hello"}, "/v1/audit?env=hello"},
		{[]string{"pipeline", "hello"}, "/v1/pipelines/hello"},
	} {
		want := apiJSON(t, srv, tc.path)
		out, err := runCommand(t, append(tc.args, "--url", srv.URL, "-o", "json")...)
		if err != nil {
			t.Fatalf("%v -o json: %v\n%s", tc.args, err, out)
		}
		var got any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v -o json is not JSON: %v\n%s", tc.args, err, out)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v -o json = %v, the API answers %v", tc.args, got, want)
		}
		out, err = runCommand(t, append(tc.args, "--url", srv.URL, "-o", "yaml")...)
		if err != nil {
			t.Fatalf("%v -o yaml: %v\n%s", tc.args, err, out)
		}
		var fromYAML any
		if err := yaml.Unmarshal([]byte(out), &fromYAML); err != nil {
			t.Fatalf("%v -o yaml is not YAML: %v\n%s", tc.args, err, out)
		}
		// YAML decodes numbers as ints and JSON as float64: compare through JSON.
		if b, _ := json.Marshal(fromYAML); !jsonEqual(t, b, want) {
			t.Errorf("%v -o yaml = %s, the API answers %v", tc.args, b, want)
		}
	}
}

// jsonEqual reports whether raw decodes to want.
func jsonEqual(t *testing.T, raw []byte, want any) bool {
	t.Helper()
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(got, want)
}

func TestListVerbsDrawTablesForPeople(t *testing.T) {
	srv := newListAPI(t)
	out, err := runCommand(t, "hosts", "list", "hello", "prod", "--url", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "HOST") ||
		!strings.Contains(lines[1], "web-1") || !strings.Contains(lines[1], "failed") || !strings.Contains(lines[1], "exit 3: port in use") || strings.Contains(lines[1], "more") ||
		!strings.Contains(lines[2], "web-2") || !strings.Contains(lines[2], "never-seen") {
		t.Fatalf("hosts table:\n%s", out)
	}
	out, err = runCommand(t, "hosts", "list", "hello", "prod", "--phase", "never-seen", "--url", srv.URL, "-o", "json")
	if err != nil || !strings.Contains(out, `"web-2"`) || strings.Contains(out, `"web-1"`) {
		t.Fatalf("hosts --phase never-seen: %v\n%s", err, out)
	}
	out, err = runCommand(t, "deploys", "list", "hello", "prod", "--url", srv.URL)
	if err != nil || !strings.Contains(out, "d1") || !strings.Contains(out, "FAILING") || !strings.Contains(out, "0/") {
		t.Fatalf("deploys table: %v\n%s", err, out)
	}
	out, err = runCommand(t, "stages", "list", "--url", srv.URL)
	if err != nil || !strings.Contains(out, "hello/prod") || !strings.Contains(out, "1 hosts") {
		t.Fatalf("stages table: %v\n%s", err, out)
	}
}

func TestListVerbsRefuseBadFlagsBeforeAsking(t *testing.T) {
	asked := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { asked = true }))
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stages", "list", "-o", "xml"}, `--output (-o) must be table, json or yaml, not "xml"`},
		{[]string{"deploys", "list", "hello", "prod", "--state", "DONE"}, `--state must be RUNNING, FAILING, SUCCEEDING, SUCCEEDED or ABORTED, not "DONE"`},
		{[]string{"deploys", "list", "hello", "prod", "--type", "BIG"}, `--type must be REGULAR, HOTFIX, ROLLBACK or RESTART, not "BIG"`},
		{[]string{"builds", "list", "--limit", "-1"}, "--limit must be 0"},
		{[]string{"hosts", "list", "hello", "prod", "--phase", "green"}, `--phase must be one of serving, deploying`},
	} {
		_, err := runCommand(t, append(tc.args, "--url", srv.URL)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != 1 {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
	if asked {
		t.Error("a verb with a bad flag asked the server anyway")
	}
}

func TestStatusExitsTwoWhileTheDeployIsFailing(t *testing.T) {
	srv := newListAPI(t)
	out, err := runCommand(t, "status", "hello", "prod", "--url", srv.URL)
	if exitCode(err) != 2 || !strings.Contains(out, "deploy d1: REGULAR") || !strings.Contains(err.Error(), "is FAILING: 1 of 2 hosts failed") {
		t.Fatalf("status of a FAILING deploy: exit %d, %v\n%s", exitCode(err), err, out)
	}
	out, err = runCommand(t, "status", "hello", "prod", "--url", srv.URL, "-o", "json")
	if exitCode(err) != 2 || !jsonEqual(t, []byte(out), apiJSON(t, srv, "/v1/envs/hello/prod/deploys/current")) {
		t.Fatalf("status -o json: exit %d\n%s", exitCode(err), out)
	}
}

func TestStatusWatchReattachesAndNamesFailedHostsAsTheyFail(t *testing.T) {
	polls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		state, hosts := "RUNNING", `{"deployId":"d1","waves":[{"wave":1,"hosts":[{"hostName":"web-1","outcome":"","errorMessage":""}]}]}`
		if r.URL.Path == "/v1/deploys/d1" || r.URL.Path == "/v1/deploys/d1/hosts" {
			if r.URL.Path == "/v1/deploys/d1" {
				polls++
			}
			if polls >= 2 {
				hosts = `{"deployId":"d1","waves":[{"wave":1,"hosts":[{"hostName":"web-1","outcome":"FAILED","errorMessage":"\nexit 3: port in use\nstack"}]}]}`
			}
			if polls >= 3 {
				state = "FAILING"
			}
		}
		deploy := `{"deploy":{"id":"d1","type":"REGULAR","state":"` + state + `","stateReason":"1 of 1 hosts failed","buildId":"b1","envName":"hello","stageName":"prod","total":1}}`
		switch r.URL.Path {
		case "/v1/envs/hello/prod/deploys/current", "/v1/deploys/d1":
			_, _ = io.WriteString(w, deploy)
		case "/v1/deploys/d1/hosts":
			_, _ = io.WriteString(w, hosts)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	out, err := runCommand(t, "status", "hello", "prod", "--watch", "--interval", "10ms", "--url", srv.URL)
	if exitCode(err) != 2 {
		t.Fatalf("status --watch of a deploy that fails: exit %d (%v), want 2\n%s", exitCode(err), err, out)
	}
	if strings.Count(out, "web-1 FAILED: exit 3: port in use") != 1 || strings.Contains(out, "stack") {
		t.Fatalf("the failed host is not named once with its error's first line:\n%s", out)
	}
}
