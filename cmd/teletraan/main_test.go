package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain points the CLI's config file at an empty temp directory, so that no test reads
// the contexts of the person or machine running it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "teletraan-cli-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("TELETRAAN_CONFIG", filepath.Join(dir, "config.yaml"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
