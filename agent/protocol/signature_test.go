package protocol_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

func TestArtifactSignaturesVerifyOnlyWithTrustedKeysAndTheRightDigest(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	digest := sha512.Sum512([]byte("the artifact"))
	sig, err := protocol.SignArtifact(priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.VerifyArtifact([]ed25519.PublicKey{otherPub, pub}, digest[:], sig); err != nil {
		t.Fatalf("a good signature did not verify: %v", err)
	}
	tampered := sha512.Sum512([]byte("the artifact, changed"))
	if err := protocol.VerifyArtifact([]ed25519.PublicKey{pub}, tampered[:], sig); err == nil {
		t.Fatal("a signature verified for another artifact")
	}
	byOther, _ := protocol.SignArtifact(otherPriv, digest[:])
	if err := protocol.VerifyArtifact([]ed25519.PublicKey{pub}, digest[:], byOther); err == nil || !strings.Contains(err.Error(), "any of the 1 trusted keys") {
		t.Fatalf("a signature by an untrusted key: %v", err)
	}
	if err := protocol.VerifyArtifact([]ed25519.PublicKey{pub}, digest[:], []byte("not base64!")); err == nil {
		t.Fatal("garbage verified")
	}

	keys, err := protocol.ParsePublicKeys([]byte("# CI's key\n" + protocol.EncodePublicKey(pub) + "\n\n" + protocol.EncodePublicKey(otherPub) + "\n"))
	if err != nil || len(keys) != 2 || !keys[0].Equal(pub) {
		t.Fatalf("ParsePublicKeys = %v, %v", keys, err)
	}
	for _, bad := range []string{"", "# only a comment\n", "bm90IGEga2V5\n"} {
		if _, err := protocol.ParsePublicKeys([]byte(bad)); err == nil {
			t.Errorf("ParsePublicKeys(%q) accepted it", bad)
		}
	}
	back, err := protocol.ParsePrivateKey([]byte(protocol.EncodePrivateKey(priv)))
	if err != nil || !back.Equal(priv) {
		t.Fatalf("private key round trip: %v", err)
	}
}
