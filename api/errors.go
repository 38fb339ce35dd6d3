package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// Error codes that only the HTTP layer produces: the store never limits body sizes or
// routes methods, so schema has no codes for them.
const (
	// codeTooLarge answers a body over maxBodyBytes, with status 413.
	codeTooLarge = "too_large"
	// codeMethodNotAllowed answers a known path asked with the wrong method, with status 405.
	codeMethodNotAllowed = "method_not_allowed"
	// codeRateLimited answers a token over its rate of new host enrollments, with status
	// 429 and a Retry-After header.
	codeRateLimited = "rate_limited"
)

// errorCodeKey keeps the code of the error a request was answered with, for the audit trail.
type errorCodeKey struct{}

// errorResponse is the body of every error answer, so that clients parse one shape.
type errorResponse struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// httpStatus maps an error code to its status. Unknown codes are internal errors: a code
// nobody mapped is a bug, and its message was not written for users.
func httpStatus(code string) int {
	switch code {
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeRateLimited:
		return http.StatusTooManyRequests
	}
	return core.HTTPStatus(code)
}

// fail ends the request with err as a JSON error. Internal errors are logged with the
// request id and answered with a generic message, so that no internal detail leaks while
// the user still has something to quote to an operator.
func (s *server) fail(c *gin.Context, err error) {
	status := httpStatus(core.ErrorCode(err))
	c.Set(errorCodeKey{}, core.ErrorCode(err))
	if status == http.StatusInternalServerError {
		s.logger.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("error", err.Error()))
		c.AbortWithStatusJSON(status, internalErrorResponse(c))
		return
	}
	if status == http.StatusUnauthorized {
		// RFC 9110 requires a challenge on every 401.
		c.Header("WWW-Authenticate", `Bearer realm="teletraan"`)
	}
	c.AbortWithStatusJSON(status, errorResponse{Error: errorDetail{
		Code:    core.ErrorCode(err),
		Message: core.ErrorMessage(err),
		Field:   core.ErrorField(err),
	}})
}

func internalErrorResponse(c *gin.Context) errorResponse {
	return errorResponse{Error: errorDetail{
		Code:    core.EINTERNAL,
		Message: fmt.Sprintf("internal error; the server log has the details (request id %s)", requestIDOf(c)),
	}}
}

// noRoute answers unknown paths in the API's error shape instead of gin's plain text.
func (s *server) noRoute(c *gin.Context) {
	s.fail(c, core.Errorf(core.ENOTFOUND, "no route for %s %s; the API is described at /v1/openapi.json", c.Request.Method, c.Request.URL.Path))
}

// noMethod answers a known path asked with an unsupported method; gin has already set the
// Allow header, which the message repeats for people reading the body.
func (s *server) noMethod(c *gin.Context) {
	s.fail(c, core.Errorf(codeMethodNotAllowed, "method %s is not allowed on %s; allowed: %s", c.Request.Method, c.Request.URL.Path, c.Writer.Header().Get("Allow")))
}

// recovery turns a panicking handler into a 500 JSON error. The panic value and stack go to
// the log only: they are exactly the internals a client must not see. gin's own writer is
// disabled so that the panic is logged once, through the injected logger.
func (s *server) recovery() gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		s.logger.LogAttrs(c.Request.Context(), slog.LevelError, "handler panicked",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("panic", fmt.Sprint(rec)),
			slog.String("stack", string(debug.Stack())))
		if c.Writer.Written() {
			// Part of a response is already on the wire; another status cannot follow it.
			c.Abort()
			return
		}
		c.AbortWithStatusJSON(http.StatusInternalServerError, internalErrorResponse(c))
	})
}
