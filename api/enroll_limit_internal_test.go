package api

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// TestEnrollLimiterRefills checks the bucket on a clock the test moves: the burst is
// spent, one enrollment comes back per 1/rate, never more than the burst, and a negative
// rate turns the limit off.
func TestEnrollLimiterRefills(t *testing.T) {
	now := time.Unix(0, 0)
	l := newEnrollLimiter(60, 2) // one a second after a burst of two
	l.now = func() time.Time { return now }
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	allowed := func() bool { return l.allow(c, "fleet", "h") == nil }
	if !allowed() || !allowed() || allowed() {
		t.Fatal("want exactly the burst of two at once")
	}
	now = now.Add(500 * time.Millisecond)
	if allowed() {
		t.Fatal("half a second gave back a whole enrollment")
	}
	now = now.Add(500 * time.Millisecond)
	if !allowed() || allowed() {
		t.Fatal("want one enrollment back after a second")
	}
	now = now.Add(time.Hour)
	if !allowed() || !allowed() || allowed() {
		t.Fatal("an hour idle must refill to the burst, not beyond")
	}
	off := newEnrollLimiter(-1, 1)
	for range 100 {
		if err := off.allow(c, "fleet", "h"); err != nil {
			t.Fatalf("limit off refused: %v", err)
		}
	}
}
