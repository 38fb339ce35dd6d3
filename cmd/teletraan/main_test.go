package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain points the CLI's config file at an empty temp directory, so that no test reads
// the contexts of the person or machine running it.
//
// With chaosExecEnv set, the test binary is the teletraan command instead: the chaos test
// starts it as the service and worker processes it kills.
func TestMain(m *testing.M) {
	if os.Getenv(chaosExecEnv) != "" {
		main()
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "teletraan-cli-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("TELETRAAN_CONFIG", filepath.Join(dir, "config.yaml"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
