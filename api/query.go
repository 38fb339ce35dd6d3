package api

import (
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// maxPageSize is the most rows one list request returns; the store enforces the same cap.
const maxPageSize = 500

// queryPage parses the limit and offset parameters of a list request.
func queryPage(c *gin.Context) (limit, offset int, err error) {
	if limit, err = queryLimit(c); err != nil {
		return 0, 0, err
	}
	offset, err = queryOffset(c)
	return limit, offset, err
}

// queryLimit parses the limit parameter; 0 (or absent) lets the store pick its default.
func queryLimit(c *gin.Context) (int, error) {
	n, err := queryCount(c, "limit")
	if err == nil && n > maxPageSize {
		return 0, core.FieldErrorf("limit", "must be at most %d, got %d", maxPageSize, n)
	}
	return n, err
}

// queryOffset parses the offset parameter; absent means 0.
func queryOffset(c *gin.Context) (int, error) {
	return queryCount(c, "offset")
}

// queryCount parses a non-negative integer query parameter; empty means absent. Bad values are refused rather
// than replaced by defaults, so that a script with a typo learns about it.
func queryCount(c *gin.Context, name string) (int, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, core.FieldErrorf(name, "must be a whole number, got %q", v)
	}
	if n < 0 {
		return 0, core.FieldErrorf(name, "must not be negative, got %d", n)
	}
	return n, nil
}
