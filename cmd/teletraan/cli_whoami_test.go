package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWhoAmIPrintsTheTokensRoleAndScope(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			_, _ = io.WriteString(w, `{"name":"hello-ops","role":"OPERATOR","scope":"hello","canOperate":true,"canPublish":true,"expiresAt":"2030-01-02T03:04:05Z"}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"code":"unauthorized","message":"the token is not valid"}}`)
		}
	}))
	defer srv.Close()
	out, err := runCommand(t, "whoami", "--url", srv.URL, "--token", "good")
	if err != nil || !strings.Contains(out, "hello-ops: OPERATOR, environment hello") ||
		!strings.Contains(out, "may deploy and act on stages; may publish builds") || !strings.Contains(out, "expires 2030-01-02T03:04:05Z") {
		t.Fatalf("whoami: %v\n%s", err, out)
	}
	_, err = runCommand(t, "whoami", "--url", srv.URL, "--token", "bad")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "the token is not valid (HTTP 401)") {
		t.Fatalf("whoami with a bad token: %v", err)
	}
}
