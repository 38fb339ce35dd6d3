// Package agent is the deploy agent that runs on every host: it pings the service
// (POST /v1/system/ping), runs the one goal the service answers with (download, stage,
// run a lifecycle script), reports the result, and repeats until the service says NOOP.
//
// It behaves like Teletraan's Python deploy-agent so that either side can be swapped:
// the same stages, the same script names and environment, the same status file shape, the
// same on-disk layout of builds. It imports only the standard library and agent/protocol
// because it runs on every host and must stay small.
package agent

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// EnvNamePlaceholder is replaced by the environment's name in Config.TargetPattern.
const EnvNamePlaceholder = "<ENV_NAME>"

// Config is everything the agent needs; start from DefaultConfig and override.
type Config struct {
	// ServerURL is the service's base URL; pings go to ServerURL + protocol.PingPath.
	ServerURL string
	// Token is sent as "Authorization: Bearer <Token>"; empty sends no header.
	Token string

	// HostID identifies the host to the service; it is required.
	HostID string
	// HostName is the host's name as shown on the board; defaults to HostID server-side.
	HostName string
	// HostIP is reported so that operators can reach the host.
	HostIP string
	// Groups are the capacity groups the host belongs to (how it joins stages).
	Groups []string
	// AvailabilityZone is reported for sharded group membership.
	AvailabilityZone string
	// AgentVersion is reported in every ping.
	AgentVersion string

	// AgentDir holds the status file, its lock, script configs and logs/.
	AgentDir string
	// BuildsDir holds downloaded archives, extracted builds and .extracted markers.
	BuildsDir string
	// TargetPattern is the path of each environment's target symlink; EnvNamePlaceholder
	// in it is replaced by the environment name (when absent, the name is appended).
	TargetPattern string

	// PingInterval is the minimum time between two idle cycles.
	PingInterval time.Duration
	// LongPollWait is how long the server may hold an idle ping; 0 disables long-polling.
	LongPollWait time.Duration
	// MinRunningTime is how often a running stage re-pings to learn whether its goal changed.
	MinRunningTime time.Duration
	// PingRetries is how many times one ping is attempted before the cycle gives up.
	PingRetries int
	// PingRetryDelay separates ping attempts.
	PingRetryDelay time.Duration

	// BuildsToRetain is how many builds, the current one included, stay in BuildsDir.
	BuildsToRetain int
	// MaxBuildsBytes, when positive, also bounds the bytes of the builds kept beyond the
	// ones in use (older builds go first).
	MaxBuildsBytes int64
	// MaxLogBytes is the size at which an environment's script log is rotated to .1.
	MaxLogBytes int64
	// ScriptTimeout kills a script's whole process group and fails the stage (SCRIPT_TIMEOUT).
	ScriptTimeout time.Duration
	// MaxRetries is how many attempts a failing stage gets before TOO_MANY_RETRY.
	MaxRetries int
	// RetryInterval is the first pause between attempts; it doubles up to MaxRetryInterval.
	RetryInterval time.Duration
	// MaxRetryInterval caps the pause between attempts.
	MaxRetryInterval time.Duration
	// TerminationGrace is how long an aborted script gets between SIGTERM and SIGKILL.
	TerminationGrace time.Duration
	// MaxTailBytes bounds the script output sent back as errorMessage.
	MaxTailBytes int

	// DownloadAllowlist, when not empty, lists the only places artifacts may come from:
	// host names for http(s) URLs, absolute directories for file:// URLs.
	DownloadAllowlist []string
	// TrustedKeys, when not empty, are the only keys a build may be signed with: every
	// artifact must carry <url>.sig, an Ed25519 signature by one of them (protocol.SignArtifact),
	// so that a compromised artifact store cannot push code to the host.
	TrustedKeys []ed25519.PublicKey
	// MaxArchiveBytes bounds an artifact's download size and its uncompressed size.
	MaxArchiveBytes int64
	// MaxArchiveFiles bounds the number of entries in an artifact.
	MaxArchiveFiles int
	// DownloadStallTimeout ends a download attempt that receives no bytes for this long.
	DownloadStallTimeout time.Duration
	// DownloadTimeout bounds one artifact's download, retries included.
	DownloadTimeout time.Duration
	// DownloadRetries is how many attempts one download gets before the stage fails.
	DownloadRetries int
	// DownloadRetryInterval is the first pause between download attempts; it doubles up to 30s.
	DownloadRetryInterval time.Duration
	// MinFreeBytes is the disk space a download must leave free in BuildsDir beyond the
	// archive and its estimated extracted size.
	MinFreeBytes int64
	// ConnectTimeout bounds a TCP connect of the default HTTP client.
	ConnectTimeout time.Duration
	// TLSHandshakeTimeout bounds a TLS handshake of the default HTTP client.
	TLSHandshakeTimeout time.Duration

	// HTTPClient is used for pings and downloads; nil means a private client whose
	// transport applies ConnectTimeout and TLSHandshakeTimeout. The stall and overall
	// download timeouts apply whatever the client.
	HTTPClient *http.Client
	// Logger receives the agent's own log; nil discards it.
	Logger *slog.Logger
}

