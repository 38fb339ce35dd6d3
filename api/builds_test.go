package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

type buildList struct {
	Builds []schema.Build `json:"builds"`
}

func TestPublishListAndGetBuilds(t *testing.T) {
	a := newTestAPI(t)

	rec := a.call(http.MethodPost, "/v1/builds", `{"name":"hello","artifactUrl":"https://builds.example.com/hello-1.tar.gz",
		"repo":"acme/hello","branch":"main","commit":"ABCDEF1234567","commitDate":"2026-01-02T15:04:05+01:00","publishInfo":"ci#7"}`)
	wantStatus(t, rec, http.StatusCreated)
	b := decode[schema.Build](t, rec)
	if loc := rec.Header().Get("Location"); loc != "/v1/builds/"+b.ID || b.ID == "" {
		t.Errorf("Location = %q, want /v1/builds/%s", loc, b.ID)
	}
	if b.Publisher != "alice" || b.CommitShort != "abcdef1" || b.CommitDate == nil || !b.CommitDate.Equal(mustTime(t, "2026-01-02T14:04:05Z")) {
		t.Errorf("published build = %+v, want publisher alice, short commit abcdef1, commit date 14:04:05Z", b)
	}
	a.publishBuild("hello", "1111111")
	other := a.publishBuild("other", "abcdef9")
	rec = a.call(http.MethodPost, "/v1/builds", `{"name":"hello","artifactUrl":"https://x/y.tar.gz","branch":"fix","commit":"2222222"}`)
	wantStatus(t, rec, http.StatusCreated)

	for _, tt := range []struct {
		query string
		want  int
	}{
		{"", 4},
		{"?name=hello", 3},
		{"?name=hello&branch=fix", 1},
		{"?commit=abcdef", 2},
		{"?name=other&commit=ABCDEF", 1},
		{"?limit=2", 2},
		{"?limit=2&offset=3", 1},
	} {
		rec := a.call(http.MethodGet, "/v1/builds"+tt.query, "")
		wantStatus(t, rec, http.StatusOK)
		if got := decode[buildList](t, rec); len(got.Builds) != tt.want {
			t.Errorf("GET /v1/builds%s listed %d builds, want %d", tt.query, len(got.Builds), tt.want)
		}
	}

	rec = a.call(http.MethodGet, "/v1/builds/"+other.ID, "")
	wantStatus(t, rec, http.StatusOK)
	if got := decode[schema.Build](t, rec); got.ID != other.ID || got.Name != "other" {
		t.Errorf("GET build = %+v, want %s", got, other.ID)
	}
	wantError(t, a.call(http.MethodGet, "/v1/builds/nope", ""), http.StatusNotFound, core.ENOTFOUND, "", "build nope does not exist")
}

func TestBuildRequestsAreValidated(t *testing.T) {
	a := newTestAPI(t)
	wantError(t, a.call(http.MethodGet, "/v1/builds?limit=ten", ""), http.StatusBadRequest, core.EINVALID, "limit", `got "ten"`)
	wantError(t, a.call(http.MethodGet, "/v1/builds?limit=501", ""), http.StatusBadRequest, core.EINVALID, "limit", "at most 500")
	wantError(t, a.call(http.MethodGet, "/v1/builds?limit=-1", ""), http.StatusBadRequest, core.EINVALID, "limit", "negative")
	wantError(t, a.call(http.MethodGet, "/v1/builds?offset=-3", ""), http.StatusBadRequest, core.EINVALID, "offset", "negative")
	wantError(t, a.call(http.MethodGet, "/v1/builds?commit=xyz", ""), http.StatusBadRequest, core.EINVALID, "commit", "commit hash prefix")

	wantError(t, a.call(http.MethodPost, "/v1/builds", `{"name":"hello","artifactUrl":"https://x/y.tar.gz","commitDate":"yesterday"}`),
		http.StatusBadRequest, core.EINVALID, "commitDate", "RFC 3339")
	wantError(t, a.call(http.MethodPost, "/v1/builds", `{"name":"hello"}`),
		http.StatusBadRequest, core.EINVALID, "artifactUrl", "is required")
	wantError(t, a.callWith(http.MethodPost, "/v1/builds", `{"name":"hello","artifactUrl":"https://x/y.tar.gz"}`, nil),
		http.StatusUnauthorized, core.EUNAUTHORIZED, "")
	if got := decode[buildList](t, a.call(http.MethodGet, "/v1/builds", "")); len(got.Builds) != 0 {
		t.Errorf("refused builds were stored: %+v", got.Builds)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
