package core

// The HTTP status of each error code lives here, beside the codes, because three packages
// answer or read statuses — the API's JSON errors, the board's pages and the CLI, which
// sometimes gets only a status from a proxy — and a second table in any of them would drift.
// A status is a plain number on purpose: importing net/http for seven constants would pull
// the whole HTTP stack into every package that imports core, the workflows among them.

// codeStatuses pairs each code with its status; the one table both directions read.
var codeStatuses = [...]struct {
	code   string
	status int
}{
	{EINVALID, 400},      // Bad Request
	{EUNAUTHORIZED, 401}, // Unauthorized
	{EFORBIDDEN, 403},    // Forbidden
	{ENOTFOUND, 404},     // Not Found
	{ECONFLICT, 409},     // Conflict
	{EINTERNAL, 500},     // Internal Server Error
	{EUNAVAILABLE, 503},  // Service Unavailable
}

// statusInternal is the answer for a code nobody mapped: such a code is a bug, and its
// message was not written for users.
const statusInternal = 500

// HTTPStatus is the HTTP status that answers an error of code; unknown codes (and "") get
// 500, the status of EINTERNAL.
func HTTPStatus(code string) int {
	for _, cs := range codeStatuses {
		if cs.code == code {
			return cs.status
		}
	}
	return statusInternal
}

// CodeFromHTTPStatus is the error code of an answer that carries only a status, such as a
// proxy's HTML error page. Statuses a proxy uses when the server behind it is down or
// overloaded (429, 502, 504) are EUNAVAILABLE, since waiting and retrying may help; any other
// 4xx is EINVALID and any other 5xx EINTERNAL. A status below 400 is no error and gets "".
func CodeFromHTTPStatus(status int) string {
	for _, cs := range codeStatuses {
		if cs.status == status {
			return cs.code
		}
	}
	switch {
	case status < 400:
		return ""
	case status == 429, status == 502, status == 504:
		return EUNAVAILABLE
	case status < 500:
		return EINVALID
	}
	return EINTERNAL
}
