package agent

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// archiveLimits bound what one artifact may create, so that a hostile or broken build
// cannot fill the disk or the inode table of every host it is deployed to.
type archiveLimits struct {
	maxBytes int64
	maxFiles int
}

// Archive formats the agent can stage, by file-name suffix.
var archiveSuffixes = []string{".tar.gz", ".tgz", ".tar", ".zip"}

// archiveSuffix is the format of an artifact, read from its URL or file name.
func archiveSuffix(name string) (string, error) {
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(name, s) {
			return s, nil
		}
	}
	return "", permanent(fmt.Errorf("artifact %q is not one of %s: publish a tar.gz, tgz, tar or zip",
		name, strings.Join(archiveSuffixes, ", ")))
}

// extractBuild makes buildDir hold the extracted archive, or leaves no trace: it extracts
// into a temporary sibling and renames it into place, and only then writes the marker
// that lets later deploys of the same build (rollbacks, restarts) skip all of this. A
// refused archive is deleted at once, since no retry can make it acceptable and it may
// be as large as the download limit.
func extractBuild(archive, buildDir string, lim archiveLimits) error {
	err := extractBuildDir(archive, buildDir, lim)
	var pe *permanentError
	if errors.As(err, &pe) {
		if rerr := os.Remove(archive); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return errors.Join(err, fmt.Errorf("remove refused archive: %w", rerr))
		}
	}
	return err
}

func extractBuildDir(archive, buildDir string, lim archiveLimits) error {
	marker := buildDir + extractedSuffix
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	parent := filepath.Dir(buildDir)
	tmp, err := os.MkdirTemp(parent, extractTempPrefix+filepath.Base(buildDir)+"-")
	if err != nil {
		return fmt.Errorf("create extraction dir in %s: %w", parent, err)
	}
	if err := extractArchive(archive, tmp, lim); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	// A build dir without its marker is a leftover of a crash between rename and
	// marker write: its content is complete but unproven, so replace it.
	if err := os.RemoveAll(buildDir); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("remove stale %s: %w", buildDir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, buildDir); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("move extracted build into %s: %w", buildDir, err)
	}
	if err := writeFileAtomic(marker, nil, 0o644); err != nil {
		return fmt.Errorf("write marker: %w", err)
	}
	// The marker now stands for the archive, which would only double the disk used.
	if err := os.Remove(archive); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove extracted archive: %w", err)
	}
	return nil
}

// extractArchive unpacks archive into dest, an existing empty directory, refusing any
// entry that could write or point outside dest. On error dest may hold a partial tree;
// the caller owns its removal.
func extractArchive(archive, dest string, lim archiveLimits) error {
	suffix, err := archiveSuffix(archive)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return fmt.Errorf("open extraction dir: %w", err)
	}
	defer root.Close()
	x := &extractor{root: root, lim: lim, symlinks: map[string]bool{}}
	if suffix == ".zip" {
		err = x.zip(archive)
	} else {
		err = x.tarFile(archive, suffix != ".tar")
	}
	if err != nil {
		return permanent(fmt.Errorf("extract %s: %w", filepath.Base(archive), err))
	}
	return nil
}

// extractor writes entries through an os.Root, so that no operation can reach outside
// the build dir whatever the names and links say. On top of that it resolves every
// symlink on the filesystem as it is being built (see resolve): the Root only guards
// the agent's own operations, while a link left in the build would also mislead the
// lifecycle scripts and services that later read the build without a Root.
type extractor struct {
	root     *os.Root
	lim      archiveLimits
	files    int
	bytes    int64
	symlinks map[string]bool // entries created as symlinks, by cleaned name
	links    []string        // the same names in creation order, for the final check
}

// errEscapes says a path resolves outside the build dir.
var errEscapes = errors.New("resolves outside the build dir")

// maxLinkHops bounds symlink resolution as the kernel does (ELOOP after 40 links).
const maxLinkHops = 40

// streamCap counts every decompressed byte the tar reader and the trailing-data drain
// consume (headers, padding, anything after the end of the tar), so that a small tar
// followed by gigabytes of zeros in the gzip stream costs no more than maxBytes of CPU.
type streamCap struct {
	r    io.Reader
	left int64
	max  int64
}

// streamTooBig is the error of a streamCap that ran out.
type streamTooBig struct{ max int64 }

func (e *streamTooBig) Error() string {
	return fmt.Sprintf("decompressed stream is larger than %d bytes (tar headers and trailing data included); raise the limit or slim the build", e.max)
}

func (c *streamCap) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, &streamTooBig{max: c.max}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (x *extractor) tarFile(archive string, gzipped bool) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if gzipped {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("not a gzip file: %w", err)
		}
		r = gz
	}
	// One byte more than the cap lets a stream of exactly maxBytes through.
	capped := &streamCap{r: r, left: x.lim.maxBytes + 1, max: x.lim.maxBytes}
	if err := x.tar(capped); err != nil {
		return err
	}
	// Reading to the end verifies the gzip checksum, which catches an archive cut off
	// after the last tar block; the cap bounds what a hostile tail can cost.
	if _, err := io.Copy(io.Discard, capped); err != nil {
		var big *streamTooBig
		if errors.As(err, &big) {
			return big
		}
		return fmt.Errorf("archive is truncated or corrupt after its last entry: %w", err)
	}
	return x.checkLinks()
}

