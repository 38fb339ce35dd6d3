package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Alarm kinds: what an alarm asks to learn whether it fires.
const (
	// AlarmKindHTTP GETs a URL: non-2xx, or a JSON body {"firing": true}, fires.
	AlarmKindHTTP = "HTTP"
	// AlarmKindPrometheus runs a PromQL instant query and compares its value with a threshold.
	AlarmKindPrometheus = "PROMETHEUS"
)

// Firing policies of a stage (its alarm policy's onFiring): what a deploy does when an
// alarm or an alert acts on it.
const (
	// FiringPause pauses the deploy: no host is admitted until a person resumes, aborts or
	// rolls back.
	FiringPause = "PAUSE"
	// FiringFail puts the deploy FAILING; the stage's onFailure policy applies as to any
	// FAILING deploy.
	FiringFail = "FAIL"
	// FiringRollback puts the deploy FAILING and rolls the stage back to its last good
	// build, whatever onFailure says.
	FiringRollback = "ROLLBACK"
)

// What an inconclusive check (a query that failed or returned nothing, an endpoint that
// could not be reached) counts as.
const (
	// InconclusiveFiring counts it as firing: a deploy must not widen blind.
	InconclusiveFiring = "FIRING"
	// InconclusiveIgnore counts it as neither firing nor clear: the streak stays.
	InconclusiveIgnore = "IGNORE"
)

// Outcomes of one alarm check.
const (
	AlarmOK           = "OK"
	AlarmFiring       = "FIRING"
	AlarmInconclusive = "INCONCLUSIVE"
)

// DefaultAlarmInterval is how often a stage's alarms are checked while hosts are in
// flight and during a bake, when the stage sets no interval.
const DefaultAlarmInterval = 15 * time.Second

// AlarmOps are the comparisons a Prometheus alarm may make; "" means it fires when the
// query returns any series.
func AlarmOps() []string { return []string{">", "<", ">=", "<=", "==", "!="} }

// CompareAlarm reports whether value op threshold holds, that is whether the alarm fires.
//
// Example: (">", 2.3, 1) → true; ("<=", 2, 1) → false.
func CompareAlarm(op string, value, threshold float64) (bool, error) {
	switch op {
	case ">":
		return value > threshold, nil
	case "<":
		return value < threshold, nil
	case ">=":
		return value >= threshold, nil
	case "<=":
		return value <= threshold, nil
	case "==":
		return value == threshold, nil
	case "!=":
		return value != threshold, nil
	}
	return false, fmt.Errorf("%q is not a comparison: use one of %s", op, strings.Join(AlarmOps(), " "))
}

// PrometheusReason is the reason a Prometheus alarm gives: the value it read, the
// comparison and the threshold, and whether it fires.
//
// Example: ("p99", 2.3, ">", 1, true) → "p99 = 2.3 > 1 (firing)".
func PrometheusReason(name string, value float64, op string, threshold float64, firing bool) string {
	v, th := strconv.FormatFloat(value, 'g', 6, 64), strconv.FormatFloat(threshold, 'g', 6, 64)
	if firing {
		return fmt.Sprintf("%s = %s %s %s (firing)", name, v, op, th)
	}
	return fmt.Sprintf("%s = %s, fires when %s %s", name, v, op, th)
}

// ExpandAlarmQuery replaces a query's placeholders {{env}}, {{stage}}, {{build}} and
// {{deploy}} with the deploy's values.
//
// Example: `rate(errors{env="{{env}}"}[5m])` with env "hello" → `rate(errors{env="hello"}[5m])`.
func ExpandAlarmQuery(query, env, stage, build, deploy string) string {
	return strings.NewReplacer("{{env}}", env, "{{stage}}", stage, "{{build}}", build, "{{deploy}}", deploy).Replace(query)
}

// AlarmStreaks is the count of consecutive firing checks per alarm after one more round
// of checks: a firing check adds one, a clear one resets to zero, and an inconclusive one
// adds one when inconclusive counts as firing and leaves the count otherwise. prev may be
// shorter than outcomes (a round with a new alarm) and is not changed.
//
// Example: prev [2 1], outcomes [FIRING OK] → [3 0].
func AlarmStreaks(prev []int, outcomes []string, onInconclusive string) []int {
	out := make([]int, len(outcomes))
	for i, o := range outcomes {
		if i < len(prev) {
			out[i] = prev[i]
		}
		switch {
		case o == AlarmFiring, o == AlarmInconclusive && onInconclusive != InconclusiveIgnore:
			out[i]++
		case o == AlarmOK:
			out[i] = 0
		}
	}
	return out
}

// ActingAlarm is the index of the first alarm whose streak reached failureLimit (below 1
// means 1), or -1 when none acts yet.
func ActingAlarm(streaks []int, failureLimit int) int {
	failureLimit = max(failureLimit, 1)
	for i, s := range streaks {
		if s >= failureLimit {
			return i
		}
	}
	return -1
}

// AlarmsHold reports whether a stage's alarms (and alerts) hold a deploy of deployType: every
// deploy but a ROLLBACK, which is the fix for what the alarm says and must run while it
// fires, unless the stage opts in with holdRollbacks.
func AlarmsHold(deployType string, holdRollbacks bool) bool {
	return deployType != TypeRollback || holdRollbacks
}
