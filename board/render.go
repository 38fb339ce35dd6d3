package board

import (
	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// render writes one page; a template error after the status is sent can only be logged.
func (b *Board) render(c *gin.Context, status int, name string, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := b.pages.ExecuteTemplate(c.Writer, name, data); err != nil {
		b.Logger.Error("board: render "+name, "error", err)
	}
}

// loadStage reads the stage a page is about. When it cannot, it has already answered with
// the error page for the failure and reports false.
func (b *Board) loadStage(c *gin.Context, env, name string) (*schema.Stage, bool) {
	st, err := b.Store.GetStage(c.Request.Context(), env, name)
	if err != nil {
		b.renderUnreadable(c, "stage "+env+"/"+name, err)
		return nil, false
	}
	return st, true
}
