package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// The secrets of this test: a variable secret by its name, one secret by the stage's
// pattern, and an alarm URL's password and token.
var testSecrets = []string{"pw-hunter2-db", "pw-changed-db2", "lic-0xCAFE-77", "al1ce-pass", "tok-9f9f9f",
	// The alarm policy's and the webhooks' secrets.
	"prom-bearer-77aa", "alert-secret-0123456789abcdef", "hmac-secret-5511", "hdr-token-9911", "hookpass-33"}

// TestSecretsAreWriteOnly sets secrets everywhere a stage's config holds them, then scans
// every read of the API and every board page about the stage, and the server's log, for
// them. They must reach the agent's goal and nowhere else.
func TestSecretsAreWriteOnly(t *testing.T) {
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	st := schematest.SQLite(t)
	secret, _, err := st.CreateToken(ctx, schema.TokenSpec{Name: "ops", Role: schema.RoleAdmin, Scope: "*"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	engine := api.NewRouter(api.Deps{Context: t.Context(), Store: st, Logger: logger})
	(&board.Board{Store: st, Logger: logger}).Register(engine)
	srv := httptest.NewServer(engine)
	defer srv.Close()
	alarm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"firing":false}`) }))
	defer alarm.Close()
	alarmURL, _ := url.Parse(alarm.URL)
	alarmURL.User = url.UserPassword("alice", "al1ce-pass")
	alarmURL.RawQuery = "query=up&token=tok-9f9f9f"

	call := func(method, path string, body any) []byte {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, r)
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		return raw
	}
	call(http.MethodPost, "/v1/envs", map[string]any{"envName": "hello", "stageName": "prod",
		"scriptVariables": map[string]string{"DB_PASSWORD": "pw-hunter2-db", "LICENSE_KEY_X": "lic-0xCAFE-77", "PORT": "8080"},
		"secretVariables": []string{"LICENSE_*"},
		"alarms":          []map[string]string{{"name": "latency", "url": alarmURL.String()}},
		"alarmPolicy": map[string]any{"prometheus": map[string]any{"url": "http://prom.example:9090", "bearerToken": "prom-bearer-77aa"},
			"alertSecret": "alert-secret-0123456789abcdef"},
		"webhooks": []map[string]any{{"name": "chat", "url": "https://hooks:hookpass-33@chat.example/hook", "secret": "hmac-secret-5511",
			"headers": map[string]string{"Authorization": "Bearer hdr-token-9911"}}}})
	call(http.MethodPut, "/v1/envs/hello/prod/capacity", map[string]any{"hosts": []string{"web-1"}})
	// A client sends back what it read, with one secret changed: the markers keep the others.
	var read api.Stage
	if err := json.Unmarshal(call(http.MethodGet, "/v1/envs/hello/prod", nil), &read); err != nil {
		t.Fatal(err)
	}
	read.ScriptVariables["DB_PASSWORD"] = "pw-changed-db2"
	call(http.MethodPut, "/v1/envs/hello/prod", map[string]any{"scriptVariables": read.ScriptVariables, "alarms": read.Alarms,
		"alarmPolicy": read.AlarmPolicy, "webhooks": read.Webhooks})
	stored, err := st.GetStage(ctx, "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if stored.ScriptVariables["LICENSE_KEY_X"] != "lic-0xCAFE-77" || stored.ScriptVariables["DB_PASSWORD"] != "pw-changed-db2" || stored.Alarms[0].URL != alarmURL.String() {
		t.Fatalf("an update that sent the markers back lost a secret: %+v %+v", stored.ScriptVariables, stored.Alarms)
	}
	if p, w := stored.AlarmPolicy, stored.Webhooks[0]; p.Prometheus.BearerToken != "prom-bearer-77aa" || p.AlertSecret != "alert-secret-0123456789abcdef" ||
		w.Secret != "hmac-secret-5511" || w.Headers["Authorization"] != "Bearer hdr-token-9911" || w.URL != "https://hooks:hookpass-33@chat.example/hook" {
		t.Fatalf("an update that sent the markers back lost an alarm or webhook secret: %+v %+v", p, w)
	}

	// A script that prints its environment and fails: the server keeps its output without
	// the secrets.
	ping := protocol.PingRequest{HostID: "i-1", HostName: "web-1", Reports: []protocol.PingReport{{EnvID: stored.ID, DeployID: "d-x",
		DeployStage: protocol.StagePreDownload, AgentStatus: protocol.StatusScriptFailed, ErrorCode: 1, FailCount: 1,
		ErrorMessage: "DB_PASSWORD=pw-changed-db2\nLICENSE_KEY_X=lic-0xCAFE-77\nexit 1"}}}
	call(http.MethodPost, protocol.PingPath, ping)

	reads := []string{"/v1/envs", "/v1/envs/hello", "/v1/envs/hello/prod", "/v1/envs/hello/prod/history",
		"/v1/envs/hello/prod/hosts", "/v1/envs/hello/prod/alarms", "/v1/envs/hello/prod/capacity", "/v1/audit",
		"/v1/envs/hello/prod/alerts",
		"/", "/envs/hello/prod", "/envs/hello/prod/config", "/envs/hello/prod/config/history", "/envs/hello/prod/hosts", "/hosts/web-1"}
	for _, path := range reads {
		body := string(call(http.MethodGet, path, nil))
		for _, s := range testSecrets {
			if strings.Contains(body, s) {
				t.Errorf("GET %s shows the secret %q", path, s)
			}
		}
	}
	if h := string(call(http.MethodGet, "/v1/envs/hello/prod/hosts", nil)); !strings.Contains(h, "DB_PASSWORD=(secret)") {
		t.Errorf("the host's last error does not say where a secret was hidden: %s", h)
	}
	for _, s := range testSecrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the server's log holds the secret %q", s)
		}
	}
	// History says a secret changed, without saying what to.
	if h := string(call(http.MethodGet, "/v1/envs/hello/prod/history", nil)); !strings.Contains(h, "(secret, changed)") {
		t.Errorf("history does not say the secret changed: %s", h)
	}
}
