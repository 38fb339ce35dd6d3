package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// checkTimeout bounds each network check of Check.
const checkTimeout = 10 * time.Second

// Check validates cfg and the host's readiness without changing anything the service
// sees: the config, that the agent's dirs are writable, the free disk of the builds
// dir, whether another agent holds the dir, and that the service answers over HTTP. It
// writes one line per check to w and returns an error naming the failed ones. It sends
// no ping, because a ping registers the host and may admit it to a deploy.
func Check(ctx context.Context, cfg Config, w io.Writer) error {
	var failed []string
	report := func(name string, err error, okDetail string) {
		if err != nil {
			fmt.Fprintf(w, "FAIL %-10s %v\n", name, err)
			failed = append(failed, name)
			return
		}
		fmt.Fprintf(w, "ok   %-10s %s\n", name, okDetail)
	}
	if err := cfg.Validate(); err != nil {
		report("config", err, "")
		return fmt.Errorf("check failed: %s", strings.Join(failed, ", "))
	}
	report("config", nil, "valid")
	for _, dir := range []struct{ name, path string }{{"agent-dir", cfg.AgentDir}, {"builds-dir", cfg.BuildsDir}} {
		report(dir.name, writable(dir.path), dir.path+" is writable")
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(cfg.BuildsDir, &st); err == nil {
		free := int64(st.Bavail) * int64(st.Bsize)
		var err error
		if free < cfg.MinFreeBytes {
			err = fmt.Errorf("%s has %d bytes free, less than --min-free-bytes %d", cfg.BuildsDir, free, cfg.MinFreeBytes)
		}
		report("disk", err, fmt.Sprintf("%d MiB free in %s", free>>20, cfg.BuildsDir))
	}
	if lock, err := acquireLock(filepath.Join(cfg.AgentDir, lockFileName)); err == nil {
		lock.release()
		report("lock", nil, "no agent is running on this dir")
	} else {
		report("lock", nil, "an agent is running on this dir")
	}
	report("server", checkServer(ctx, cfg), cfg.ServerURL+" answers")
	if len(cfg.DownloadAllowlist) == 0 {
		fmt.Fprintln(w, "warn allowlist  none set: artifacts may come from any host or local path")
	}
	if len(failed) > 0 {
		return fmt.Errorf("check failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// writable creates dir if needed and proves a file can be written in it.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// checkServer asks the service's health endpoint; any HTTP answer but a server error
// proves the URL, TLS and route (a Teletraan server without /healthz answers 404).
func checkServer(ctx context.Context, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.ServerURL+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer from %s within %s", cfg.ServerURL, checkTimeout)
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s/healthz answered %s", cfg.ServerURL, resp.Status)
	}
	return nil
}