func (x *extractor) tar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var big *streamTooBig
		if errors.As(err, &big) {
			return big
		}
		if err != nil {
			return fmt.Errorf("archive is truncated or corrupt: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			// Counted like any entry, or a stream of global headers would be free.
			if err := x.count(hdr.Name); err != nil {
				return err
			}
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeReg, '\x00': // '\x00' is the pre-POSIX regular file
			err = x.file(hdr.Name, hdr.Size, fs.FileMode(hdr.Mode), tr)
		case tar.TypeDir:
			err = x.dir(hdr.Name)
		case tar.TypeSymlink:
			err = x.symlink(hdr.Name, hdr.Linkname)
		case tar.TypeLink:
			err = x.hardlink(hdr.Name, hdr.Linkname)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			err = fmt.Errorf("entry %q is a device or fifo (tar type %q); builds may hold only files, dirs and links",
				hdr.Name, hdr.Typeflag)
		default:
			err = fmt.Errorf("entry %q has unsupported tar type %q", hdr.Name, hdr.Typeflag)
		}
		if err != nil {
			return err
		}
	}
}

func (x *extractor) zip(archive string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return fmt.Errorf("archive is truncated or not a zip file: %w", err)
	}
	defer zr.Close()
	if len(zr.File) > x.lim.maxFiles {
		return fmt.Errorf("archive has %d entries, more than the limit of %d", len(zr.File), x.lim.maxFiles)
	}
	for _, zf := range zr.File {
		if err := x.zipEntry(zf); err != nil {
			return err
		}
	}
	return x.checkLinks()
}

func (x *extractor) zipEntry(zf *zip.File) error {
	mode := zf.Mode()
	switch {
	case mode.IsDir():
		return x.dir(zf.Name)
	case mode&fs.ModeSymlink != 0:
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("entry %q: %w", zf.Name, err)
		}
		defer rc.Close()
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			return fmt.Errorf("entry %q is truncated or corrupt: %w", zf.Name, err)
		}
		return x.symlink(zf.Name, string(target))
	case mode.IsRegular():
		if zf.UncompressedSize64 > uint64(x.lim.maxBytes) {
			return x.tooBig(zf.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("entry %q: %w", zf.Name, err)
		}
		defer rc.Close()
		return x.file(zf.Name, int64(zf.UncompressedSize64), mode, rc)
	default:
		return fmt.Errorf("entry %q is a device, fifo or socket (mode %s); builds may hold only files, dirs and links",
			zf.Name, mode)
	}
}

// entryName validates the name of an entry to be created and returns it cleaned and
// relative to the root.
func (x *extractor) entryName(raw string) (string, error) {
	name, err := x.cleanName(raw)
	if err != nil {
		return "", err
	}
	if x.symlinks[name] {
		return "", fmt.Errorf("entry %q replaces a symlink; refusing duplicate entries", raw)
	}
	return name, nil
}

// cleanName validates a name in the archive (an entry's or a hardlink's target) and
// returns it cleaned and relative to the root.
func (x *extractor) cleanName(raw string) (string, error) {
	if raw == "" || strings.ContainsRune(raw, 0) {
		return "", fmt.Errorf("entry %q has an empty or invalid name", raw)
	}
	if strings.HasPrefix(raw, "/") {
		return "", fmt.Errorf("entry %q has an absolute path; build archives must use relative paths", raw)
	}
	for _, part := range strings.Split(raw, "/") {
		if part == ".." {
			return "", fmt.Errorf("entry %q contains \"..\"; refusing to write outside the build dir", raw)
		}
	}
	name := path.Clean(raw)
	// A later entry under an earlier symlink would land wherever the link points,
	// which the symlink check (relative to the link's own name) cannot vouch for.
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if x.symlinks[dir] {
			return "", fmt.Errorf("entry %q is below symlink %q; refusing to write through links", raw, dir)
		}
	}
	return name, nil
}

func (x *extractor) count(name string) error {
	x.files++
	if x.files > x.lim.maxFiles {
		return fmt.Errorf("archive has more than %d entries (at %q); raise the limit or slim the build", x.lim.maxFiles, name)
	}
	return nil
}

func (x *extractor) tooBig(name string) error {
	return fmt.Errorf("archive expands to more than %d bytes (at %q); raise the limit or slim the build", x.lim.maxBytes, name)
}

func (x *extractor) dir(raw string) error {
	name, err := x.entryName(raw)
	if err != nil {
		return err
	}
	if err := x.count(raw); err != nil {
		return err
	}
	if name == "." {
		return nil
	}
	if err := x.root.MkdirAll(name, 0o755); err != nil {
		return fmt.Errorf("entry %q: %w", raw, err)
	}
	return nil
}

