package board

import (
	"net/url"
	"strings"
	"testing"
)

func TestHostFilterMatches(t *testing.T) {
	for _, tc := range []struct {
		filter                  hostFilter
		name, color, agentState string
		want                    bool
	}{
		{hostFilter{}, "web-1", colorServing, "NORMAL", true},
		{hostFilter{Name: "WEB"}, "web-1", colorServing, "NORMAL", true},
		{hostFilter{Name: "db"}, "web-1", colorServing, "NORMAL", false},
		{hostFilter{State: colorFailed}, "web-1", colorFailed, "PAUSED_BY_SYSTEM", true},
		{hostFilter{State: colorFailed}, "web-1", colorServing, "NORMAL", false},
		{hostFilter{State: "PAUSED_BY_USER"}, "web-1", colorPaused, "PAUSED_BY_USER", true},
		{hostFilter{State: "PAUSED_BY_USER"}, "web-1", colorPaused, "STOP", false},
		// Colours are lower case, agent states upper case: one does not match the other.
		{hostFilter{State: colorUnreachable}, "web-1", colorOther, "UNREACHABLE", false},
		{hostFilter{State: "UNREACHABLE"}, "web-1", colorUnreachable, "", false},
		{hostFilter{Name: "web", State: colorFailed}, "db-1", colorFailed, "", false},
	} {
		if got := tc.filter.matches(tc.name, tc.color, tc.agentState); got != tc.want {
			t.Errorf("%+v.matches(%q, %q, %q) = %v, want %v", tc.filter, tc.name, tc.color, tc.agentState, got, tc.want)
		}
	}
}

func TestParseHostFilter(t *testing.T) {
	for _, tc := range []struct {
		query       string
		want        hostFilter
		wantUnknown string
	}{
		{"", hostFilter{}, ""},
		{"name=+web-1+&state=failed", hostFilter{Name: "web-1", State: "failed"}, ""},
		{"state=PAUSED_BY_SYSTEM", hostFilter{State: "PAUSED_BY_SYSTEM"}, ""},
		{"state=FAILED", hostFilter{}, "FAILED"},
		{"state=paused_by_user&name=x", hostFilter{Name: "x"}, "paused_by_user"},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got, unknown := parseHostFilter(q)
		if got != tc.want || unknown != tc.wantUnknown {
			t.Errorf("parseHostFilter(%q) = %+v, %q; want %+v, %q", tc.query, got, unknown, tc.want, tc.wantUnknown)
		}
	}
}

func TestErrorHeadline(t *testing.T) {
	long := strings.Repeat("é", 130)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"boom", "boom"},
		{"\n  \n  first line  \nsecond", "first line"},
		{long, strings.Repeat("é", 120) + "…"},
	} {
		if got := errorHeadline(tc.in); got != tc.want {
			t.Errorf("errorHeadline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMembershipLabel(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"host", "named in capacity"},
		{"group:web-fleet", "group web-fleet"},
		{"removed", "removed from capacity, still reporting"},
		{"", ""},
	} {
		if got := membershipLabel(tc.in); got != tc.want {
			t.Errorf("membershipLabel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
