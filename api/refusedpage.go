package api

import (
	"html/template"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// refusedPage is what a browser sees when its caller may not read a board page: why, and
// a way to sign in as someone else. It links the board's stylesheet and runs no script.
var refusedPage = template.Must(template.New("refused").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Refused · Teletraan</title>
<link rel="stylesheet" href="/static/board.css"></head>
<body><header class="site"><a class="brand" href="/">Teletraan</a></header>
<main class="signin"><h1>Refused</h1><p class="error" id="why">{{.Why}}</p>
<p><a id="sign-in-again" href="/login?next={{.Next}}">Sign in as someone else</a></p></main>
</body></html>
`))

// refusePage answers a board page the caller may not read: an HTML page for a browser,
// the API's JSON error for anything else.
func (s *server) refusePage(c *gin.Context, err error) {
	if !strings.Contains(c.GetHeader("Accept"), "text/html") {
		s.fail(c, err)
		return
	}
	c.Set(errorCodeKey{}, core.ErrorCode(err))
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(httpStatus(core.ErrorCode(err)))
	_ = refusedPage.Execute(c.Writer, struct{ Why, Next string }{core.ErrorMessage(err), c.Request.URL.RequestURI()})
	c.Abort()
}
