package agent

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCorruptStatusCopiesAreKeptToAFew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "env_status")
	for _, ts := range []string{"100", "20", "3000", "400"} {
		if err := os.WriteFile(path+".corrupt-"+ts, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadStatus(path); err == nil {
		t.Fatal("a corrupt status file loaded without an error")
	}
	left, _ := filepath.Glob(path + ".corrupt-*")
	if len(left) != keptCorruptCopies {
		t.Fatalf("corrupt copies left: %v; want the newest %d", left, keptCorruptCopies)
	}
	for _, gone := range []string{path + ".corrupt-20", path + ".corrupt-100"} {
		if slices.Contains(left, gone) {
			t.Errorf("%s, among the oldest, was kept", gone)
		}
	}
}
