package agent

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// extractedSuffix names the marker that proves <builds dir>/<buildId> is complete.
const extractedSuffix = ".extracted"

// downloader fetches artifacts into the builds dir.
type downloader struct {
	http *http.Client
	// hosts and dirs are the allowlist: the hosts http(s) artifacts may come from and
	// the directories file:// artifacts may be read from. Both empty means any.
	hosts    []string
	dirs     []string
	maxBytes int64
}

// newDownloader copies base so that the allowlist also guards redirects without
// changing the caller's client. Allowlist entries that are absolute paths are
// directories for file:// URLs; the others are host names for http(s).
func newDownloader(base *http.Client, allow []string, maxBytes int64) *downloader {
	c := *base
	d := &downloader{http: &c, maxBytes: maxBytes}
	for _, h := range allow {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
		case filepath.IsAbs(h):
			d.dirs = append(d.dirs, filepath.Clean(h))
		default:
			d.hosts = append(d.hosts, strings.ToLower(h))
		}
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return d.allowed(req.URL)
	}
	return d
}

// unrestricted reports whether the host configured no allowlist at all.
func (d *downloader) unrestricted() bool { return len(d.hosts) == 0 && len(d.dirs) == 0 }

// allowed enforces the allowlist for every scheme: it is the host's last line of
// defence against a service (or a build record) that points it at something it should
// not run, so file:// is no exception.
func (d *downloader) allowed(u *url.URL) error {
	switch u.Scheme {
	case "file":
		_, _, err := d.fileRoot(u)
		return err
	case "http", "https":
	default:
		return permanent(fmt.Errorf("artifact URL %q: scheme %q is not supported (use https, http or file)", u.Redacted(), u.Scheme))
	}
	if d.unrestricted() || slices.Contains(d.hosts, strings.ToLower(u.Hostname())) {
		return nil
	}
	return permanent(fmt.Errorf("artifact host %q is not in the download allowlist (%s); add it with --download-allowlist",
		u.Hostname(), strings.Join(append(slices.Clone(d.hosts), d.dirs...), ", ")))
}

// fileRoot returns the allowlisted directory a file:// URL is under and the path
// relative to it ("" and the absolute path when there is no allowlist).
func (d *downloader) fileRoot(u *url.URL) (dir, rel string, err error) {
	if u.Host != "" && u.Host != "localhost" {
		return "", "", permanent(fmt.Errorf("artifact URL %q names host %q; file URLs must be local (file:///path)", u.Redacted(), u.Host))
	}
	p := filepath.Clean(u.Path)
	if !filepath.IsAbs(p) {
		return "", "", permanent(fmt.Errorf("artifact URL %q: want an absolute path (file:///path/to/build.tar.gz)", u.Redacted()))
	}
	if d.unrestricted() {
		return "", p, nil
	}
	for _, dir := range d.dirs {
		if rel, err := filepath.Rel(dir, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return dir, rel, nil
		}
	}
	return "", "", permanent(fmt.Errorf("artifact file %s is not under a directory of the download allowlist (%s); add its directory (an absolute path) with --download-allowlist",
		p, strings.Join(append(slices.Clone(d.hosts), d.dirs...), ", ")))
}

// openFile opens a file:// artifact; under an allowlist it is opened through an
// os.Root on the allowed directory, so a symlink in that directory cannot lead out.
func (d *downloader) openFile(u *url.URL) (io.ReadCloser, error) {
	dir, rel, err := d.fileRoot(u)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		f, err := os.Open(rel)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", rel, err)
		}
		return f, nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open allowlisted dir %s: %w", dir, err)
	}
	defer root.Close()
	f, err := root.Open(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", u.Path, err)
	}
	if err != nil {
		return nil, permanent(fmt.Errorf("open %s inside allowlisted %s: %w", rel, dir, err))
	}
	return f, nil
}

// download puts the artifact at dest, verified, or fails leaving dest untouched: bytes go
// to a temp file that is renamed only once the checksum matched.
func (d *downloader) download(ctx context.Context, b *BuildInfo, dest string) error {
	u, err := url.Parse(b.URL)
	if err != nil {
		return permanent(fmt.Errorf("artifact URL %q: %w", b.URL, err))
	}
	if err := d.allowed(u); err != nil {
		return err
	}
	src, err := d.open(ctx, u)
	if err != nil {
		return err
	}
	defer src.Close()

	tmp, err := os.CreateTemp(filepath.Dir(dest), downloadTempPrefix+filepath.Base(dest)+"-*")
	if err != nil {
		return fmt.Errorf("create download file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	defer tmp.Close()
	sum256, sum1 := sha256.New(), sha1.New()
	n, err := io.Copy(io.MultiWriter(tmp, sum256, sum1), io.LimitReader(src, d.maxBytes+1))
	if err != nil {
		return fmt.Errorf("download %s: %w", u.Redacted(), err)
	}
	if n > d.maxBytes {
		return permanent(fmt.Errorf("artifact %s is larger than the limit of %d bytes (--max-archive-bytes)", u.Redacted(), d.maxBytes))
	}
	if err := d.verify(ctx, u, b.Checksum, sum256, sum1); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync download: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close download: %w", err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("move download into place: %w", err)
	}
	return syncDir(filepath.Dir(dest))
}

// verify checks the service's SHA-256 when it has one, else Teletraan's optional
// <url>.sha1 sidecar; a build without either is trusted as Teletraan does.
func (d *downloader) verify(ctx context.Context, u *url.URL, checksum string, sum256, sum1 hash.Hash) error {
	if checksum != "" {
		if got := hex.EncodeToString(sum256.Sum(nil)); !strings.EqualFold(got, strings.TrimSpace(checksum)) {
			return fmt.Errorf("artifact %s: sha256 is %s, the build says %s (corrupt download or wrong build record)",
				u.Redacted(), got, checksum)
		}
		return nil
	}
	side := *u
	side.Path += ".sha1"
	src, err := d.open(ctx, &side)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fetch checksum: %w", err)
	}
	defer src.Close()
	data, err := io.ReadAll(io.LimitReader(src, 1024))
	if err != nil {
		return fmt.Errorf("read %s: %w", side.Redacted(), err)
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return fmt.Errorf("%s is empty", side.Redacted())
	}
	if got := hex.EncodeToString(sum1.Sum(nil)); !strings.EqualFold(got, fields[0]) {
		return fmt.Errorf("artifact %s: sha1 is %s, %s says %s (corrupt download?)", u.Redacted(), got, side.Redacted(), fields[0])
	}
	return nil
}

// open returns the resource's body; a 404 or missing file is fs.ErrNotExist so that the
// optional .sha1 lookup can tell "absent" from "broken".
func (d *downloader) open(ctx context.Context, u *url.URL) (io.ReadCloser, error) {
	if u.Scheme == "file" {
		return d.openFile(u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, permanent(fmt.Errorf("artifact URL %q: %w", u.Redacted(), err))
	}
	resp, err := d.http.Do(req)
	if err != nil {
		var pe *permanentError
		if errors.As(err, &pe) {
			return nil, pe
		}
		return nil, fmt.Errorf("download %s: %w", u.Redacted(), err)
	}
	if resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		return nil, fmt.Errorf("download %s: %s: %w", u.Redacted(), resp.Status, fs.ErrNotExist)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("download %s: server answered %s", u.Redacted(), resp.Status)
	}
	return resp.Body, nil
}
