package core_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestCompareAlarm(t *testing.T) {
	for _, tc := range []struct {
		op       string
		v, th    float64
		want     bool
		wantErrs bool
	}{
		{">", 2.3, 1, true, false}, {">", 1, 1, false, false}, {"<", 0.5, 1, true, false},
		{">=", 1, 1, true, false}, {"<=", 2, 1, false, false}, {"==", 1, 1, true, false},
		{"!=", 1, 1, false, false}, {"=>", 1, 1, false, true}, {"", 1, 1, false, true},
	} {
		got, err := core.CompareAlarm(tc.op, tc.v, tc.th)
		if got != tc.want || (err != nil) != tc.wantErrs {
			t.Errorf("CompareAlarm(%q, %v, %v) = %v, %v", tc.op, tc.v, tc.th, got, err)
		}
	}
}

func TestAlarmStreaks(t *testing.T) {
	F, O, I := core.AlarmFiring, core.AlarmOK, core.AlarmInconclusive
	for _, tc := range []struct {
		name           string
		prev           []int
		outcomes       []string
		onInconclusive string
		want           []int
	}{
		{"firing adds, clear resets", []int{2, 1}, []string{F, O}, core.InconclusiveFiring, []int{3, 0}},
		{"inconclusive fires by default", []int{1}, []string{I}, "", []int{2}},
		{"inconclusive ignored keeps the streak", []int{1}, []string{I}, core.InconclusiveIgnore, []int{1}},
		{"a new alarm starts at zero", nil, []string{F, O}, core.InconclusiveFiring, []int{1, 0}},
	} {
		if got := core.AlarmStreaks(tc.prev, tc.outcomes, tc.onInconclusive); !slices.Equal(got, tc.want) {
			t.Errorf("%s: AlarmStreaks = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestActingAlarm(t *testing.T) {
	for _, tc := range []struct {
		streaks []int
		limit   int
		want    int
	}{
		{[]int{0, 1}, 1, 1}, {[]int{0, 1}, 0, 1}, {[]int{2, 3}, 3, 1}, {[]int{2, 2}, 3, -1}, {nil, 1, -1},
	} {
		if got := core.ActingAlarm(tc.streaks, tc.limit); got != tc.want {
			t.Errorf("ActingAlarm(%v, %d) = %d, want %d", tc.streaks, tc.limit, got, tc.want)
		}
	}
}

func TestAlarmsHold(t *testing.T) {
	if core.AlarmsHold(core.TypeRollback, false) {
		t.Error("a rollback is held by alarms by default; it must run while the alarm fires")
	}
	if !core.AlarmsHold(core.TypeRollback, true) || !core.AlarmsHold(core.TypeRegular, false) || !core.AlarmsHold(core.TypeHotfix, false) {
		t.Error("AlarmsHold refuses a deploy it should hold")
	}
}

func TestExpandAlarmQueryAndReason(t *testing.T) {
	got := core.ExpandAlarmQuery(`errors{env="{{env}}",stage="{{stage}}",build="{{build}}",deploy="{{deploy}}"}`, "e", "s", "b", "d")
	if got != `errors{env="e",stage="s",build="b",deploy="d"}` {
		t.Errorf("ExpandAlarmQuery = %s", got)
	}
	if r := core.PrometheusReason("p99", 2.3, ">", 1, true); r != "p99 = 2.3 > 1 (firing)" {
		t.Errorf("PrometheusReason = %s", r)
	}
}

func TestAlertActs(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status string
		starts time.Time
		want   bool
		why    string
	}{
		{core.AlertFiring, now.Add(-time.Minute), true, "firing"},
		{core.AlertFiring, time.Time{}, true, "firing"},
		{"", now, true, "firing"},
		{core.AlertFiring, now.Add(-time.Hour), false, "stale"},
		{core.AlertFiring, now.Add(time.Hour), false, "clock"},
		{core.AlertResolved, now, false, "resolved"},
		{"pending", now, false, "neither"},
	} {
		got, why := core.AlertActs(tc.status, tc.starts, now, 10*time.Minute)
		if got != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("AlertActs(%q, %v) = %v %q, want %v %q", tc.status, tc.starts, got, why, tc.want, tc.why)
		}
	}
}
