package schema

import (
	"crypto/rand"
	"encoding/base64"
)

// NewID returns a 22-character URL-safe random identifier, the shape Teletraan uses for
// environment, deploy and build ids. It never starts with '-': such an id reads as a flag
// on a command line and agents refuse it as a file name (build ids name directories).
func NewID() string {
	for {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			// crypto/rand never fails on supported platforms; a broken one must not mint ids.
			panic("schema: crypto/rand failed: " + err.Error())
		}
		if id := base64.RawURLEncoding.EncodeToString(b[:]); id[0] != '-' {
			return id
		}
	}
}
