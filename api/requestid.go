package api

import (
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// requestIDHeader carries the id that ties a client's request to the server's log lines.
const requestIDHeader = "X-Request-ID"

// requestIDRE limits incoming ids to characters that cannot forge log lines or headers.
var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type requestIDKey struct{}

// requestID adopts the caller's X-Request-ID when it is safe, so that a proxy's id follows
// the request into our logs, and mints one otherwise.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !requestIDRE.MatchString(id) {
			id = schema.NewID()
		}
		c.Set(requestIDKey{}, id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

func requestIDOf(c *gin.Context) string {
	v, _ := c.Get(requestIDKey{})
	id, _ := v.(string)
	return id
}
