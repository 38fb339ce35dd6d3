package schema

import (
	"crypto/rand"
	"encoding/base64"
)

// NewID returns a 22-character URL-safe random identifier, the shape Teletraan uses for
// environment, deploy and build ids.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on supported platforms; a broken one must not mint ids.
		panic("schema: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
