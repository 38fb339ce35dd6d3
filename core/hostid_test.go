package core_test

import (
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestPickHostID(t *testing.T) {
	ten := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	eleven := ten.Add(time.Hour)
	c := func(id string, at *time.Time) core.HostIDCandidate {
		return core.HostIDCandidate{ID: id, AgentUpdatedAt: at}
	}
	tests := []struct {
		name  string
		cands []core.HostIDCandidate
		want  string
	}{
		{"none", nil, ""},
		{"smallest without agent rows", []core.HostIDCandidate{c("b", nil), c("a", nil)}, "a"},
		{"an agent row beats a smaller id", []core.HostIDCandidate{c("a", nil), c("b", &ten)}, "b"},
		{"the latest agent row", []core.HostIDCandidate{c("a", &ten), c("b", &eleven)}, "b"},
		{"equal times: smallest", []core.HostIDCandidate{c("b", &ten), c("a", &ten)}, "a"},
	}
	for _, tt := range tests {
		if got := core.PickHostID(tt.cands); got != tt.want {
			t.Errorf("%s: PickHostID = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestBetterMemberBy(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"host", "group:a", true},
		{"group:a", "host", false},
		{"group:a", "group:b", true},
		{"group:b", "group:a", false},
		{"group:a", "", true},
		{"", "group:a", false},
		{"host", "host", false},
	}
	for _, tt := range tests {
		if got := core.BetterMemberBy(tt.a, tt.b); got != tt.want {
			t.Errorf("BetterMemberBy(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestWinners(t *testing.T) {
	claims := []core.MemberClaim{
		{EnvName: "web", StageName: "a", By: core.MemberByGroup},
		{EnvName: "web", StageName: "b", By: core.MemberByHost},
		{EnvName: "api", StageName: "x", By: core.MemberByGroup},
		{EnvName: "api", StageName: "w", By: core.MemberByGroup},
		{EnvName: "db", StageName: "a", By: core.NotMember},
	}
	want := []bool{false, true, false, true, false}
	got := core.Winners(claims)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Winners[%d] (%s/%s) = %v, want %v", i, claims[i].EnvName, claims[i].StageName, got[i], want[i])
		}
	}
}