func (x *extractor) file(raw string, size int64, mode fs.FileMode, r io.Reader) error {
	name, err := x.entryName(raw)
	if err != nil {
		return err
	}
	if err := x.count(raw); err != nil {
		return err
	}
	if size < 0 || size > x.lim.maxBytes-x.bytes {
		return x.tooBig(raw)
	}
	if err := x.mkParent(raw, name); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm()|0o600)
	if err != nil {
		return fmt.Errorf("entry %q: %w", raw, err)
	}
	// One byte past the budget tells a lying size header from an honest one.
	n, err := io.Copy(f, io.LimitReader(r, x.lim.maxBytes-x.bytes+1))
	x.bytes += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("entry %q is truncated or corrupt: %w", raw, err)
	}
	if x.bytes > x.lim.maxBytes {
		return x.tooBig(raw)
	}
	return nil
}

func (x *extractor) symlink(raw, target string) error {
	name, err := x.entryName(raw)
	if err != nil {
		return err
	}
	if err := x.count(raw); err != nil {
		return err
	}
	if target == "" || strings.HasPrefix(target, "/") || strings.ContainsRune(target, 0) {
		return fmt.Errorf("symlink %q points to %q; build symlinks must be relative and stay inside the build", raw, target)
	}
	if err := x.mkParent(raw, name); err != nil {
		return err
	}
	if _, err := x.resolveLink(name, target); err != nil {
		return fmt.Errorf("symlink %q points to %q, which %w", raw, target, err)
	}
	if err := x.root.Symlink(target, name); err != nil {
		return fmt.Errorf("entry %q: %w", raw, err)
	}
	x.symlinks[name] = true
	x.links = append(x.links, name)
	return nil
}

// checkLinks resolves every symlink again once all entries exist: a link that dangled
// when it was created may have been completed by later entries (d -> l/.. followed by
// l -> .) into one that leaves the build.
func (x *extractor) checkLinks() error {
	for _, name := range x.links {
		target, err := x.root.Readlink(name)
		if err != nil {
			return fmt.Errorf("symlink %q: %w", name, err)
		}
		if _, err := x.resolveLink(name, target); err != nil {
			return fmt.Errorf("symlink %q -> %q %w once later entries are in place", name, target, err)
		}
	}
	return nil
}

// resolveLink resolves target as the kernel would for a link at name.
func (x *extractor) resolveLink(name, target string) ([]string, error) {
	hops := 0
	dir, err := x.resolve(nil, path.Dir(name), &hops)
	if err != nil {
		return nil, err
	}
	return x.resolve(dir, target, &hops)
}

// resolve walks rel from the directory at (the components of) from, following the
// symlinks that exist now through the Root, and returns where it lands as components
// below the root, or errEscapes. A missing component is taken literally, so a dangling
// link is judged by where it would lead if its target were created: resolving, not
// comparing strings, is what catches chains like a/l -> .. with d -> a/l/../.. .
func (x *extractor) resolve(from []string, rel string, hops *int) ([]string, error) {
	cur := slices.Clone(from)
	missingAt := 0 // depth of the first missing component, 0 while everything exists
	for _, part := range strings.Split(rel, "/") {
		switch part {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return nil, errEscapes
			}
			cur = cur[:len(cur)-1]
			if len(cur) < missingAt {
				missingAt = 0 // back on components that exist: look at the filesystem again
			}
			continue
		}
		next := append(slices.Clone(cur), part)
		if missingAt > 0 {
			cur = next
			continue
		}
		fi, err := x.root.Lstat(strings.Join(next, "/"))
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			missingAt = len(next)
			cur = next
		case err != nil:
			return nil, err
		case fi.Mode()&fs.ModeSymlink != 0:
			if *hops++; *hops > maxLinkHops {
				return nil, fmt.Errorf("goes through more than %d symlinks", maxLinkHops)
			}
			link, err := x.root.Readlink(strings.Join(next, "/"))
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(link, "/") {
				return nil, errEscapes
			}
			if cur, err = x.resolve(cur, link, hops); err != nil {
				return nil, err
			}
		default:
			cur = next
		}
	}
	return cur, nil
}

func (x *extractor) hardlink(raw, target string) error {
	name, err := x.entryName(raw)
	if err != nil {
		return err
	}
	if err := x.count(raw); err != nil {
		return err
	}
	old, err := x.cleanName(target)
	if err != nil {
		return fmt.Errorf("hardlink %q to %q leaves the build dir: %w", raw, target, err)
	}
	fi, err := x.root.Lstat(old)
	if err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("hardlink %q must point to a regular file extracted before it, not %q", raw, target)
	}
	if err := x.mkParent(raw, name); err != nil {
		return err
	}
	if err := x.root.Link(old, name); err != nil {
		return fmt.Errorf("entry %q: %w", raw, err)
	}
	return nil
}

func (x *extractor) mkParent(raw, name string) error {
	if dir := path.Dir(name); dir != "." {
		if err := x.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("entry %q: %w", raw, err)
		}
	}
	return nil
}
