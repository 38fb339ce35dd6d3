package core

import (
	"fmt"
	"time"
)

// Alert statuses, as Alertmanager sends them.
const (
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// alertClockSkew is how far in the future an alert's start may lie and still count as now:
// the sender's clock may run ahead of ours.
const alertClockSkew = 5 * time.Minute

// AlertActs decides whether an alert posted to a stage acts on its current deploy: only a
// firing alert that started within maxAge of now (a zero start means now, for senders
// that give none) does; a resolved one is only recorded, and so is a stale one, since a
// receiver replaying old alerts must not roll a stage back. why says which, for the
// record and the answer.
//
// Examples: (firing, now-1m, now, 10m) → true; (firing, now-1h, now, 10m) → false "stale";
// (resolved, ...) → false "resolved".
func AlertActs(status string, startsAt, now time.Time, maxAge time.Duration) (bool, string) {
	switch status {
	case AlertResolved:
		return false, "resolved: recorded, nothing to do"
	case AlertFiring, "":
	default:
		return false, fmt.Sprintf("status %q is neither firing nor resolved: recorded, nothing done", status)
	}
	if startsAt.IsZero() {
		return true, "firing"
	}
	if age := now.Sub(startsAt); age > maxAge {
		return false, fmt.Sprintf("stale: it started %s ago, longer than the stage's alertMaxAgeSeconds (%s): recorded, nothing done",
			age.Round(time.Second), maxAge)
	}
	if startsAt.Sub(now) > alertClockSkew {
		return false, fmt.Sprintf("it starts %s from now: the sender's clock is off; recorded, nothing done", startsAt.Sub(now).Round(time.Second))
	}
	return true, "firing"
}
