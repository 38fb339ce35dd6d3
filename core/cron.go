package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed five-field cron expression (minute hour day-of-month month day-of-week),
// the dialect Temporal Schedules accept in CronExpressions. It is parsed here so that a
// promote config is refused with a clear error before a schedule is made from it.
type Cron struct {
	minute, hour, dom, month, dow uint64
	// domStar and dowStar record a "*" day field: cron fires on either day field matching
	// only when both are restricted.
	domStar, dowStar bool
	// every is the interval of "@every 30s", which Temporal Schedules also accept.
	every time.Duration
}

var cronMonths = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

var cronDays = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// ParseCron parses expr ("0 9 * * mon-fri", or "@every 10m"), or says which field is
// wrong and why.
func ParseCron(expr string) (Cron, error) {
	if rest, ok := strings.CutPrefix(expr, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second {
			return Cron{}, fmt.Errorf("%q: @every takes a duration of at least 1s, such as @every 15m", expr)
		}
		return Cron{every: d}, nil
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return Cron{}, fmt.Errorf("%q has %d fields; a cron expression has 5: minute hour day-of-month month day-of-week, such as \"0 9 * * mon-fri\"", expr, len(fields))
	}
	var c Cron
	var err error
	specs := []struct {
		name     string
		lo, hi   int
		names    map[string]int
		out      *uint64
		starFlag *bool
	}{
		{"minute", 0, 59, nil, &c.minute, nil},
		{"hour", 0, 23, nil, &c.hour, nil},
		{"day-of-month", 1, 31, nil, &c.dom, &c.domStar},
		{"month", 1, 12, cronMonths, &c.month, nil},
		{"day-of-week", 0, 7, cronDays, &c.dow, &c.dowStar},
	}
	for i, s := range specs {
		if *s.out, err = parseCronField(fields[i], s.lo, s.hi, s.names); err != nil {
			return Cron{}, fmt.Errorf("%s field %q: %w", s.name, fields[i], err)
		}
		if s.starFlag != nil {
			*s.starFlag = fields[i] == "*" || fields[i] == "?"
		}
	}
	// 7 is Sunday too.
	if c.dow&(1<<7) != 0 {
		c.dow |= 1
	}
	return c, nil
}

func parseCronField(f string, lo, hi int, names map[string]int) (uint64, error) {
	var bits uint64
	for part := range strings.SplitSeq(f, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = cronValue(a, lo, hi, names); err != nil {
				return 0, err
			}
			if to, err = cronValue(b, lo, hi, names); err != nil {
				return 0, err
			}
			if from > to {
				return 0, fmt.Errorf("range %s runs backwards", rng)
			}
		default:
			v, err := cronValue(rng, lo, hi, names)
			if err != nil {
				return 0, err
			}
			from, to = v, v
			if hasStep {
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func cronValue(s string, lo, hi int, names map[string]int) (int, error) {
	if v, ok := names[strings.ToLower(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", v, lo, hi)
	}
	return v, nil
}

// Next is the first time after t, to the minute, at which c fires in t's location, or the
// zero time when it fires on no day within five years (such as "0 0 30 2 *").
func (c Cron) Next(t time.Time) time.Time {
	if c.every > 0 {
		return t.Truncate(c.every).Add(c.every)
	}
	loc := t.Location()
	t = t.Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		if c.month&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
			continue
		}
		if c.hour&(1<<uint(t.Hour())) == 0 {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
			continue
		}
		if c.minute&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}

func (c Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}
