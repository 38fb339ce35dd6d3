// Command teletraan-agent is the deploy agent that runs on every host: it pings the
// Teletraan service, downloads and stages builds, runs their lifecycle scripts and
// reports back. It speaks Teletraan's ping protocol, so it also works against
// Pinterest's Teletraan server.
//
// Settings come from flags and, optionally, a config file (--config). The file holds
// "key = value" lines whose keys are the flag names without dashes; blank lines and
// lines starting with # are ignored; values are taken verbatim after trimming spaces (no
// quotes). Flags given on the command line win over the file. For example:
//
//	# /etc/teletraan-agent.conf
//	server = https://teletraan.example.com
//	token = s3cr3t
//	groups = web,web-canary
//	agent-dir = /var/lib/teletraan-agent
//	download-allowlist = artifacts.example.com
//
// The token may also come from the TELETRAAN_AGENT_TOKEN environment variable, which
// keeps it out of the process list. Invalid flags or keys exit with status 2; --once
// exits with 1 when the service cannot be reached; --check validates the config, the
// dirs and the server connection without pinging and exits 0 or 1. SIGTERM and SIGINT stop the agent
// cleanly: a running script's process group gets SIGTERM, then SIGKILL after the grace
// period, and the status file records the stage as unfinished so that it reruns.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/teletraan-on-temporal/teletraan/agent"
	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// version is reported in every ping; release builds set it with -ldflags -X.
var version = "dev"

// exitUsage is the exit status for bad flags or config, as flag.ExitOnError uses.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// stdout is where --check reports; a variable so that tests can read it.
var stdout io.Writer = os.Stdout

// options are the flag values that are not Config fields as they stand.
type options struct {
	configFile string
	groups     string
	allowlist  string
	keysFile   string
	once       bool
	check      bool
	logLevel   string
	logFormat  string
}

func run(args []string, stderr io.Writer) int {
	cfg, opts, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "teletraan-agent: %v\n", err)
		return exitUsage
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
		fmt.Fprintf(stderr, "teletraan-agent: --log-level %q: want debug, info, warn or error\n", opts.logLevel)
		return exitUsage
	}
	handlerOpts := &slog.HandlerOptions{Level: level}
	switch opts.logFormat {
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, handlerOpts))
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(stderr, handlerOpts))
	default:
		fmt.Fprintf(stderr, "teletraan-agent: --log-format %q: want text or json\n", opts.logFormat)
		return exitUsage
	}
	cfg.Logger = cfg.Logger.With("agent_version", version)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if opts.check {
		if err := agent.Check(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "teletraan-agent: %v\n", err)
			return 1
		}
		return 0
	}
	if opts.once {
		err = agent.RunOnce(ctx, cfg)
	} else {
		err = agent.Run(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "teletraan-agent: %v\n", err)
		return 1
	}
	return 0
}

// parse builds the Config from flags, the config file and the host's identity.
func parse(args []string, stderr io.Writer) (agent.Config, options, error) {
	cfg := agent.DefaultConfig()
	var opts options
	fs := newFlagSet(&cfg, &opts, stderr)
	if err := fs.Parse(args); err != nil {
		return cfg, opts, err
	}
	if fs.NArg() > 0 {
		return cfg, opts, fmt.Errorf("unexpected argument %q; all settings are flags", fs.Arg(0))
	}
	if opts.configFile != "" {
		if err := applyConfigFile(fs, opts.configFile); err != nil {
			return cfg, opts, err
		}
	}
	if cfg.Token == "" {
		cfg.Token = os.Getenv("TELETRAAN_AGENT_TOKEN")
	}
	cfg.Groups = splitCSV(opts.groups)
	cfg.DownloadAllowlist = splitCSV(opts.allowlist)
	if opts.keysFile != "" {
		data, err := os.ReadFile(opts.keysFile)
		if err != nil {
			return cfg, opts, fmt.Errorf("--trusted-keys: %w", err)
		}
		if cfg.TrustedKeys, err = protocol.ParsePublicKeys(data); err != nil {
			return cfg, opts, fmt.Errorf("--trusted-keys %s: %w", opts.keysFile, err)
		}
	}
	cfg.AgentVersion = version
	if cfg.BuildsDir == "" && cfg.AgentDir != "" {
		cfg.BuildsDir = filepath.Join(cfg.AgentDir, "builds")
	}
	if err := fillHostIdentity(&cfg); err != nil {
		return cfg, opts, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, opts, withFlagName(err)
	}
	return cfg, opts, nil
}

