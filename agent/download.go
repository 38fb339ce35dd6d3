package agent

import (
	"context"
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
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
	"syscall"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// extractedSuffix names the marker that proves <builds dir>/<buildId> is complete.
const extractedSuffix = ".extracted"

// downloader fetches artifacts into the builds dir.
type downloader struct {
	http          *http.Client
	dir           string // the builds dir, whose free space is checked
	stall         time.Duration
	timeout       time.Duration
	retries       int
	retryInterval time.Duration
	minFree       int64
	// hosts and dirs are the allowlist: the hosts http(s) artifacts may come from and
	// the directories file:// artifacts may be read from. Both empty means any.
	hosts    []string
	dirs     []string
	maxBytes int64
	// keys, when set, must have signed every artifact.
	keys []ed25519.PublicKey
}

// newDownloader copies base so that the allowlist also guards redirects without
// changing the caller's client. Allowlist entries that are absolute paths are
// directories for file:// URLs; the others are host names for http(s).
func newDownloader(cfg *Config) *downloader {
	c := *cfg.HTTPClient
	d := &downloader{http: &c, maxBytes: cfg.MaxArchiveBytes, dir: cfg.BuildsDir,
		stall: cfg.DownloadStallTimeout, timeout: cfg.DownloadTimeout, retries: cfg.DownloadRetries,
		retryInterval: cfg.DownloadRetryInterval, minFree: cfg.MinFreeBytes, keys: cfg.TrustedKeys}
	for _, h := range cfg.DownloadAllowlist {
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

// Errors that end one download attempt from the inside; they are causes of the
// attempt's context, so that "context canceled" can say which one it was.
var (
	errStalled         = errors.New("no bytes arrived within the stall timeout")
	errDownloadTimeout = errors.New("the download took longer than its overall timeout")
)

// maxDownloadBackoff caps the pause between download attempts.
const maxDownloadBackoff = 30 * time.Second

// partial is a download in progress: the temp file, how much of it is verified to be
// a prefix of the artifact, the running checksums over exactly those bytes, and the
// validator that lets a retry resume with a Range request.
type partial struct {
	f         *os.File
	n         int64
	sum256    hash.Hash
	sum1      hash.Hash
	sum512    hash.Hash // for the signature; a no-op hash when no key is trusted
	validator string    // strong ETag or Last-Modified of the first response, for If-Range
}

// reset discards what was fetched so far: the next attempt starts from byte 0.
func (p *partial) reset() error {
	p.n, p.validator = 0, ""
	p.sum256.Reset()
	p.sum1.Reset()
	p.sum512.Reset()
	if err := p.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate download: %w", err)
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind download: %w", err)
	}
	return nil
}

// download puts the artifact at dest, verified, or fails leaving nothing behind: bytes
// go to a temp file that is renamed only once the checksum matched. It cannot hang: the
// transport bounds connect and TLS handshake, a watchdog ends an attempt that receives
// no bytes for the stall timeout, the whole download has a deadline, and ctx (the goal)
// cancels it. Transient failures are retried with backoff, resuming with an HTTP Range
// request where the server supports it.
func (d *downloader) download(ctx context.Context, b *BuildInfo, dest string) error {
	u, err := url.Parse(b.URL)
	if err != nil {
		return permanent(fmt.Errorf("artifact URL %q: %w", b.URL, err))
	}
	if err := d.allowed(u); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, d.timeout, errDownloadTimeout)
	defer cancel()

	tmp, err := os.CreateTemp(filepath.Dir(dest), downloadTempPrefix+filepath.Base(dest)+"-*")
	if err != nil {
		return fmt.Errorf("create download file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	defer tmp.Close()
	p := &partial{f: tmp, sum256: sha256.New(), sum1: sha1.New(), sum512: noHash{}}
	if len(d.keys) > 0 {
		p.sum512 = sha512.New()
	}
	backoff := d.retryInterval
	for attempt := 1; ; attempt++ {
		err = d.fetch(ctx, u, p)
		if err == nil {
			break
		}
		if cause := context.Cause(ctx); cause != nil {
			return fmt.Errorf("download %s: %w", u.Redacted(), cause)
		}
		var pe *permanentError
		if errors.As(err, &pe) || errors.Is(err, fs.ErrNotExist) || attempt >= d.retries {
			return err
		}
		if sleep(ctx, backoff) != nil {
			return fmt.Errorf("download %s: %w", u.Redacted(), context.Cause(ctx))
		}
		backoff = min(backoff*2, maxDownloadBackoff)
	}
	if err := d.verify(ctx, u, b.Checksum, p.sum256, p.sum1); err != nil {
		return err
	}
	if err := d.verifySignature(ctx, u, p.sum512); err != nil {
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

// fetch is one attempt: it appends the artifact's bytes from p.n on to p.
func (d *downloader) fetch(ctx context.Context, u *url.URL, p *partial) error {
	if u.Scheme == "file" {
		src, err := d.openFile(u)
		if err != nil {
			return err
		}
		defer src.Close()
		if _, err := src.(io.Seeker).Seek(p.n, io.SeekStart); err != nil {
			return fmt.Errorf("seek %s: %w", u.Path, err)
		}
		fi, err := src.(*os.File).Stat()
		if err != nil {
			return fmt.Errorf("stat %s: %w", u.Path, err)
		}
		if err := d.checkSize(u, fi.Size()-p.n, p.n); err != nil {
			return err
		}
		return d.copyInto(p, src, u, nil)
	}

	// The watchdog runs from before the request: a server that accepts the connection
	// and never answers stalls just like one that stops sending mid-body.
	actx, acancel := context.WithCancelCause(ctx)
	defer acancel(nil)
	watchdog := time.AfterFunc(d.stall, func() { acancel(errStalled) })
	defer watchdog.Stop()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, u.String(), nil)
	if err != nil {
		return permanent(fmt.Errorf("artifact URL %q: %w", u.Redacted(), err))
	}
	if p.n > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", p.n))
		if p.validator != "" {
			req.Header.Set("If-Range", p.validator) // a changed artifact comes whole (200)
		}
	}
	resp, err := d.http.Do(req)
	if err != nil {
		var pe *permanentError
		if errors.As(err, &pe) {
			return pe
		}
		return d.attemptErr(actx, u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		if p.n > 0 { // no Range support, or the artifact changed: start over
			if err := p.reset(); err != nil {
				return err
			}
		}
		p.validator = resp.Header.Get("ETag")
		if strings.HasPrefix(p.validator, "W/") || p.validator == "" {
			p.validator = resp.Header.Get("Last-Modified")
		}
	case resp.StatusCode == http.StatusPartialContent && p.n > 0:
		if !strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", p.n)) {
			if err := p.reset(); err != nil {
				return err
			}
			return fmt.Errorf("download %s: server resumed at %q, not at byte %d; starting over", u.Redacted(),
				resp.Header.Get("Content-Range"), p.n)
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		if err := p.reset(); err != nil {
			return err
		}
		return fmt.Errorf("download %s: server refused to resume at byte %d; starting over", u.Redacted(), p.n)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("download %s: %s: %w", u.Redacted(), resp.Status, fs.ErrNotExist)
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout &&
		resp.StatusCode != http.StatusTooManyRequests:
		return permanent(fmt.Errorf("download %s: server answered %s", u.Redacted(), resp.Status))
	default:
		return fmt.Errorf("download %s: server answered %s", u.Redacted(), resp.Status)
	}
	if resp.ContentLength >= 0 {
		if err := d.checkSize(u, resp.ContentLength, p.n); err != nil {
			return err
		}
	}
	return d.attemptErr(actx, u, d.copyInto(p, resp.Body, u, watchdog))
}

// attemptErr names the watchdog when it is what ended the attempt.
func (d *downloader) attemptErr(actx context.Context, u *url.URL, err error) error {
	if err != nil && errors.Is(context.Cause(actx), errStalled) {
		return fmt.Errorf("download %s stalled: no bytes for %s (--download-stall-timeout)", u.Redacted(), d.stall)
	}
	return err
}

// copyInto appends src to p, feeding the watchdog on every read that brought bytes.
// Bytes count as fetched only once they are in the file and the checksums, so that a
// resumed attempt continues exactly where the file ends.
func (d *downloader) copyInto(p *partial, src io.Reader, u *url.URL, watchdog *time.Timer) error {
	buf := make([]byte, 64<<10)
	for {
		k, rerr := src.Read(buf)
		if k > 0 {
			if watchdog != nil {
				watchdog.Reset(d.stall)
			}
			if p.n+int64(k) > d.maxBytes {
				return permanent(fmt.Errorf("artifact %s is larger than the limit of %d bytes (--max-archive-bytes)", u.Redacted(), d.maxBytes))
			}
			if _, err := p.f.Write(buf[:k]); err != nil {
				// The file may hold part of the chunk: only a fresh start is safe.
				return errors.Join(fmt.Errorf("write download: %w", err), p.reset())
			}
			p.sum256.Write(buf[:k])
			p.sum1.Write(buf[:k])
			p.sum512.Write(buf[:k])
			p.n += int64(k)
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("download %s: %w", u.Redacted(), rerr)
		}
	}
}

// checkSize refuses, before any byte is written, an artifact over the size limit or
// one the disk cannot hold together with its extracted tree.
func (d *downloader) checkSize(u *url.URL, remaining, have int64) error {
	if have+remaining > d.maxBytes {
		return permanent(fmt.Errorf("artifact %s is %d bytes, larger than the limit of %d bytes (--max-archive-bytes)",
			u.Redacted(), have+remaining, d.maxBytes))
	}
	extracted := min(extractedEstimate(u.Path, have+remaining), d.maxBytes)
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.dir, &st); err != nil {
		return fmt.Errorf("check free disk in %s: %w", d.dir, err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	if need := remaining + extracted + d.minFree; free < need {
		// Permanent: retrying cannot make room, and the host should be looked at.
		return permanentf("not enough free disk in %s for %s: %d bytes free, need about %d (archive %d, extracted about %d, reserve %d); free space or lower --builds-to-retain",
			d.dir, u.Redacted(), free, need, remaining, extracted, d.minFree)
	}
	return nil
}

// extractedEstimate guesses an archive's extracted size from its size: compressed
// formats typically expand about three times, a plain tar not at all.
func extractedEstimate(name string, size int64) int64 {
	if strings.HasSuffix(name, ".tar") {
		return size
	}
	return 3 * size
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
	ctx, cancel := context.WithTimeout(ctx, d.stall)
	defer cancel()
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

// verifySignature checks, when the host trusts signing keys, that <url>.sig is a signature
// of the artifact by one of them. A missing or wrong signature is final: retrying cannot
// make an unsigned build trustworthy.
func (d *downloader) verifySignature(ctx context.Context, u *url.URL, sum512 hash.Hash) error {
	if len(d.keys) == 0 {
		return nil
	}
	side := *u
	side.Path += protocol.SignatureSuffix
	ctx, cancel := context.WithTimeout(ctx, d.stall)
	defer cancel()
	src, err := d.open(ctx, &side)
	if errors.Is(err, fs.ErrNotExist) {
		return permanentf("artifact %s has no signature (%s), and this host deploys only builds signed by its trusted keys (--trusted-keys)", u.Redacted(), side.Redacted())
	}
	if err != nil {
		return fmt.Errorf("fetch signature: %w", err)
	}
	defer src.Close()
	data, err := io.ReadAll(io.LimitReader(src, 4096))
	if err != nil {
		return fmt.Errorf("read %s: %w", side.Redacted(), err)
	}
	if err := protocol.VerifyArtifact(d.keys, sum512.Sum(nil), data); err != nil {
		return permanentf("artifact %s: %v (%s); refusing a build this host cannot trust", u.Redacted(), err, side.Redacted())
	}
	return nil
}

// noHash stands in for the signature's digest when no key is trusted, so that hosts
// without signing pay nothing for it.
type noHash struct{}

func (noHash) Write(p []byte) (int, error) { return len(p), nil }
func (noHash) Sum(b []byte) []byte         { return b }
func (noHash) Reset()                      {}
func (noHash) Size() int                   { return 0 }
func (noHash) BlockSize() int              { return 1 }

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
