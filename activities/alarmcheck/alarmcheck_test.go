package alarmcheck

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckNeverRepeatsAnAlarmURLsSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("api_key") != "s3cret" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, `{"firing": true}`)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, tt := range []struct{ url, want string }{
		{srv.URL + "/errors?api_key=s3cret", srv.URL + "/errors?api_key=(secret) reports"},
		{srv.URL + "/errors?api_key=wrong", srv.URL + "/errors?api_key=(secret) answered HTTP 403"},
		{"http://user:s3cret@" + host + "/errors", "http://(secret)@" + host + "/errors answered HTTP 403"},
		{"http://127.0.0.1:1/errors?api_key=s3cret", "unreachable: GET http://127.0.0.1:1/errors?api_key=(secret): "},
		{srv.URL + "/plain", srv.URL + "/plain answered HTTP 403"},
	} {
		firing, detail := Check(context.Background(), nil, tt.url)
		if !firing || !strings.Contains(detail, tt.want) || strings.Contains(detail, "s3cret") {
			t.Errorf("Check(%s) = %v, %q; want firing, saying %q, without the secret", tt.url, firing, detail, tt.want)
		}
	}
}
