package agent

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// swapSymlink points target at buildDir in one rename, so that a process following
// target sees either the old build or the new one, never a missing or half-made link.
func swapSymlink(target, buildDir string) error {
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create target parent %s: %w", parent, err)
	}
	if fi, err := os.Lstat(target); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return permanent(fmt.Errorf("target %s exists and is not a symlink; move it away so that the agent can manage it", target))
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Errorf("random name: %w", err)
	}
	tmp := target + ".tmp-" + hex.EncodeToString(suffix[:])
	if err := os.Symlink(buildDir, tmp); err != nil {
		return fmt.Errorf("create symlink %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("swap symlink %s: %w", target, err)
	}
	return syncDir(parent)
}

// currentBuildDir is what target points at, or "" when it points nowhere yet.
func currentBuildDir(target string) string {
	dest, err := os.Readlink(target)
	if err != nil {
		return ""
	}
	if !filepath.IsAbs(dest) {
		dest = filepath.Join(filepath.Dir(target), dest)
	}
	return filepath.Clean(dest)
}
