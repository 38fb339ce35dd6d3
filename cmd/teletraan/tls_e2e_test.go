package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/temporal"
)

// selfSignedCert writes a certificate for 127.0.0.1 and its key as PEM files in dir and
// returns their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "teletraan test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// `teletraan server --tls-cert --tls-key` serves the API over HTTPS only: a client that
// trusts the certificate gets /healthz, a plain-HTTP client gets no API answer. Half a pair
// or an unreadable one is refused at start, naming the flags.
func TestServerServesHTTPSWithTLSFlags(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedCert(t, dir)

	for _, args := range [][]string{{"--tls-cert", certFile}, {"--tls-key", keyFile}, {"--tls-cert", keyFile, "--tls-key", keyFile}} {
		_, err := runCommand(t, append([]string{"server", "--db-dsn", "sqlite:" + filepath.Join(dir, "none.db")}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "--tls-cert") || !strings.Contains(err.Error(), "--tls-key") {
			t.Errorf("server %v: %v, want a refusal naming --tls-cert and --tls-key", args, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := temporal.StartDevServer(ctx, temporal.DevServerConfig{DataDir: filepath.Join(dir, "temporal"), UIPort: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dsn := "sqlite:" + filepath.Join(dir, "app.db")
	if out, err := runCommand(t, "migrate", "--db-dsn", dsn); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	root := newRootCommand()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"server", "--db-dsn", dsn, "--listen", addr, "--temporal-address", srv.FrontendAddress(),
		"--tls-cert", certFile, "--tls-key", keyFile, "--log-level", "warn"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	httpsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	waitFor(t, time.Minute, "HTTPS /healthz", func() (bool, string) {
		select {
		case err := <-done:
			t.Fatalf("server exited: %v", err)
		default:
		}
		resp, err := httpsClient.Get("https://" + addr + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP got the API's answer: %s", body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("server did not stop cleanly: %v", err)
	}
}
