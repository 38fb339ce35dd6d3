package api

import "github.com/gin-gonic/gin"

// ContentSecurityPolicy is the policy every response carries. Scripts and style sheets
// come only from this origin (the board's vendored /static files), so an injected
// <script> or on* attribute never runs; the board's only inline styles are the progress
// bars' width attributes (style-src-attr), which cannot run code. frame-ancestors 'none'
// stops other sites from framing the board to trick an operator into clicking Abort.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders are the headers every response of the API and the board carries, by name.
var SecurityHeaders = map[string]string{
	"Content-Security-Policy": ContentSecurityPolicy,
	// X-Frame-Options is frame-ancestors for browsers that predate CSP level 2.
	"X-Frame-Options": "DENY",
	// A JSON answer holding user text must never be sniffed into HTML or script.
	"X-Content-Type-Options": "nosniff",
	// Board URLs name environments, stages and hosts; other sites need not learn them.
	"Referrer-Policy": "same-origin",
}

// securityHeaders sets SecurityHeaders before the handler runs, so that errors, 404s and
// panics answered by later middleware carry them too.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		for name, value := range SecurityHeaders {
			h.Set(name, value)
		}
		c.Next()
	}
}
