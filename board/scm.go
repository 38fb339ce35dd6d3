package board

import (
	"net/url"
	"regexp"
	"strings"
)

// scmKind says which URL layout a repository host uses for commits and comparisons.
type scmKind int

const (
	// scmGitHubLike covers github.com and hosts that copy its layout (GitHub Enterprise,
	// Gitea, Forgejo): /owner/repo/commit/<sha> and /owner/repo/compare/<a>...<b>.
	scmGitHubLike scmKind = iota
	scmGitLab
	scmBitbucket
)

// repoLocation is a repository reduced to parts that were each checked against a strict
// alphabet, so URLs assembled from them cannot carry another scheme, a user, a query or
// markup, whatever the publisher sent.
type repoLocation struct {
	scheme string // "http" or "https"
	host   string // lower-case, may end in :port
	path   string // "owner/repo", or "group/sub/repo" on GitLab; no ".git"
	kind   scmKind
}

var (
	hostRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$`)
	segmentRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._~-]*$`)
	shaRE     = regexp.MustCompile(`^[0-9a-fA-F]{4,64}$`)
	// scpLikeRE is git's "user@host:path" form, e.g. git@github.com:owner/repo.git.
	scpLikeRE = regexp.MustCompile(`^[A-Za-z0-9._-]+@([^:/]+):(.+)$`)
)

// parseRepo understands https://host/owner/repo, http://…, ssh://git@host/owner/repo.git,
// git@host:owner/repo.git and host/owner/repo; it reports false for anything else. Remote
// forms that are not web URLs are read as https, the scheme their web UI serves.
func parseRepo(repo string) (repoLocation, bool) {
	repo = strings.TrimSpace(repo)
	var loc repoLocation
	var rawPath string
	if m := scpLikeRE.FindStringSubmatch(repo); m != nil && !strings.Contains(repo, "://") {
		loc.scheme, loc.host, rawPath = "https", m[1], m[2]
	} else {
		if !strings.Contains(repo, "://") {
			// "github.com/owner/repo": a host only if the first segment has a dot, so a bare
			// "owner/repo" (no host known) is refused rather than guessed.
			first, _, _ := strings.Cut(repo, "/")
			if !strings.Contains(first, ".") {
				return repoLocation{}, false
			}
			repo = "https://" + repo
		}
		u, err := url.Parse(repo)
		if err != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return repoLocation{}, false
		}
		switch u.Scheme {
		case "http", "https":
			if u.User != nil {
				return repoLocation{}, false // credentials in a link would leak them into the page
			}
			loc.scheme = u.Scheme
		case "ssh", "git":
			loc.scheme = "https"
			u.Host = u.Hostname() // the ssh port is not the web port
		default:
			return repoLocation{}, false
		}
		loc.host, rawPath = u.Host, u.Path
	}
	loc.host = strings.ToLower(loc.host)
	if !hostRE.MatchString(loc.host) {
		return repoLocation{}, false
	}
	segments := strings.Split(strings.TrimSuffix(strings.Trim(rawPath, "/"), ".git"), "/")
	for _, s := range segments {
		if !segmentRE.MatchString(s) || s == "." || s == ".." {
			return repoLocation{}, false
		}
	}
	hostname, _, _ := strings.Cut(loc.host, ":")
	switch {
	case hostname == "gitlab.com" || strings.HasPrefix(hostname, "gitlab."):
		loc.kind = scmGitLab
		if len(segments) < 2 {
			return repoLocation{}, false
		}
	case hostname == "bitbucket.org" || hostname == "www.bitbucket.org":
		loc.kind = scmBitbucket
		if len(segments) != 2 {
			return repoLocation{}, false
		}
	default:
		loc.kind = scmGitHubLike
		if len(segments) != 2 {
			return repoLocation{}, false
		}
	}
	loc.path = strings.Join(segments, "/")
	return loc, true
}

// web is the repository's home page.
func (l repoLocation) web() string {
	return l.scheme + "://" + l.host + "/" + l.path
}

// repoURL is the web page of repo, or "" when repo is not a form parseRepo understands.
func repoURL(repo string) string {
	loc, ok := parseRepo(repo)
	if !ok {
		return ""
	}
	return loc.web()
}

// commitURL is the web page of commit sha in repo, or "" when either is not recognisable.
func commitURL(repo, sha string) string {
	loc, ok := parseRepo(repo)
	if !ok || !shaRE.MatchString(sha) {
		return ""
	}
	switch loc.kind {
	case scmGitLab:
		return loc.web() + "/-/commit/" + sha
	case scmBitbucket:
		return loc.web() + "/commits/" + sha
	default:
		return loc.web() + "/commit/" + sha
	}
}

// compareURL is the repository's own view of the commits from one commit to another (from
// older, to newer), or "" when either commit or the repository is not recognisable.
func compareURL(repo, from, to string) string {
	loc, ok := parseRepo(repo)
	if !ok || !shaRE.MatchString(from) || !shaRE.MatchString(to) {
		return ""
	}
	switch loc.kind {
	case scmGitLab:
		return loc.web() + "/-/compare/" + from + "..." + to
	case scmBitbucket:
		// Bitbucket names the newer revision first and separates the two with a CR.
		return loc.web() + "/branches/compare/" + to + "%0D" + from + "#diff"
	default:
		return loc.web() + "/compare/" + from + "..." + to
	}
}
