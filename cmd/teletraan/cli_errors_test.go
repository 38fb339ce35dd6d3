package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestCLIReadsTheCodeOfEveryErrorAnswer(t *testing.T) {
	page := "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		code        string
		message     string
	}{
		{"the API's error", 409, "application/json", `{"error":{"code":"conflict","message":"deploy d1 is not paused"}}`, core.ECONFLICT, "deploy d1 is not paused"},
		{"the API's code wins over the status", 400, "application/json", `{"error":{"code":"not_found","message":"no build b9"}}`, core.ENOTFOUND, "no build b9"},
		{"an error without a code", 403, "application/json", `{"error":{"message":"no"}}`, core.EFORBIDDEN, "no"},
		{"a proxy's page", 502, "text/html", page, core.EUNAVAILABLE, "the answer is not the Teletraan API's (text/html, 111 bytes)"},
		{"markup without a content type", 404, "", "<h1>gone</h1>", core.ENOTFOUND, "the answer is not the Teletraan API's (no content type, 13 bytes)"},
		{"a line of plain text", 404, "text/plain; charset=utf-8", "404 page not found\n", core.ENOTFOUND, "404 page not found"},
		{"an empty body", 503, "", "", core.EUNAVAILABLE, "the server answered with an empty body"},
		{"a long text", 500, "text/plain", strings.Repeat("x", maxQuotedAnswer+1), core.EINTERNAL, "the answer is not the Teletraan API's (text/plain, 201 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAPIError(tc.status, tc.contentType, []byte(tc.body))
			if e.Code != tc.code || e.Status != tc.status || !strings.HasPrefix(e.Message, tc.message) {
				t.Errorf("newAPIError = %+v, want code %q and a message starting %q", e, tc.code, tc.message)
			}
			if !strings.HasSuffix(e.Error(), fmt.Sprintf("(HTTP %d)", tc.status)) {
				t.Errorf("Error() = %q does not end with the status", e.Error())
			}
		})
	}
}

func TestCLICodeOf(t *testing.T) {
	answer := newAPIError(404, "application/json", []byte(`{"error":{"code":"not_found","message":"nothing is queued"}}`))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no error", nil, ""},
		{"an answer", answer, core.ENOTFOUND},
		{"a wrapped answer", fmt.Errorf("wait: %w", answer), core.ENOTFOUND},
		{"not an answer", errors.New("cannot reach the Teletraan API"), ""},
	} {
		if got := codeOf(tc.err); got != tc.want {
			t.Errorf("%s: codeOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}
