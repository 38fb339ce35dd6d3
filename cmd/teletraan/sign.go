package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

func newSignCommand() *cobra.Command {
	var keyFile, out string
	cmd := &cobra.Command{
		Use:   "sign ARTIFACT --key FILE",
		Short: "Sign a build's artifact, for hosts that deploy only signed builds (teletraan-agent --trusted-keys)",
		Long: `Write ARTIFACT.sig, an Ed25519 signature (Ed25519ph over the artifact's SHA-512) that agents
configured with --trusted-keys check before they extract the build. Publish the .sig beside the
artifact, at the artifact's URL plus ".sig".`,
		Example: `  teletraan sign keygen --out ci-signing          # once: ci-signing.key (keep secret) and ci-signing.pub
  teletraan sign hello-1a2b3c4.tar.gz --key ci-signing.key
  aws s3 cp hello-1a2b3c4.tar.gz.sig s3://artifacts/hello/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" {
				return fmt.Errorf("--key is required: the signing key file (teletraan sign keygen writes one)")
			}
			raw, err := os.ReadFile(keyFile)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			key, err := protocol.ParsePrivateKey(raw)
			if err != nil {
				return fmt.Errorf("--key %s: %w", keyFile, err)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("open the artifact: %w", err)
			}
			defer f.Close()
			h := sha512.New()
			if _, err := io.Copy(h, f); err != nil {
				return fmt.Errorf("read the artifact %s: %w", args[0], err)
			}
			sig, err := protocol.SignArtifact(key, h.Sum(nil))
			if err != nil {
				return err
			}
			if out == "" {
				out = args[0] + protocol.SignatureSuffix
			}
			if err := os.WriteFile(out, sig, 0o644); err != nil {
				return fmt.Errorf("write the signature: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "the signing key file")
	cmd.Flags().StringVar(&out, "out", "", "where to write the signature (default ARTIFACT.sig)")

	var prefix string
	keygen := &cobra.Command{
		Use:   "keygen --out PREFIX",
		Short: "Make a signing key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub (for the hosts' --trusted-keys file)",
		Example: `  teletraan sign keygen --out ci-signing
  cat ci-signing.pub >> /etc/teletraan-agent/trusted-keys   # on every host`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if prefix == "" {
				return fmt.Errorf("--out is required: the key files' path without .key/.pub")
			}
			for _, p := range []string{prefix + ".key", prefix + ".pub"} {
				if _, err := os.Stat(p); err == nil {
					return fmt.Errorf("%s exists: refusing to replace a key (remove it first, or pick another --out)", p)
				} else if !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return fmt.Errorf("generate a key: %w", err)
			}
			if err := os.WriteFile(prefix+".key", []byte(protocol.EncodePrivateKey(priv)), 0o600); err != nil {
				return fmt.Errorf("write the signing key: %w", err)
			}
			if err := os.WriteFile(prefix+".pub", []byte(protocol.EncodePublicKey(pub)+"\n"), 0o644); err != nil {
				return fmt.Errorf("write the public key: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s.key (keep it secret: it signs code for every host) and %s.pub\n", prefix, prefix)
			return nil
		},
	}
	keygen.Flags().StringVar(&prefix, "out", "", "path of the key files, without .key/.pub")
	cmd.AddCommand(keygen)
	return cmd
}
