package board

import (
	"net/http"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestErrorPageOf(t *testing.T) {
	for _, tc := range []struct {
		code string
		want errorPage
	}{
		{core.ENOTFOUND, errorPage{http.StatusNotFound, pageMissing, "Not found"}},
		{core.EINVALID, errorPage{http.StatusBadRequest, pageRefused, "Refused"}},
		{core.EUNAUTHORIZED, errorPage{http.StatusUnauthorized, pageRefused, "Refused"}},
		{core.EFORBIDDEN, errorPage{http.StatusForbidden, pageRefused, "Refused"}},
		{core.ECONFLICT, errorPage{http.StatusConflict, pageRefused, "Refused"}},
		{core.EUNAVAILABLE, errorPage{http.StatusServiceUnavailable, pageOutage, "Could not read"}},
		{core.EINTERNAL, errorPage{http.StatusInternalServerError, pageOutage, "Could not read"}},
		{"no_such_code", errorPage{http.StatusInternalServerError, pageOutage, "Could not read"}},
	} {
		if got := errorPageOf(tc.code); got != tc.want {
			t.Errorf("errorPageOf(%q) = %+v, want %+v", tc.code, got, tc.want)
		}
	}
}
