package agent_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// A host that trusts signing keys deploys only builds one of them signed: an artifact
// store that is taken over cannot push code to it.
func TestTrustedKeysRefuseUnsignedAndForeignBuilds(t *testing.T) {
	body := randomArchive(t, 64<<10)
	digest := sha512.Sum512(body)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, foreign, _ := ed25519.GenerateKey(rand.Reader)
	good, _ := protocol.SignArtifact(priv, digest[:])
	forged, _ := protocol.SignArtifact(foreign, digest[:])
	tampered := append([]byte(nil), body...)
	tampered[0] ^= 0xff

	for _, tc := range []struct {
		name      string
		artifact  []byte
		sig       []byte // nil: no .sig
		wantOK    bool
		wantError string
	}{
		{"signed by a trusted key", body, good, true, ""},
		{"no signature", body, nil, false, "has no signature"},
		{"signed by another key", body, forged, false, "does not verify with any of the 1 trusted keys"},
		{"garbage signature", body, []byte("definitely not a signature"), false, "does not hold one base64 Ed25519 signature"},
		{"artifact changed after signing", tampered, good, false, "does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			art := newArtifactServer(t, tc.artifact, func(_ int, w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, protocol.SignatureSuffix) {
					return false
				}
				if tc.sig == nil {
					http.NotFound(w, r)
				} else {
					w.Write(tc.sig)
				}
				return true
			})
			cfg := testConfig(t, "http://unused")
			cfg.TrustedKeys = []ed25519.PublicKey{pub}
			cfg.MaxRetries = 1
			r := downloadOnce(t, cfg, tc.artifact, art.URL+"/b1.tar.gz")
			if tc.wantOK {
				if r.AgentStatus != protocol.StatusSucceeded {
					t.Fatalf("a signed build was refused: %+v", r)
				}
				return
			}
			if r.AgentStatus == protocol.StatusSucceeded || !strings.Contains(r.ErrorMessage, tc.wantError) {
				t.Fatalf("report = %s %q; want a refusal saying %q", r.AgentStatus, r.ErrorMessage, tc.wantError)
			}
			// Nothing of the refused build is left on disk.
			if _, err := os.Stat(filepath.Join(cfg.BuildsDir, testEnv+"-b1.tar.gz")); !os.IsNotExist(err) {
				t.Fatalf("the refused archive is on disk: %v", err)
			}
		})
	}
}
