package board

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// SignIn says which ways of signing in the sign-in page offers.
type SignIn struct {
	// OIDC offers "Sign in with <Provider>" (the API's /auth/oidc/login).
	OIDC bool
	// Provider names the OpenID provider on its button; empty says "single sign-on".
	Provider string
	// Proxy says people sign in at the reverse proxy in front of the board.
	Proxy bool
}

// loginView is what login.html draws.
type loginView struct {
	SignIn
	// Next is where signing in returns to; Why says why the browser was sent here.
	Next, Why string
}

// login draws the sign-in page: the provider's button when there is one, and a form that
// signs in with an API token (servers without a provider, and automation's tokens).
func (b *Board) login(c *gin.Context) {
	v := loginView{SignIn: b.SignIn, Next: c.Query("next"), Why: c.Query("why")}
	if v.Next == "" {
		v.Next = "/"
	}
	if v.Provider == "" {
		v.Provider = "single sign-on"
	}
	b.render(c, http.StatusOK, "login.html", v)
}