// DefaultConfig returns Teletraan's defaults, except paths, which the caller must set.
func DefaultConfig() Config {
	return Config{
		TargetPattern:    "", // derived from AgentDir in Validate
		PingInterval:     30 * time.Second,
		LongPollWait:     25 * time.Second,
		MinRunningTime:   60 * time.Second,
		PingRetries:      3,
		PingRetryDelay:   time.Second,
		BuildsToRetain:   2,
		ScriptTimeout:    1800 * time.Second,
		MaxRetries:       3,
		RetryInterval:    2 * time.Second,
		MaxRetryInterval: 60 * time.Second,
		TerminationGrace: 30 * time.Second,
		MaxTailBytes:     8 << 10,
		MaxArchiveBytes:  4 << 30,
		MaxArchiveFiles:  200_000,
		MaxLogBytes:      10 << 20,

		DownloadStallTimeout:  60 * time.Second,
		DownloadTimeout:       time.Hour,
		DownloadRetries:       5,
		DownloadRetryInterval: time.Second,
		MinFreeBytes:          64 << 20,
		ConnectTimeout:        10 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
	}
}

// Validate checks cfg and fills what can be derived (absolute paths, default target
// pattern, logger); it names the offending field so that flag and key errors are clear.
func (c *Config) Validate() error {
	u, err := url.Parse(c.ServerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("ServerURL %q: want an http(s) URL such as https://teletraan.example.com", c.ServerURL)
	}
	c.ServerURL = strings.TrimRight(c.ServerURL, "/")
	if c.HostID == "" {
		return errors.New("HostID is empty: set the host id (defaults to the host name)")
	}
	for name, dir := range map[string]*string{"AgentDir": &c.AgentDir, "BuildsDir": &c.BuildsDir} {
		if *dir == "" {
			return fmt.Errorf("%s is empty: set a directory", name)
		}
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return fmt.Errorf("%s %q: %w", name, *dir, err)
		}
		*dir = abs
	}
	if c.TargetPattern == "" {
		c.TargetPattern = filepath.Join(c.AgentDir, "targets", EnvNamePlaceholder)
	}
	if !filepath.IsAbs(c.TargetPattern) {
		return fmt.Errorf("TargetPattern %q must be absolute", c.TargetPattern)
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"PingInterval", c.PingInterval}, {"ScriptTimeout", c.ScriptTimeout},
		{"RetryInterval", c.RetryInterval}, {"MaxRetryInterval", c.MaxRetryInterval},
		{"DownloadStallTimeout", c.DownloadStallTimeout}, {"DownloadTimeout", c.DownloadTimeout},
		{"DownloadRetryInterval", c.DownloadRetryInterval}, {"ConnectTimeout", c.ConnectTimeout},
		{"TLSHandshakeTimeout", c.TLSHandshakeTimeout},
	}
	for _, p := range positive {
		if p.d <= 0 {
			return fmt.Errorf("%s must be positive, got %s", p.name, p.d)
		}
	}
	if c.LongPollWait < 0 || c.LongPollWait > protocol.MaxWaitSeconds*time.Second {
		return fmt.Errorf("LongPollWait must be between 0 and %ds, got %s", protocol.MaxWaitSeconds, c.LongPollWait)
	}
	nonNegative := []struct {
		name string
		d    time.Duration
	}{{"MinRunningTime", c.MinRunningTime}, {"TerminationGrace", c.TerminationGrace}, {"PingRetryDelay", c.PingRetryDelay}}
	for _, p := range nonNegative {
		if p.d < 0 {
			return fmt.Errorf("%s must not be negative, got %s", p.name, p.d)
		}
	}
	atLeastOne := []struct {
		name string
		n    int64
	}{
		{"PingRetries", int64(c.PingRetries)}, {"MaxRetries", int64(c.MaxRetries)},
		{"BuildsToRetain", int64(c.BuildsToRetain)}, {"MaxArchiveBytes", c.MaxArchiveBytes},
		{"MaxArchiveFiles", int64(c.MaxArchiveFiles)}, {"MaxTailBytes", int64(c.MaxTailBytes)},
		{"MaxLogBytes", c.MaxLogBytes}, {"DownloadRetries", int64(c.DownloadRetries)},
	}
	for _, p := range atLeastOne {
		if p.n < 1 {
			return fmt.Errorf("%s must be at least 1, got %d", p.name, p.n)
		}
	}
	if c.MaxBuildsBytes < 0 {
		return fmt.Errorf("MaxBuildsBytes must not be negative (0 means no limit), got %d", c.MaxBuildsBytes)
	}
	if c.MinFreeBytes < 0 {
		return fmt.Errorf("MinFreeBytes must not be negative, got %d", c.MinFreeBytes)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = c.defaultClient()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// targetFor is where env's target symlink lives unless a runtime config overrides it.
func (c *Config) targetFor(env string) string {
	if strings.Contains(c.TargetPattern, EnvNamePlaceholder) {
		return strings.ReplaceAll(c.TargetPattern, EnvNamePlaceholder, env)
	}
	return filepath.Join(c.TargetPattern, env)
}

// defaultClient is an HTTP client whose every phase before the body is bounded: a host
// behind a black-holed route or a TLS server that never answers fails in seconds. No
// overall timeout: pings and downloads set their own deadlines.
func (c *Config) defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: c.ConnectTimeout, KeepAlive: 30 * time.Second}
	t.DialContext = dialer.DialContext
	t.TLSHandshakeTimeout = c.TLSHandshakeTimeout
	return &http.Client{Transport: t}
}
