package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Names of what the dev stack creates on its first start so that a first deploy works.
const (
	sampleEnv   = "hello"
	sampleStage = "dev"
	// localAgentsGroup is the capacity group the dev stack's local agents report.
	localAgentsGroup = "local-agents"
)

// sampleScript is every lifecycle script of the sample build: it prints one line, which
// the agent appends to the host's log (<agent dir>/logs/hello.log), so a user can watch the
// stages run.
const sampleScript = "#!/bin/sh\n" +
	"echo \"$(date -u +%FT%TZ) $ENV_NAME/$STAGE_NAME build $BUILD_ID ($BUILD_COMMIT): $DEPLOY_STEP\"\n"

// sampleTarball returns a Teletraan-style build archive: teletraan/<STAGE> scripts plus a
// tiny "application".
func sampleTarball(version string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name string, mode int64, body string) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write([]byte(body))
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "teletraan/", Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
		return nil, err
	}
	for _, stage := range []string{"PRE_RESTART", "RESTARTING", "POST_RESTART", "SERVING_BUILD"} {
		if err := add("teletraan/"+stage, 0o755, sampleScript); err != nil {
			return nil, err
		}
	}
	if err := add("app/VERSION", 0o644, version+"\n"); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ensureSample creates, once, the stage hello/dev whose capacity is the local agents'
// group, and publishes sample builds 1 and 2 as files under the data directory. A user who
// deleted the stage does not get it back.
func ensureSample(ctx context.Context, st *schema.Store, dataDir string) error {
	marker := filepath.Join(dataDir, "sample-created")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	stage := &schema.Stage{EnvName: sampleEnv, StageName: sampleStage, StageConfig: schema.DefaultStageConfig(sampleEnv, sampleStage)}
	stage.MaxParallel, stage.MaxParallelPct = 0, 50
	stage.Description = "sample stage served by the dev stack's local agents"
	if err := st.CreateStage(ctx, stage, "teletraan dev"); err != nil && core.ErrorCode(err) != core.ECONFLICT {
		return fmt.Errorf("create the sample stage: %w", err)
	}
	if _, err := st.SetCapacity(ctx, sampleEnv, sampleStage, schema.Capacity{Groups: []string{localAgentsGroup}}, "teletraan dev"); err != nil {
		return fmt.Errorf("set the sample stage's capacity: %w", err)
	}
	artifacts := filepath.Join(dataDir, "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", artifacts, err)
	}
	for i, commit := range []string{"1111111aaaa", "2222222bbbb"} {
		version := fmt.Sprintf("%d", i+1)
		body, err := sampleTarball(version)
		if err != nil {
			return fmt.Errorf("build the sample tarball: %w", err)
		}
		path, err := filepath.Abs(filepath.Join(artifacts, "hello-"+version+".tar.gz"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			return fmt.Errorf("write the sample build: %w", err)
		}
		sum := sha256.Sum256(body)
		b := &schema.Build{Name: sampleEnv, ArtifactURL: "file://" + path, Checksum: hex.EncodeToString(sum[:]),
			Commit: commit, Branch: "main", Publisher: "teletraan dev", PublishInfo: "sample build " + version}
		if err := st.PublishBuild(ctx, b); err != nil {
			return fmt.Errorf("publish the sample build: %w", err)
		}
	}
	return os.WriteFile(marker, []byte("the dev stack created hello/dev and its sample builds\n"), 0o644)
}
