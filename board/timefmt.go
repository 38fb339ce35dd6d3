package board

import (
	"strconv"
	"time"
)

// utcLayout is how every page writes an instant: in UTC, to the second, zone spelled out, so
// that times pasted into an incident channel from different pages compare at a glance.
// static/board.js (teletraan.utc) writes the same.
const utcLayout = "2006-01-02 15:04:05 UTC"

// formatUTC writes t with utcLayout; templates call it as "utc".
func formatUTC(t time.Time) string {
	return t.UTC().Format(utcLayout)
}

// age is a duration as an operator reads it in a dense table: the largest unit and the next
// one, the next left out when it is zero ("45s", "4m10s", "3h", "3h5m", "2d4h"). A negative
// duration reads "0s": the clocks of server replicas differ by a little. static/hosts.js
// repeats it for the ping ages it refreshes.
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	pair := func(big int64, bigUnit string, small int64, smallUnit string) string {
		out := strconv.FormatInt(big, 10) + bigUnit
		if small > 0 {
			out += strconv.FormatInt(small, 10) + smallUnit
		}
		return out
	}
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return pair(s/60, "m", s%60, "s")
	case s < 86400:
		return pair(s/3600, "h", s%3600/60, "m")
	default:
		return pair(s/86400, "d", s%86400/3600, "h")
	}
}

// ago says how long before now t was: "45s ago", "3h5m ago".
func ago(t, now time.Time) string {
	return age(now.Sub(t)) + " ago"
}

// agoOrNever is ago for a time that may never have happened (a host that never pinged).
func agoOrNever(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return ago(*t, now)
}
