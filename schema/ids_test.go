package schema_test

import (
	"regexp"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// TestNewIDIsSafeAsAFileNameAndAnArgument draws enough ids that, were one in 64 to start
// with '-' (as raw base64url would), the test would fail all but never.
func TestNewIDIsSafeAsAFileNameAndAnArgument(t *testing.T) {
	safe := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{21}$`)
	seen := map[string]bool{}
	for range 5000 {
		id := schema.NewID()
		if !safe.MatchString(id) {
			t.Fatalf("NewID() = %q: not 22 URL-safe characters starting with a letter, digit or '_'", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}
}
