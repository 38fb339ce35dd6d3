package main

import (
	"crypto/sha512"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

func TestSignWritesSignaturesTheAgentVerifies(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "ci")
	if out, err := runCommand(t, "sign", "keygen", "--out", prefix); err != nil || !strings.Contains(out, "keep it secret") {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	if fi, err := os.Stat(prefix + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v %v; want mode 0600", err, fi.Mode())
	}
	if _, err := runCommand(t, "sign", "keygen", "--out", prefix); err == nil || !strings.Contains(err.Error(), "refusing to replace a key") {
		t.Fatalf("keygen over an existing key: %v", err)
	}
	artifact := filepath.Join(dir, "hello.tar.gz")
	body := []byte("pretend this is a tarball")
	if err := os.WriteFile(artifact, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCommand(t, "sign", artifact, "--key", prefix+".key"); err != nil || !strings.Contains(out, artifact+".sig") {
		t.Fatalf("sign: %v\n%s", err, out)
	}
	pubFile, _ := os.ReadFile(prefix + ".pub")
	keys, err := protocol.ParsePublicKeys(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := os.ReadFile(artifact + ".sig")
	digest := sha512.Sum512(body)
	if err := protocol.VerifyArtifact(keys, digest[:], sig); err != nil {
		t.Fatalf("the agent's check refuses the CLI's signature: %v", err)
	}
	if _, err := runCommand(t, "sign", artifact, "--key", prefix+".pub"); err == nil || !strings.Contains(err.Error(), "not a signing key file") {
		t.Fatalf("signing with the public key: %v", err)
	}
}
