package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// retention is what the builds dir may hold: keep builds (extracted dir plus marker)
// by count, maxBytes of them in all when positive, and always the protected ones.
type retention struct {
	keep     int
	maxBytes int64
	// protected are build dirs that must stay whatever their age: what some target
	// points at, and the build an environment is deploying right now (downloaded or
	// extracted but not yet staged).
	protected []string
}

// Prefixes of the agent's temporary files: a download or an extraction in progress, or
// an atomic write. Only one agent runs per dir (the lock), so at startup any of them is
// the leftover of a crash.
const (
	downloadTempPrefix = ".download-"
	extractTempPrefix  = ".extract-"
)

// retainBuilds deletes what the builds dir should no longer hold, so that the disk does
// not fill up deploy after deploy: builds beyond the retention's count or bytes (oldest
// first, never a protected one), archives of builds not kept (a deploy superseded
// between DOWNLOADING and STAGING leaves one), and temp files of interrupted downloads
// and extractions. It returns the ids of the builds it removed.
func retainBuilds(buildsDir string, ret retention) ([]string, error) {
	entries, err := os.ReadDir(buildsDir)
	if err != nil {
		return nil, fmt.Errorf("list builds dir: %w", err)
	}
	type build struct {
		id    string
		mtime time.Time
		size  int64
	}
	seen := map[string]*build{}
	var archives []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, extractTempPrefix) || strings.HasPrefix(name, downloadTempPrefix) {
			errs = append(errs, os.RemoveAll(filepath.Join(buildsDir, name)))
			continue
		}
		if _, err := archiveSuffix(name); err == nil && !e.IsDir() {
			archives = append(archives, name)
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
		if e.IsDir() {
			b.size = treeSize(filepath.Join(buildsDir, name))
		}
	}
	isProtected := func(id string) bool {
		return slices.Contains(ret.protected, filepath.Join(buildsDir, id))
	}
	var others []*build
	kept, bytes := 0, int64(0)
	keptIDs := map[string]bool{}
	for _, b := range seen {
		if isProtected(b.id) {
			kept++
			bytes += b.size
			keptIDs[b.id] = true
		} else {
			others = append(others, b)
		}
	}
	slices.SortFunc(others, func(a, b *build) int { return b.mtime.Compare(a.mtime) })
	var removed []string
	for _, b := range others {
		if kept < ret.keep && (ret.maxBytes <= 0 || bytes+b.size <= ret.maxBytes) {
			kept++
			bytes += b.size
			keptIDs[b.id] = true
			continue
		}
		base := filepath.Join(buildsDir, b.id)
		errs = append(errs, os.RemoveAll(base), ignoreMissing(os.Remove(base+extractedSuffix)))
		removed = append(removed, b.id)
	}
	// An archive is <env>-<build id><suffix>; env names and build ids may both hold
	// dashes, so it is matched against the ids that stay rather than parsed.
	for _, name := range archives {
		if !archiveOfAny(name, keptIDs, ret.protected, buildsDir) {
			errs = append(errs, ignoreMissing(os.Remove(filepath.Join(buildsDir, name))))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("clean builds dir %s: %w", buildsDir, err)
	}
	return removed, nil
}

// archiveOfAny reports whether the archive file name belongs to a kept or protected build.
func archiveOfAny(name string, kept map[string]bool, protected []string, buildsDir string) bool {
	suffix, _ := archiveSuffix(name)
	stem := strings.TrimSuffix(name, suffix)
	matches := func(id string) bool { return id != "" && strings.HasSuffix(stem, "-"+id) }
	for id := range kept {
		if matches(id) {
			return true
		}
	}
	for _, p := range protected {
		if filepath.Dir(p) == buildsDir && matches(filepath.Base(p)) {
			return true
		}
	}
	return false
}

// treeSize is the bytes of the regular files below dir (links counted once per name,
// which overstates hardlinked builds slightly: retention errs on the side of space).
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// removeTempFiles deletes what a crashed agent may have left in dir: the temp files of
// downloads, extractions and atomic writes. It runs at startup, under the agent's lock.
func removeTempFiles(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, downloadTempPrefix) || strings.HasPrefix(name, extractTempPrefix) ||
			(strings.HasPrefix(name, ".") && strings.Contains(name, atomicTempInfix)) {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, name)))
		}
	}
	return errors.Join(errs...)
}

// rotateLog moves path to path.1 (replacing an older one) once it reaches max bytes, so
// that each environment's script log takes at most about twice max on disk.
func rotateLog(path string, max int64) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Size() < max) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rotate %s: %w", path, err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		return fmt.Errorf("rotate %s: %w", path, err)
	}
	return nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
