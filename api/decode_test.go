package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestBodyDecodingErrorsArePrecise(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("hello", "prod", "")

	tests := []struct {
		name      string
		method    string
		path      string
		body      string
		status    int
		code      string
		field     string
		fragments []string
	}{
		{"malformed", http.MethodPost, "/v1/envs", `{"envName":"hello",}`, http.StatusBadRequest, core.EINVALID, "",
			[]string{"request body is not valid JSON", "offset 19"}},
		{"truncated", http.MethodPost, "/v1/envs", `{"envName":"hello"`, http.StatusBadRequest, core.EINVALID, "",
			[]string{"request body is not valid JSON", "offset 18"}},
		{"unknown field", http.MethodPost, "/v1/envs", `{"envName":"hello","stageName":"beta","colour":"red"}`, http.StatusBadRequest, core.EINVALID, "colour",
			[]string{"colour: unknown field"}},
		{"wrong type", http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":"five"}`, http.StatusBadRequest, core.EINVALID, "maxParallel",
			[]string{"maxParallel: must be a number", "got string"}},
		{"fraction for integer", http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":1.5}`, http.StatusBadRequest, core.EINVALID, "maxParallel",
			[]string{"maxParallel: must be a number (an integer)"}},
		{"wrong map value type", http.MethodPut, "/v1/envs/hello/prod", `{"scriptVariables":{"A":1}}`, http.StatusBadRequest, core.EINVALID, "scriptVariables",
			[]string{"scriptVariables: every value must be a string", "got number"}},
		{"wrong element type", http.MethodPut, "/v1/envs/hello/prod/capacity", `{"hosts":["a",2]}`, http.StatusBadRequest, core.EINVALID, "hosts",
			[]string{"hosts: every element must be a string"}},
		{"not an object", http.MethodPost, "/v1/builds", `["x"]`, http.StatusBadRequest, core.EINVALID, "",
			[]string{"request body must be a JSON object, got array"}},
		{"null", http.MethodPut, "/v1/envs/hello/prod", `null`, http.StatusBadRequest, core.EINVALID, "",
			[]string{"must be a JSON object, got null"}},
		{"empty POST", http.MethodPost, "/v1/envs", ``, http.StatusBadRequest, core.EINVALID, "",
			[]string{"request body is required"}},
		{"blank PUT", http.MethodPut, "/v1/envs/hello/prod", "  \n", http.StatusBadRequest, core.EINVALID, "",
			[]string{"request body is required"}},
		{"two objects", http.MethodPut, "/v1/envs/hello/prod", `{"maxParallel":2} {"maxParallel":3}`, http.StatusBadRequest, core.EINVALID, "",
			[]string{"single JSON object", "offset 18"}},
		{"too large", http.MethodPost, "/v1/builds", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, http.StatusRequestEntityTooLarge, "too_large", "",
			[]string{"larger than the limit of 1048576 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, a.call(tt.method, tt.path, tt.body), tt.status, tt.code, tt.field, tt.fragments...)
		})
	}

	st, err := a.store.GetStage(t.Context(), "hello", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxParallel != 1 {
		t.Errorf("a refused body changed the stage: maxParallel = %d, want 1", st.MaxParallel)
	}
}
