package api

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// Defaults of Deps.EnrollmentsPerMinute and Deps.EnrollmentBurst.
const (
	defaultEnrollmentsPerMinute = 600
	defaultEnrollmentBurst      = 1000
)

// enrollLimiter is a token bucket per API token over the pings that enroll a new host id.
// Buckets live in this replica's memory, so N replicas admit up to N times the rate; the
// bound is on damage (rows created by a leaked fleet token), not an exact quota. Only
// tokens that authenticated reach it, so the map is bounded by the tokens in the database.
type enrollLimiter struct {
	perSecond float64 // 0 turns the limit off
	burst     float64
	now       func() time.Time // tests replace it

	mu      sync.Mutex
	buckets map[string]*enrollBucket
}

// enrollBucket is one token's allowance: tokens left at the time of the last refill.
type enrollBucket struct {
	left float64
	at   time.Time
}

func newEnrollLimiter(perMinute, burst int) *enrollLimiter {
	if perMinute == 0 {
		perMinute = defaultEnrollmentsPerMinute
	}
	if burst <= 0 {
		burst = defaultEnrollmentBurst
	}
	l := &enrollLimiter{burst: float64(burst), now: time.Now, buckets: map[string]*enrollBucket{}}
	if perMinute > 0 {
		l.perSecond = float64(perMinute) / 60
	}
	return l
}

// allow spends one enrollment of tokenName, or refuses the ping enrolling hostID with
// 429 and a Retry-After header saying when the next one is allowed.
func (l *enrollLimiter) allow(c *gin.Context, tokenName, hostID string) error {
	if l.perSecond == 0 {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	b, ok := l.buckets[tokenName]
	if !ok {
		b = &enrollBucket{left: l.burst, at: now}
		l.buckets[tokenName] = b
	}
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.left = math.Min(l.burst, b.left+elapsed*l.perSecond)
	}
	b.at = now
	if b.left >= 1 {
		b.left--
		l.mu.Unlock()
		return nil
	}
	wait := int(math.Ceil((1 - b.left) / l.perSecond))
	l.mu.Unlock()
	c.Header("Retry-After", strconv.Itoa(wait))
	return core.Errorf(codeRateLimited, "token %q enrolled new hosts faster than %.0f per minute (after a burst of %.0f), so host %s is not enrolled; retry in %d s (pings of hosts already enrolled are not limited)",
		tokenName, l.perSecond*60, l.burst, hostID, wait)
}
