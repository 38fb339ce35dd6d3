package board

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// notFoundPage is what notfound.html draws: the thing a page is about that could not be read.
type notFoundPage struct {
	What string
	// Outage says the database failed, rather than that the thing does not exist.
	Outage bool
}

// render writes one page; a template error after the status is sent can only be logged.
func (b *Board) render(c *gin.Context, status int, name string, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := b.pages.ExecuteTemplate(c.Writer, name, data); err != nil {
		b.Logger.Error("board: render "+name, "error", err)
	}
}

// renderUnreadable answers a page whose subject (what, such as "stage hello/prod") could not
// be read: 404 when the store says it does not exist, 500 when the database failed, so that
// an operator can tell a mistyped link from an outage.
func (b *Board) renderUnreadable(c *gin.Context, what string, err error) {
	if core.ErrorCode(err) == core.ENOTFOUND {
		b.render(c, http.StatusNotFound, "notfound.html", notFoundPage{What: what})
		return
	}
	b.Logger.Error("board: read "+what, "error", err)
	b.render(c, http.StatusInternalServerError, "notfound.html", notFoundPage{What: what, Outage: true})
}

// loadStage reads the stage a page is about. When it cannot, it has already answered with
// the not-found page (404, or 500 when the database failed) and reports false.
func (b *Board) loadStage(c *gin.Context, env, name string) (*schema.Stage, bool) {
	st, err := b.Store.GetStage(c.Request.Context(), env, name)
	if err != nil {
		b.renderUnreadable(c, "stage "+env+"/"+name, err)
		return nil, false
	}
	return st, true
}
