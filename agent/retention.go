package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// retainBuilds deletes old builds so that the disk does not fill up deploy after deploy:
// it keeps every protected build (what some target points at) plus the newest others,
// keep in all, and removes the rest with their markers and archives. Leftover temp files
// of interrupted downloads and extractions go too.
func retainBuilds(buildsDir string, keep int, protected []string) ([]string, error) {
	entries, err := os.ReadDir(buildsDir)
	if err != nil {
		return nil, fmt.Errorf("list builds dir: %w", err)
	}
	type build struct {
		id    string
		mtime time.Time
	}
	seen := map[string]*build{}
	var errs []error
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".extract-") || strings.HasPrefix(name, ".download-") {
			errs = append(errs, os.RemoveAll(filepath.Join(buildsDir, name)))
			continue
		}
		var id string
		switch {
		case e.IsDir() && !strings.HasPrefix(name, "."):
			id = name
		case strings.HasSuffix(name, extractedSuffix):
			id = strings.TrimSuffix(name, extractedSuffix)
		default:
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		b := seen[id]
		if b == nil {
			b = &build{id: id}
			seen[id] = b
		}
		if fi.ModTime().After(b.mtime) {
			b.mtime = fi.ModTime()
		}
	}
	isProtected := func(id string) bool {
		return slices.Contains(protected, filepath.Join(buildsDir, id))
	}
	var others []*build
	kept := 0
	for _, b := range seen {
		if isProtected(b.id) {
			kept++
		} else {
			others = append(others, b)
		}
	}
	slices.SortFunc(others, func(a, b *build) int { return b.mtime.Compare(a.mtime) })
	for i, b := range others {
		if kept+i < keep {
			continue
		}
		base := filepath.Join(buildsDir, b.id)
		errs = append(errs, os.RemoveAll(base), ignoreMissing(os.Remove(base+extractedSuffix)))
		for _, suffix := range archiveSuffixes {
			matches, _ := filepath.Glob(filepath.Join(buildsDir, "*-"+b.id+suffix))
			for _, m := range matches {
				errs = append(errs, os.Remove(m))
			}
		}
		removed = append(removed, b.id)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("clean builds dir %s: %w", buildsDir, err)
	}
	return removed, nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
