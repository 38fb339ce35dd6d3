package board

import (
	"net/url"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestParseDeployHistoryQuery(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    deployHistoryQuery
		wantErr bool
	}{
		{"", deployHistoryQuery{Page: 1}, false},
		{"page=3", deployHistoryQuery{Page: 3}, false},
		{"type=rollback&state=+Succeeded+", deployHistoryQuery{Type: "ROLLBACK", State: "SUCCEEDED", Page: 1}, false},
		{"page=", deployHistoryQuery{Page: 1}, false},
		{"page=0", deployHistoryQuery{}, true},
		{"page=-2", deployHistoryQuery{}, true},
		{"page=two", deployHistoryQuery{}, true},
		{"page=1000001", deployHistoryQuery{}, true},
		{"page=99999999999999999999", deployHistoryQuery{}, true},
	} {
		v, err := url.ParseQuery(tc.raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseDeployHistoryQuery(v)
		if (err != nil) != tc.wantErr {
			t.Errorf("parse(%q) error = %v, want error %v", tc.raw, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && got != tc.want {
			t.Errorf("parse(%q) = %+v, want %+v", tc.raw, got, tc.want)
		}
	}
}

func TestDeployHistoryPath(t *testing.T) {
	for _, tc := range []struct {
		env, stage string
		q          deployHistoryQuery
		want       string
	}{
		{"hello", "prod", deployHistoryQuery{Page: 1}, "/envs/hello/prod/deploys"},
		{"hello", "prod", deployHistoryQuery{}, "/envs/hello/prod/deploys"},
		{"hello", "prod", deployHistoryQuery{Page: 2}, "/envs/hello/prod/deploys?page=2"},
		{"hello", "prod", deployHistoryQuery{Type: "HOTFIX", State: "FAILING", Page: 4}, "/envs/hello/prod/deploys?page=4&state=FAILING&type=HOTFIX"},
		{"a b", "c/d", deployHistoryQuery{Type: "x&y"}, "/envs/a%20b/c%2Fd/deploys?type=x%26y"},
	} {
		if got := deployHistoryPath(tc.env, tc.stage, tc.q); got != tc.want {
			t.Errorf("deployHistoryPath(%q, %q, %+v) = %q, want %q", tc.env, tc.stage, tc.q, got, tc.want)
		}
	}
}

func TestPreviousBuild(t *testing.T) {
	older := &schema.Deploy{BuildID: "b1"}
	for _, tc := range []struct {
		name  string
		d     schema.Deploy
		older *schema.Deploy
		want  string
	}{
		{"recorded by the deploy", schema.Deploy{BuildID: "b3", FromBuildID: "b2"}, older, "b2"},
		{"inferred from the deploy before", schema.Deploy{BuildID: "b3"}, older, "b1"},
		{"first deploy of the stage", schema.Deploy{BuildID: "b3"}, nil, ""},
		{"a restart replaces its own build", schema.Deploy{BuildID: "b3", FromBuildID: "b3"}, older, "b3"},
	} {
		if got := previousBuild(tc.d, tc.older); got != tc.want {
			t.Errorf("%s: previousBuild = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDeployFilterOptions(t *testing.T) {
	got := deployFilterOptions([]string{"A", "B"}, "B")
	want := []deployHistoryOption{{"", "any", false}, {"A", "A", false}, {"B", "B", true}}
	if len(got) != len(want) {
		t.Fatalf("options = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("option %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if all := deployFilterOptions(deployTypes, ""); !all[0].Selected || len(all) != 5 {
		t.Errorf("no filter should select \"any\" among 5 options: %+v", all)
	}
}
