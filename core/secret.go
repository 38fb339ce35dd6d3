package core

import (
	"net/url"
	"path"
	"sort"
	"strings"
)

// SecretMarker stands for a secret's value wherever one would be shown: a stage's config,
// its history, the board. Sent back unchanged in an update, it keeps the stored value.
const SecretMarker = "(secret)"

// ChangedSecretMarker stands for a secret in a config history entry whose value changed.
const ChangedSecretMarker = "(secret, changed)"

// secretNameParts make a script variable secret by its name alone, whatever the stage
// declares: nobody means a DB_PASSWORD to be shown.
var secretNameParts = []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "PRIVATE_KEY", "API_KEY", "APIKEY"}

// IsSecretVariable reports whether a script variable is secret: its name matches one of
// the stage's secret patterns (exact names or shell globs such as DB_*), or holds one of
// the words that always mean a secret (PASSWORD, SECRET, TOKEN, CREDENTIAL, PRIVATE_KEY,
// API_KEY), in any case.
//
// Examples: ("DB_PASSWORD", nil) → true; ("PORT", nil) → false; ("STRIPE_LIVE", ["STRIPE_*"])
// → true; ("github_token", nil) → true.
func IsSecretVariable(name string, patterns []string) bool {
	upper := strings.ToUpper(name)
	for _, p := range secretNameParts {
		if strings.Contains(upper, p) {
			return true
		}
	}
	for _, p := range patterns {
		if ok, err := path.Match(p, name); err == nil && ok {
			return true
		}
	}
	return false
}

// secretQueryParts make a URL query parameter secret by its name.
var secretQueryParts = []string{"token", "key", "secret", "password", "passwd", "pwd", "signature", "sig", "auth", "credential"}

// isSecretQueryKey reports whether a URL query parameter carries a credential.
func isSecretQueryKey(k string) bool {
	lower := strings.ToLower(k)
	for _, p := range secretQueryParts {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}

// RedactURL hides the credentials a URL may carry (an alarm's or a webhook's): its user
// information and the values of query parameters named like credentials. A URL that does
// not parse is hidden whole, since nothing says which part of it is the secret.
//
// Examples: "https://u:p@prom/api?query=up&token=abc" → "https://(secret)@prom/api?query=up&token=(secret)";
// "https://prom/api?query=up" is unchanged.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return SecretMarker
	}
	changed := false
	if u.User != nil {
		u.User = url.User(SecretMarker)
		changed = true
	}
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if isSecretQueryKey(k) {
			for i := range q[k] {
				q[k][i] = SecretMarker
			}
			changed = true
		}
	}
	if !changed {
		return raw
	}
	u.RawQuery = q.Encode()
	out := u.String()
	// url escapes the marker's parentheses and space; people read these.
	return strings.NewReplacer("%28secret%29", SecretMarker, "%28", "(", "%29", ")").Replace(out)
}

// minRedactedSecret is the shortest secret RedactText hides: shorter values (a "1", an
// "on") would blank out ordinary words of the text.
const minRedactedSecret = 4

// RedactText hides every occurrence of the secret values in text, longest first (so that
// a secret containing another is hidden whole), as SecretMarker. A script that prints its
// environment must not put a database password on the board.
//
// Example: ("connect failed: password=hunter22", ["hunter22"]) → "connect failed: password=(secret)".
func RedactText(text string, secrets []string) string {
	var vs []string
	for _, s := range secrets {
		if len(s) >= minRedactedSecret {
			vs = append(vs, s)
		}
	}
	if len(vs) == 0 {
		return text
	}
	sort.Slice(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, SecretMarker)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