// fillHostIdentity defaults the host's name, id and IP as Teletraan's agent does.
func fillHostIdentity(cfg *agent.Config) error {
	if cfg.HostName == "" {
		name, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("--host-name not set and the OS host name is unknown: %w", err)
		}
		cfg.HostName = name
	}
	if cfg.HostID == "" {
		cfg.HostID = cfg.HostName
	}
	if cfg.HostIP == "" {
		cfg.HostIP = lookupIP(cfg.HostName)
	}
	return nil
}

// lookupIP is best effort: the IP is informational, so no answer is not an error.
func lookupIP(host string) string {
	addrs, _ := net.LookupHost(host)
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip != nil && !ip.IsLoopback() && ip.To4() != nil {
			return a
		}
	}
	return ""
}

// withFlagName points a Config validation error at the flag that sets the field.
func withFlagName(err error) error {
	fields := map[string]string{
		"ServerURL": "--server", "HostID": "--host-id", "AgentDir": "--agent-dir", "BuildsDir": "--builds-dir",
		"TargetPattern": "--target", "PingInterval": "--ping-interval", "ScriptTimeout": "--script-timeout",
		"RetryInterval": "--retry-interval", "MaxRetryInterval": "--max-retry-interval", "LongPollWait": "--wait",
		"MinRunningTime": "--min-running-time", "TerminationGrace": "--termination-grace",
		"MaxRetries": "--max-retries", "BuildsToRetain": "--builds-to-retain",
		"MaxArchiveBytes": "--max-archive-bytes", "MaxArchiveFiles": "--max-archive-files",
		"MaxBuildsBytes": "--max-builds-bytes", "MaxLogBytes": "--max-log-bytes",
		"DownloadStallTimeout": "--download-stall-timeout", "DownloadTimeout": "--download-timeout",
		"DownloadRetries": "--download-retries", "DownloadRetryInterval": "--download-retry-interval",
		"MinFreeBytes": "--min-free-bytes", "ConnectTimeout": "--connect-timeout", "TLSHandshakeTimeout": "--tls-handshake-timeout",
	}
	msg := err.Error()
	for field, flagName := range fields {
		if strings.HasPrefix(msg, field+" ") {
			return fmt.Errorf("%s: %s", flagName, strings.TrimPrefix(msg, field+" "))
		}
	}
	return err
}

