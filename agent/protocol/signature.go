package protocol

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SignatureSuffix is appended to an artifact's URL to find its signature: a build signed
// in CI carries <artifact>.sig beside the artifact, as Teletraan's .sha1 sidecars do.
const SignatureSuffix = ".sig"

// signatureOptions make Ed25519 sign and verify the SHA-512 digest of the artifact
// (Ed25519ph, RFC 8032) rather than its bytes, so that neither side holds a multi-gigabyte
// archive in memory.
var signatureOptions = &ed25519.Options{Hash: crypto.SHA512}

// SignArtifact signs an artifact's SHA-512 digest and returns the signature file's text.
func SignArtifact(key ed25519.PrivateKey, digest []byte) ([]byte, error) {
	sig, err := key.Sign(nil, digest, signatureOptions)
	if err != nil {
		return nil, fmt.Errorf("sign the artifact: %w", err)
	}
	return []byte(base64.StdEncoding.EncodeToString(sig) + "\n"), nil
}

// VerifyArtifact reports whether sigFile, a signature file's text, is a signature of the
// artifact's SHA-512 digest by one of keys.
func VerifyArtifact(keys []ed25519.PublicKey, digest, sigFile []byte) error {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigFile)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("the signature file does not hold one base64 Ed25519 signature")
	}
	for _, k := range keys {
		if ed25519.VerifyWithOptions(k, digest, sig, signatureOptions) == nil {
			return nil
		}
	}
	return fmt.Errorf("the signature does not verify with any of the %d trusted keys", len(keys))
}

// ParsePublicKeys reads a trusted-keys file: one base64 Ed25519 public key per line;
// blank lines and lines starting with # are ignored. At least one key is required.
func ParsePublicKeys(data []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(text)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("line %d is not a base64 Ed25519 public key (%d bytes)", line, ed25519.PublicKeySize)
		}
		keys = append(keys, ed25519.PublicKey(raw))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("no public key in it")
	}
	return keys, nil
}

// EncodePublicKey is a public key as a trusted-keys file line.
func EncodePublicKey(k ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(k)
}

// privateKeyPrefix starts a signing key file, so that a public key (also 32 bytes of
// base64) is never taken for one.
const privateKeyPrefix = "teletraan-ed25519-signing-key:"

// EncodePrivateKey is a private key as its key file's text (a prefix and the seed, base64).
func EncodePrivateKey(k ed25519.PrivateKey) string {
	return privateKeyPrefix + base64.StdEncoding.EncodeToString(k.Seed()) + "\n"
}

// ParsePrivateKey reads a key file written by EncodePrivateKey.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	text, ok := strings.CutPrefix(strings.TrimSpace(string(data)), privateKeyPrefix)
	seed, err := base64.StdEncoding.DecodeString(text)
	if !ok || err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("not a signing key file: it must hold one base64 Ed25519 seed (teletraan sign keygen writes one)")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
