package core_test

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestAcceptanceValidate(t *testing.T) {
	ok := core.HTTPCheck{URL: "https://svc/health?d={deploy}&b={build}"}
	for _, tc := range []struct {
		name  string
		a     *core.Acceptance
		field string // "" when valid
	}{
		{"none", nil, ""},
		{"every kind", &core.Acceptance{BakeSeconds: 60, HTTP: []core.HTTPCheck{ok, {Name: "hosts", URL: "http://{host}:8080/", EachHost: true, EverySeconds: 10, ForSeconds: 120}},
			Command: &core.CommandCheck{Run: "make test"}, External: &core.ExternalVerdict{DeadlineSeconds: 3600}}, ""},
		{"bake out of range", &core.Acceptance{BakeSeconds: 8 * 24 * 3600}, "acceptance.bakeSeconds"},
		{"no url", &core.Acceptance{HTTP: []core.HTTPCheck{{}}}, "acceptance.http[0].url"},
		{"host without eachHost", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "http://{host}/"}}}, "acceptance.http[0].url"},
		{"unknown placeholder", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "http://svc/{port}"}}}, "acceptance.http[0].url"},
		{"not http", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "file:///etc/passwd"}}}, "acceptance.http[0].url"},
		{"duplicate names", &core.Acceptance{HTTP: []core.HTTPCheck{{Name: "a", URL: ok.URL}, {Name: "a", URL: ok.URL}}}, "acceptance.http[1].name"},
		{"bad status", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "http://svc/", ExpectStatus: 42}}}, "acceptance.http[0].expectStatus"},
		{"for shorter than every", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "http://svc/", EverySeconds: 10, ForSeconds: 5}}}, "acceptance.http[0].everySeconds"},
		{"too many rounds", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "http://svc/", EverySeconds: 1, ForSeconds: 3600}}}, "acceptance.http[0].everySeconds"},
		{"timeout", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "http://svc/", TimeoutSeconds: 301}}}, "acceptance.http[0].timeoutSeconds"},
		{"retries", &core.Acceptance{HTTP: []core.HTTPCheck{{URL: "http://svc/", Retries: 11}}}, "acceptance.http[0].retries"},
		{"empty command", &core.Acceptance{Command: &core.CommandCheck{Run: "  "}}, "acceptance.command.run"},
		{"command timeout", &core.Acceptance{Command: &core.CommandCheck{Run: "x", TimeoutSeconds: 90000}}, "acceptance.command.timeoutSeconds"},
		{"no deadline", &core.Acceptance{External: &core.ExternalVerdict{}}, "acceptance.external.deadlineSeconds"},
	} {
		err := tc.a.Validate()
		var e *core.Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v, want valid", tc.name, err)
		case tc.field != "" && (err == nil || !asError(err, &e) || e.Field != tc.field):
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
}

func asError(err error, e **core.Error) bool {
	ce, ok := err.(*core.Error)
	*e = ce
	return ok
}

func TestHTTPCheckRoundsAndURL(t *testing.T) {
	for _, tc := range []struct{ every, forS, want int }{{0, 0, 1}, {10, 120, 13}, {10, 125, 13}, {30, 30, 2}} {
		if got := (core.HTTPCheck{EverySeconds: tc.every, ForSeconds: tc.forS}).Rounds(); got != tc.want {
			t.Errorf("every %d for %d: %d rounds, want %d", tc.every, tc.forS, got, tc.want)
		}
	}
	got := core.ExpandURL("http://{host}/d/{deploy}?b={build}&s={env}/{stage}&c={commit}", core.AcceptanceVars{DeployID: "d1", BuildID: "b/1", Env: "e", Stage: "s", Host: "web-1", Commit: "abc"})
	if got != "http://web-1/d/d1?b=b%2F1&s=e/s&c=abc" {
		t.Errorf("ExpandURL = %s", got)
	}
}

func TestAcceptanceSummary(t *testing.T) {
	for _, tc := range []struct {
		status, reason string
		has            bool
		want           string
	}{
		{core.AcceptancePendingDeploy, "", false, "no acceptance configured"},
		{core.AcceptancePendingDeploy, "", true, "acceptance runs once the deploy reaches SUCCEEDING"},
		{core.AcceptancePendingAccept, "acceptance running: bake 1m0s", true, "acceptance running: bake 1m0s"},
		{core.AcceptanceRejected, "http check health failed", true, "REJECTED: http check health failed"},
		{core.AcceptanceAccepted, "ACCEPTED by bob: fine", true, "ACCEPTED by bob: fine"},
		{core.AcceptanceSuperseded, "", true, "SUPERSEDED"},
	} {
		if got := core.AcceptanceSummary(tc.status, tc.reason, tc.has); !strings.EqualFold(got, tc.want) {
			t.Errorf("AcceptanceSummary(%s, %q, %v) = %q, want %q", tc.status, tc.reason, tc.has, got, tc.want)
		}
	}
	if (&core.Acceptance{}).HasChecks() || (*core.Acceptance)(nil).HasChecks() || !(&core.Acceptance{BakeSeconds: 1}).HasChecks() {
		t.Error("HasChecks")
	}
}
