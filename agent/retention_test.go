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
	os.WriteFile(filepath.Join(builds, ".download-env-b9.tar.gz-77"), nil, 0o644)
	// Downloaded, never staged (the deploy was superseded): nothing keeps it.
	os.WriteFile(filepath.Join(builds, "env-b8.tar.gz"), nil, 0o644)
	// Downloaded, its STAGING still to come: protected like a target.
	os.WriteFile(filepath.Join(builds, "other-env-b7.zip"), nil, 0o644)
	target := filepath.Join(t.TempDir(), "myapp")
	if err := os.Symlink(filepath.Join(builds, "b1"), target); err != nil {
		t.Fatal(err)
	}

	removed, err := retainBuilds(builds, retention{keep: 3, protected: []string{currentBuildDir(target), filepath.Join(builds, "b7")}})
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
	want := []string{"b1", "b1.extracted", "b4", "b4.extracted", "b5", "b5.extracted", "env-b1.tar.gz", "env-b4.tar.gz", "env-b5.tar.gz", "other-env-b7.zip"}
	if !slices.Equal(left, want) {
		t.Fatalf("left %v\nwant %v", left, want)
	}
}

func TestRetainBuildsByBytes(t *testing.T) {
	builds := t.TempDir()
	base := time.Now().Add(-time.Hour)
	// b1 is current (3 KB); b2 (2 KB) is older than b3 (4 KB), which is the newest.
	for i, b := range []struct {
		id   string
		size int
	}{{"b1", 3000}, {"b2", 2000}, {"b3", 4000}} {
		dir := filepath.Join(builds, b.id)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "blob"), make([]byte, b.size), 0o644)
		os.WriteFile(dir+extractedSuffix, nil, 0o644)
		mtime := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(dir, mtime, mtime)
	}
	// Count allows all three; 6 KB allows b1 and b2 but not b3 (3+4 > 6): the newest is
	// skipped because it does not fit, and the older one that fits stays.
	removed, err := retainBuilds(builds, retention{keep: 5, maxBytes: 6000, protected: []string{filepath.Join(builds, "b1")}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{"b3"}) {
		t.Fatalf("removed %v, want [b3]", removed)
	}
}

func TestRotateLog(t *testing.T) {
	p := filepath.Join(t.TempDir(), "env.log")
	os.WriteFile(p, make([]byte, 100), 0o644)
	if err := rotateLog(p, 200); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + ".1"); err == nil {
		t.Fatal("rotated a log below the limit")
	}
	os.WriteFile(p+".1", []byte("oldest"), 0o644)
	os.WriteFile(p, make([]byte, 200), 0o644)
	if err := rotateLog(p, 200); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p + ".1"); err != nil || fi.Size() != 200 {
		t.Fatalf("env.log.1 = %v, %v; want the 200-byte log", fi, err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("env.log still there after rotation")
	}
}
