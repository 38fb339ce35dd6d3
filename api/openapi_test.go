package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas         map[string]json.RawMessage `json:"schemas"`
		Responses       map[string]json.RawMessage `json:"responses"`
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

func fetchOpenAPI(t *testing.T, a *testAPI) (openAPIDoc, []byte) {
	t.Helper()
	rec := a.call(http.MethodGet, "/v1/openapi.json", "")
	wantStatus(t, rec, http.StatusOK)
	return decode[openAPIDoc](t, rec), rec.Body.Bytes()
}

var ginParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	a := newTestAPI(t)
	doc, _ := fetchOpenAPI(t, a)

	routes := map[string]bool{}
	for _, r := range a.engine.Routes() {
		path := ginParam.ReplaceAllString(r.Path, "{$1}")
		method := strings.ToLower(r.Method)
		routes[method+" "+path] = true
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("route %s %s is not documented in /v1/openapi.json", r.Method, path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !routes[method+" "+path] {
				t.Errorf("/v1/openapi.json documents %s %s, which is not a route", strings.ToUpper(method), path)
			}
		}
	}
	for _, must := range []string{"get /healthz", "get /v1/openapi.json", "post /v1/envs/{env}/{stage}/deploys"} {
		if !routes[must] {
			t.Errorf("route %s missing from the engine", must)
		}
	}
}

func TestOpenAPIDocumentIsComplete(t *testing.T) {
	a := newTestAPI(t)
	doc, raw := fetchOpenAPI(t, a)

	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	for _, name := range []string{"Stage", "StageConfig", "Alarm", "Capacity", "Build", "Deploy", "StageHost", "ConfigChange", "Error"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("components/schemas lacks %s", name)
		}
	}
	if b := doc.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("securitySchemes.bearer = %+v, want http bearer", b)
	}
	var stageConfig struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(doc.Components.Schemas["StageConfig"], &stageConfig); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"maxParallel", "successThreshold", "scriptVariables", "agentConfigs", "onFailure", "alarms"} {
		if _, ok := stageConfig.Properties[field]; !ok {
			t.Errorf("StageConfig schema lacks %s", field)
		}
	}

	// Every reference must resolve, or tools that load the document fail.
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/(schemas|responses)/([A-Za-z]+)"`).FindAllSubmatch(raw, -1)
	if len(refs) == 0 {
		t.Fatal("the document has no $ref at all")
	}
	for _, m := range refs {
		kind, name := string(m[1]), string(m[2])
		var ok bool
		if kind == "schemas" {
			_, ok = doc.Components.Schemas[name]
		} else {
			_, ok = doc.Components.Responses[name]
		}
		if !ok {
			t.Errorf("$ref #/components/%s/%s does not resolve", kind, name)
		}
	}

	var startDeploy struct {
		Security  []map[string][]string      `json:"security"`
		Responses map[string]json.RawMessage `json:"responses"`
	}
	if err := json.Unmarshal(doc.Paths["/v1/envs/{env}/{stage}/deploys"]["post"], &startDeploy); err != nil {
		t.Fatal(err)
	}
	if len(startDeploy.Security) == 0 {
		t.Error("POST deploys is not marked as needing the bearer token")
	}
	for _, status := range []string{"201", "400", "401", "404", "409", "503"} {
		if _, ok := startDeploy.Responses[status]; !ok {
			t.Errorf("POST deploys does not document %s", status)
		}
	}
}
