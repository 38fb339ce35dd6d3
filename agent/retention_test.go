package agent

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestRetainBuildsKeepsNewestAndCurrent(t *testing.T) {
	builds := t.TempDir()
	base := time.Now().Add(-time.Hour)
	// b1 is the oldest and the current one; b2..b5 are newer, b5 newest.
	for i, id := range []string{"b1", "b2", "b3", "b4", "b5"} {
		dir := filepath.Join(builds, id)
		if err := os.MkdirAll(filepath.Join(dir, "teletraan"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(dir+extractedSuffix, nil, 0o644)
		os.WriteFile(filepath.Join(builds, "env-"+id+".tar.gz"), nil, 0o644)
		mtime := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(dir, mtime, mtime)
		os.Chtimes(dir+extractedSuffix, mtime, mtime)
	}
	os.Mkdir(filepath.Join(builds, ".extract-b9-123"), 0o755)
	target := filepath.Join(t.TempDir(), "myapp")
	if err := os.Symlink(filepath.Join(builds, "b1"), target); err != nil {
		t.Fatal(err)
	}

	removed, err := retainBuilds(builds, 3, []string{currentBuildDir(target)})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if !slices.Equal(removed, []string{"b2", "b3"}) {
		t.Fatalf("removed %v, want [b2 b3]", removed)
	}
	var left []string
	entries, _ := os.ReadDir(builds)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{"b1", "b1.extracted", "b4", "b4.extracted", "b5", "b5.extracted", "env-b1.tar.gz", "env-b4.tar.gz", "env-b5.tar.gz"}
	if !slices.Equal(left, want) {
		t.Fatalf("left %v\nwant %v", left, want)
	}
}
