package board

import (
	"testing"
	"time"
)

func TestFormatUTC(t *testing.T) {
	at := time.Date(2026, 11, 26, 13, 4, 5, 999_000_000, time.FixedZone("CET", 3600))
	if got, want := formatUTC(at), "2026-11-26 12:04:05 UTC"; got != want {
		t.Errorf("formatUTC = %q, want %q", got, want)
	}
}

func TestAge(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "0s"},
		{0, "0s"},
		{12*time.Second + 900*time.Millisecond, "12s"},
		{59 * time.Second, "59s"},
		{time.Minute, "1m"},
		{4*time.Minute + 10*time.Second, "4m10s"},
		{59*time.Minute + 59*time.Second, "59m59s"},
		{time.Hour, "1h"},
		{3*time.Hour + 5*time.Minute + 59*time.Second, "3h5m"},
		{47 * time.Hour, "1d23h"},
		{24 * time.Hour, "1d"},
		{50 * time.Hour, "2d2h"},
		{400 * 24 * time.Hour, "400d"},
	} {
		if got := age(tc.d); got != tc.want {
			t.Errorf("age(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestAgoAndAgoOrNever(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for _, tc := range []struct {
		t    *time.Time
		want string
	}{
		{nil, "never"},
		{at(0), "0s ago"},
		{at(-3 * time.Second), "0s ago"},
		{at(4*time.Minute + 10*time.Second), "4m10s ago"},
		{at(49 * time.Hour), "2d1h ago"},
	} {
		if got := agoOrNever(tc.t, now); got != tc.want {
			t.Errorf("agoOrNever(%v) = %q, want %q", tc.t, got, tc.want)
		}
		if tc.t != nil {
			if got := ago(*tc.t, now); got != tc.want {
				t.Errorf("ago(%v) = %q, want %q", *tc.t, got, tc.want)
			}
		}
	}
}
