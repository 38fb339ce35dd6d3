package board

import (
	"strings"
	"testing"
)

const (
	shaOld = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaNew = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestCommitURL(t *testing.T) {
	for _, tc := range []struct {
		repo, sha, want string
	}{
		{"https://github.com/acme/hello", shaOld, "https://github.com/acme/hello/commit/" + shaOld},
		{"https://github.com/acme/hello.git", shaOld, "https://github.com/acme/hello/commit/" + shaOld},
		{"https://github.com/acme/hello/", "abc1234", "https://github.com/acme/hello/commit/abc1234"},
		{"git@github.com:acme/hello.git", shaOld, "https://github.com/acme/hello/commit/" + shaOld},
		{"ssh://git@github.com:22/acme/hello.git", shaOld, "https://github.com/acme/hello/commit/" + shaOld},
		{"github.com/acme/hello", shaOld, "https://github.com/acme/hello/commit/" + shaOld},
		{"HTTPS://GitHub.com/Acme/Hello", shaOld, "https://github.com/Acme/Hello/commit/" + shaOld},
		{"https://gitlab.com/acme/tools/hello", shaOld, "https://gitlab.com/acme/tools/hello/-/commit/" + shaOld},
		{"https://gitlab.example.com/acme/hello.git", shaOld, "https://gitlab.example.com/acme/hello/-/commit/" + shaOld},
		{"git@gitlab.example.com:acme/hello.git", shaOld, "https://gitlab.example.com/acme/hello/-/commit/" + shaOld},
		{"https://bitbucket.org/acme/hello", shaOld, "https://bitbucket.org/acme/hello/commits/" + shaOld},
		{"git@bitbucket.org:acme/hello.git", shaOld, "https://bitbucket.org/acme/hello/commits/" + shaOld},
		{"http://git.internal:3000/acme/hello", shaOld, "http://git.internal:3000/acme/hello/commit/" + shaOld},
		{"https://code.example.com/acme/hello.git", shaOld, "https://code.example.com/acme/hello/commit/" + shaOld},
		// Unknown or unsafe: no link rather than a wrong or dangerous one.
		{"", shaOld, ""},
		{"acme/hello", shaOld, ""},
		{"https://github.com/acme/hello", "", ""},
		{"https://github.com/acme/hello", "not-a-sha", ""},
		{"https://github.com/acme/hello", "abc", ""},
		{"https://github.com/acme/hello", `abc1234"><script>`, ""},
		{"javascript:alert(1)//github.com/acme/hello", shaOld, ""},
		{"javascript://github.com/acme/hello", shaOld, ""},
		{"data:text/html,<script>alert(1)</script>", shaOld, ""},
		{"file:///srv/git/acme/hello", shaOld, ""},
		{"ftp://github.com/acme/hello", shaOld, ""},
		{"https://user:secret@github.com/acme/hello", shaOld, ""},
		{"https://github.com/acme/hello?x=1", shaOld, ""},
		{"https://github.com/acme/hello#readme", shaOld, ""},
		{"https://github.com/acme", shaOld, ""},
		{"https://github.com/acme/hello/tree/main", shaOld, ""},
		{"https://github.com/acme/../hello", shaOld, ""},
		{"https://github.com/acme/<script>", shaOld, ""},
		{"https://github.com/acme/hel%22lo", shaOld, ""},
		{"https://evil.com\\@github.com/acme/hello", shaOld, ""},
		{"https:///acme/hello", shaOld, ""},
		{"https://bitbucket.org/acme/tools/hello", shaOld, ""},
		{"https://gitlab.com/hello", shaOld, ""},
	} {
		if got := commitURL(tc.repo, tc.sha); got != tc.want {
			t.Errorf("commitURL(%q, %q) = %q, want %q", tc.repo, tc.sha, got, tc.want)
		}
	}
}

func TestCompareURL(t *testing.T) {
	for _, tc := range []struct {
		repo, from, to, want string
	}{
		{"https://github.com/acme/hello", shaOld, shaNew, "https://github.com/acme/hello/compare/" + shaOld + "..." + shaNew},
		{"git@github.com:acme/hello.git", "abc1234", "def5678", "https://github.com/acme/hello/compare/abc1234...def5678"},
		{"https://gitlab.com/acme/tools/hello.git", shaOld, shaNew, "https://gitlab.com/acme/tools/hello/-/compare/" + shaOld + "..." + shaNew},
		{"https://gitlab.corp.example/acme/hello", shaOld, shaNew, "https://gitlab.corp.example/acme/hello/-/compare/" + shaOld + "..." + shaNew},
		{"https://bitbucket.org/acme/hello", shaOld, shaNew, "https://bitbucket.org/acme/hello/branches/compare/" + shaNew + "%0D" + shaOld + "#diff"},
		{"https://git.example.com/acme/hello", shaOld, shaNew, "https://git.example.com/acme/hello/compare/" + shaOld + "..." + shaNew},
		{"https://github.com/acme/hello", shaOld, "", ""},
		{"https://github.com/acme/hello", "", shaNew, ""},
		{"https://github.com/acme/hello", shaOld, "main", ""},
		{"javascript:alert(1)", shaOld, shaNew, ""},
		{"acme/hello", shaOld, shaNew, ""},
	} {
		if got := compareURL(tc.repo, tc.from, tc.to); got != tc.want {
			t.Errorf("compareURL(%q, %q, %q) = %q, want %q", tc.repo, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestRepoURL(t *testing.T) {
	for repo, want := range map[string]string{
		"git@github.com:acme/hello.git":       "https://github.com/acme/hello",
		"https://gitlab.example.com/a/b/c":    "https://gitlab.example.com/a/b/c",
		"https://bitbucket.org/acme/hello":    "https://bitbucket.org/acme/hello",
		"javascript:alert(document.cookie)":   "",
		"https://github.com/acme/hello?tab=1": "",
	} {
		if got := repoURL(repo); got != want {
			t.Errorf("repoURL(%q) = %q, want %q", repo, got, want)
		}
	}
}

// Every link scm.go makes is http or https, whatever the input: a fuzz-like sweep over
// hostile shapes guards the property rather than single examples.
func TestSCMLinksAreOnlyHTTP(t *testing.T) {
	hosts := []string{"github.com", "gitlab.x.org", "bitbucket.org", "example.com", "javascript:", "x\"y", "<b>", ""}
	prefixes := []string{"https://", "http://", "git@", "ssh://git@", "javascript:", "JaVaScRiPt://", "vbscript:", "", "//"}
	seps := []string{"/", ":"}
	for _, p := range prefixes {
		for _, h := range hosts {
			for _, s := range seps {
				repo := p + h + s + "acme/hello.git"
				for _, got := range []string{repoURL(repo), commitURL(repo, shaOld), compareURL(repo, shaOld, shaNew)} {
					if got != "" && !strings.HasPrefix(got, "https://") && !strings.HasPrefix(got, "http://") {
						t.Errorf("%q gave the link %q", repo, got)
					}
					if strings.ContainsAny(got, "<>\"' ") {
						t.Errorf("%q gave the link %q with markup characters", repo, got)
					}
				}
			}
		}
	}
}
