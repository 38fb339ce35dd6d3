package core_test

import (
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		code string
		want int
	}{
		{core.EINVALID, http.StatusBadRequest},
		{core.EUNAUTHORIZED, http.StatusUnauthorized},
		{core.EFORBIDDEN, http.StatusForbidden},
		{core.ENOTFOUND, http.StatusNotFound},
		{core.ECONFLICT, http.StatusConflict},
		{core.EUNAVAILABLE, http.StatusServiceUnavailable},
		{core.EINTERNAL, http.StatusInternalServerError},
		{"", http.StatusInternalServerError},
		{"no_such_code", http.StatusInternalServerError},
	} {
		if got := core.HTTPStatus(tc.code); got != tc.want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", tc.code, got, tc.want)
		}
	}
}

func TestCodeFromHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusOK, ""},
		{http.StatusFound, ""},
		{http.StatusBadRequest, core.EINVALID},
		{http.StatusUnauthorized, core.EUNAUTHORIZED},
		{http.StatusForbidden, core.EFORBIDDEN},
		{http.StatusNotFound, core.ENOTFOUND},
		{http.StatusMethodNotAllowed, core.EINVALID},
		{http.StatusConflict, core.ECONFLICT},
		{http.StatusRequestEntityTooLarge, core.EINVALID},
		{http.StatusTooManyRequests, core.EUNAVAILABLE},
		{http.StatusInternalServerError, core.EINTERNAL},
		{http.StatusNotImplemented, core.EINTERNAL},
		{http.StatusBadGateway, core.EUNAVAILABLE},
		{http.StatusServiceUnavailable, core.EUNAVAILABLE},
		{http.StatusGatewayTimeout, core.EUNAVAILABLE},
	} {
		if got := core.CodeFromHTTPStatus(tc.status); got != tc.want {
			t.Errorf("CodeFromHTTPStatus(%d) = %q, want %q", tc.status, got, tc.want)
		}
	}
}

// Every code must come back from its own status, or a client that only sees the status
// would name the error differently from the server that sent it.
func TestEveryCodeRoundTripsThroughItsStatus(t *testing.T) {
	for _, code := range []string{core.EINVALID, core.EUNAUTHORIZED, core.EFORBIDDEN, core.ENOTFOUND,
		core.ECONFLICT, core.EUNAVAILABLE, core.EINTERNAL} {
		if got := core.CodeFromHTTPStatus(core.HTTPStatus(code)); got != code {
			t.Errorf("%q -> %d -> %q", code, core.HTTPStatus(code), got)
		}
	}
}
