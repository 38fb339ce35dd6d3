package board

import (
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// The kinds of error page, which tell the reader what to do next: fix the link (missing),
// read why and change the request (refused), or wait and retry (outage).
const (
	pageMissing = "missing"
	pageRefused = "refused"
	pageOutage  = "outage"
)

// errorPage is how the board answers an error of one code.
type errorPage struct {
	// Status is the answer's status, the API's for the same code (core.HTTPStatus), so that
	// a script probing a board URL learns what a client of the API would.
	Status int
	Kind   string
	// Title heads the page and names its tab.
	Title string
}

// errorPageOf maps an error code to the page that answers it. It is the board's only such
// mapping: every handler that cannot show what it was asked for goes through it. An unknown
// code is an outage, as it is a 500 in the API: its message was not written for users.
func errorPageOf(code string) errorPage {
	status := core.HTTPStatus(code)
	switch {
	case code == core.ENOTFOUND:
		return errorPage{Status: status, Kind: pageMissing, Title: "Not found"}
	case status >= 500:
		return errorPage{Status: status, Kind: pageOutage, Title: "Could not read"}
	}
	return errorPage{Status: status, Kind: pageRefused, Title: "Refused"}
}

// errorView is what error.html draws: the thing a page is about that could not be shown.
type errorView struct {
	errorPage
	What string
	// Message is the domain error's own message, shown on a refusal only: an outage's
	// message may hold internals, which go to the log.
	Message string
}

// renderUnreadable answers a page whose subject (what, such as "stage hello/prod") could not
// be read, with the page errorPageOf picks for err's code, so that an operator can tell a
// mistyped link from a refusal and from an outage. An outage is logged, being ours to fix.
func (b *Board) renderUnreadable(c *gin.Context, what string, err error) {
	p := errorPageOf(core.ErrorCode(err))
	v := errorView{errorPage: p, What: what}
	switch p.Kind {
	case pageOutage:
		b.Logger.Error("board: read "+what, "error", err)
	case pageRefused:
		v.Message = core.ErrorMessage(err)
	}
	b.render(c, p.Status, "error.html", v)
}