func splitCSV(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// newFlagSet declares every flag of the agent on cfg and opts (their defaults are cfg's);
// parse reads them, and the configuration reference (docs/configuration.md) lists them.
func newFlagSet(cfg *agent.Config, opts *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("teletraan-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: teletraan-agent [flags]\n\n"+
			"Deploy agent: pings the Teletraan service and carries out its deploy goals.\n"+
			"Every flag may also be set in the --config file as \"name = value\" (flag name\n"+
			"without dashes, one per line, # for comments); command-line flags win.\n"+
			"The token may also come from $TELETRAAN_AGENT_TOKEN.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.configFile, "config", "", "`file` of \"key = value\" lines whose keys are these flag names")
	fs.StringVar(&cfg.ServerURL, "server", "", "service base URL, e.g. https://teletraan.example.com (required)")
	fs.StringVar(&cfg.Token, "token", "", "agent token, sent as \"Authorization: Bearer <token>\"")
	fs.StringVar(&cfg.HostName, "host-name", "", "host name (default: the OS host name)")
	fs.StringVar(&cfg.HostID, "host-id", "", "host id (default: the host name)")
	fs.StringVar(&cfg.HostIP, "host-ip", "", "host IP (default: looked up from the host name)")
	fs.StringVar(&opts.groups, "groups", "", "comma-separated capacity groups of this host")
	fs.StringVar(&cfg.AvailabilityZone, "availability-zone", "", "availability zone of this host")
	fs.StringVar(&cfg.AgentDir, "agent-dir", "/tmp/deployd", "directory for the status file, script configs and logs/")
	fs.StringVar(&cfg.BuildsDir, "builds-dir", "", "directory for builds (default <agent-dir>/builds)")
	fs.StringVar(&cfg.TargetPattern, "target", "",
		"target symlink path; "+agent.EnvNamePlaceholder+" becomes the env name (default <agent-dir>/targets/"+agent.EnvNamePlaceholder+")")
	fs.DurationVar(&cfg.PingInterval, "ping-interval", cfg.PingInterval, "minimum time between idle pings")
	fs.DurationVar(&cfg.LongPollWait, "wait", cfg.LongPollWait, "long-poll wait of idle pings (0 = plain sleep; at most 60s)")
	fs.DurationVar(&cfg.MinRunningTime, "min-running-time", cfg.MinRunningTime, "progress ping period while a stage runs")
	fs.IntVar(&cfg.BuildsToRetain, "builds-to-retain", cfg.BuildsToRetain, "builds kept on disk, the current one included")
	fs.Int64Var(&cfg.MaxBuildsBytes, "max-builds-bytes", 0, "bytes of old builds kept on disk beyond those in use (0: no limit)")
	fs.Int64Var(&cfg.MaxLogBytes, "max-log-bytes", cfg.MaxLogBytes, "size at which a script log <env>.log is rotated to <env>.log.1")
	fs.DurationVar(&cfg.ScriptTimeout, "script-timeout", cfg.ScriptTimeout, "per-script timeout; the script's process group is killed")
	fs.IntVar(&cfg.MaxRetries, "max-retries", cfg.MaxRetries, "attempts of a failing stage before TOO_MANY_RETRY")
	fs.DurationVar(&cfg.RetryInterval, "retry-interval", cfg.RetryInterval, "first pause between attempts (doubles each time)")
	fs.DurationVar(&cfg.MaxRetryInterval, "max-retry-interval", cfg.MaxRetryInterval, "longest pause between attempts")
	fs.DurationVar(&cfg.TerminationGrace, "termination-grace", cfg.TerminationGrace, "time between SIGTERM and SIGKILL for an aborted script")
	fs.StringVar(&opts.allowlist, "download-allowlist", "", "comma-separated hosts (http, https) and absolute dirs (file://) artifacts may come from (empty: any)")
	fs.StringVar(&opts.keysFile, "trusted-keys", "", "file of base64 Ed25519 public keys, one per line: deploy only builds whose <artifact>.sig one of them signed (empty: signatures not checked)")
	fs.Int64Var(&cfg.MaxArchiveBytes, "max-archive-bytes", cfg.MaxArchiveBytes, "largest artifact, downloaded and uncompressed, in bytes")
	fs.IntVar(&cfg.MaxArchiveFiles, "max-archive-files", cfg.MaxArchiveFiles, "most entries in an artifact")
	fs.DurationVar(&cfg.DownloadStallTimeout, "download-stall-timeout", cfg.DownloadStallTimeout, "end a download attempt that receives no bytes for this long")
	fs.DurationVar(&cfg.DownloadTimeout, "download-timeout", cfg.DownloadTimeout, "overall deadline of one artifact's download, retries included")
	fs.IntVar(&cfg.DownloadRetries, "download-retries", cfg.DownloadRetries, "attempts of one download (resumed with HTTP Range where possible)")
	fs.DurationVar(&cfg.DownloadRetryInterval, "download-retry-interval", cfg.DownloadRetryInterval, "first pause between download attempts (doubles up to 30s)")
	fs.Int64Var(&cfg.MinFreeBytes, "min-free-bytes", cfg.MinFreeBytes, "disk space a download must leave free in the builds dir")
	fs.DurationVar(&cfg.ConnectTimeout, "connect-timeout", cfg.ConnectTimeout, "TCP connect timeout")
	fs.DurationVar(&cfg.TLSHandshakeTimeout, "tls-handshake-timeout", cfg.TLSHandshakeTimeout, "TLS handshake timeout")
	fs.BoolVar(&opts.once, "once", false, "run until the service answers NOOP, then exit (cron mode)")
	fs.StringVar(&opts.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&opts.logFormat, "log-format", "text", "log format on stderr: text, or json (one object per line, for journald and log shippers)")
	fs.BoolVar(&opts.check, "check", false, "validate the config, the agent's dirs and free disk, and that the server answers; then exit (0 when all is well)")
	return fs
}
