package board

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// auditView is what audit.html draws: the filters, as the address gave them. The entries
// are read by static/audit.js from GET /v1/audit, so that the API's rule (OPERATOR, in the
// environment filtered by) decides who sees them, not the page.
type auditView struct {
	Env, Stage, Actor, Since, Until string
}

// auditPage draws the audit trail's page with its filters.
func (b *Board) auditPage(c *gin.Context) {
	b.render(c, http.StatusOK, "audit.html", auditView{Env: c.Query("env"), Stage: c.Query("stage"),
		Actor: c.Query("actor"), Since: c.Query("since"), Until: c.Query("until")})
}
