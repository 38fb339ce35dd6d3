package board

import "testing"

// TestPathsEscapeNames checks that every board URL keeps a name inside its own path segment
// or query value, whatever characters the name holds.
func TestPathsEscapeNames(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"stage page", stagePath("hello", "prod", ""), "/envs/hello/prod"},
		{"stage subpage", stagePath("hello", "prod", "/hosts"), "/envs/hello/prod/hosts"},
		{"stage names with slash, space and query", stagePath("a/b", "c d?e#f", "/builds"), "/envs/a%2Fb/c%20d%3Fe%23f/builds"},
		{"hosts filter", hostsFilterPath("hello", "prod", "failed"), "/envs/hello/prod/hosts?state=failed"},
		{"hosts filter escapes the state", hostsFilterPath("a/b", "prod", "x&y=z"), "/envs/a%2Fb/prod/hosts?state=x%26y%3Dz"},
		{"host page", hostPagePath("web-1"), "/hosts/web-1"},
		{"host page with slash and space", hostPagePath("web 1/a"), "/hosts/web%201%2Fa"},
		{"host page with markup", hostPagePath("<script>"), "/hosts/%3Cscript%3E"},
		{"deploy page", deployPagePath("d1"), "/deploys/d1"},
		{"deploy page with slash", deployPagePath("d/1"), "/deploys/d%2F1"},
		{"build compare", buildComparePath("hello", "prod", "b1", "b2"), "/envs/hello/prod/builds/compare?from=b1&to=b2"},
		{"build compare escapes ids", buildComparePath("hello", "prod", "a&b", "c d"), "/envs/hello/prod/builds/compare?from=a%26b&to=c+d"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
