// Package fleetsim simulates a fleet of hosts that speak the agent's ping protocol over
// real HTTP: each simulated host enrolls, keeps its host credential, takes goals and
// "runs" their stages by waiting a configured latency, failing at a configured rate, and
// reports back exactly as the agent does, either long-polling (our agent) or pinging on a
// fixed interval (upstream Teletraan's cadence). It links only the protocol package, so
// a fleet of thousands fits in a few small processes.
package fleetsim

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// Config describes one process's share of a simulated fleet.
type Config struct {
	// Server is the service's base URL, e.g. http://127.0.0.1:8080.
	Server string
	// Token authenticates the pings (a PINGER token, or one that may do more).
	Token string
	// HostPrefix names the hosts: HostPrefix-000001 and on.
	HostPrefix string
	// FirstHost is the number of this process's first host (from 1), Hosts how many it runs.
	FirstHost, Hosts int
	// Groups are the groups every host says it is in, by which a stage's capacity takes it.
	Groups []string
	// LongPoll is how long an idle host asks the server to hold its ping (our agent's
	// extension). Zero means classic mode: idle pings every PingInterval, no long-poll.
	LongPoll time.Duration
	// PingInterval is the idle ping cadence in classic mode (upstream Teletraan: 30-60 s),
	// and the pause between pings that fail.
	PingInterval time.Duration
	// ScriptLatency is how long each script stage takes (PRE_DOWNLOAD, POST_DOWNLOAD,
	// STAGING, PRE_RESTART, RESTARTING, POST_RESTART); DownloadLatency the DOWNLOADING stage.
	ScriptLatency, DownloadLatency time.Duration
	// FailureRate is the share of hosts, from 0 to 1, whose deploy fails: such a host's
	// RESTARTING script fails every time it is run for that deploy. Which hosts fail
	// depends on Seed and the deploy, not on timing, so a rehearsal can be repeated.
	FailureRate float64
	// Seed varies which hosts fail.
	Seed int64
	// MaxRetries is how many times a failing script runs before the host gives up with
	// TOO_MANY_RETRY, and RetryInterval the pause before each retry, as the agent's settings.
	MaxRetries    int
	RetryInterval time.Duration
	// Ramp spreads the hosts' first pings evenly over this long, as a fleet booting does;
	// zero starts them all at once.
	Ramp time.Duration
	// BindIdentity makes hosts ask for and keep a host credential as our agent does; off,
	// they behave like upstream's agent, which stores nothing.
	BindIdentity bool
	// Secrets are the credentials hosts were issued by an earlier run, by host name: a
	// host bound to one is refused without it, as a real agent that lost its file would be.
	Secrets map[string]string `json:",omitempty"`
}

// Check says what is wrong with c, naming the setting, or returns nil.
func (c Config) Check() error {
	var errs []error
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("server %q is not an http(s) URL", c.Server))
	}
	if c.Hosts < 1 {
		errs = append(errs, fmt.Errorf("hosts is %d: simulate at least one host", c.Hosts))
	}
	if c.FirstHost < 1 {
		errs = append(errs, fmt.Errorf("first host is %d: hosts are numbered from 1", c.FirstHost))
	}
	if c.HostPrefix == "" || strings.ContainsAny(c.HostPrefix, " /\t\n") {
		errs = append(errs, fmt.Errorf("host prefix %q must be non-empty and hold no spaces or slashes", c.HostPrefix))
	}
	if c.LongPoll < 0 || c.LongPoll > protocol.MaxWaitSeconds*time.Second {
		errs = append(errs, fmt.Errorf("long-poll %s must be between 0 (classic pings) and %ds", c.LongPoll, protocol.MaxWaitSeconds))
	}
	if c.LongPoll > 0 && c.LongPoll < time.Second {
		errs = append(errs, fmt.Errorf("long-poll %s is under a second, the protocol's unit", c.LongPoll))
	}
	if c.PingInterval <= 0 {
		errs = append(errs, fmt.Errorf("ping interval %s must be positive", c.PingInterval))
	}
	if c.ScriptLatency < 0 || c.DownloadLatency < 0 {
		errs = append(errs, fmt.Errorf("latencies must not be negative (script %s, download %s)", c.ScriptLatency, c.DownloadLatency))
	}
	if c.MaxRetries < 1 {
		errs = append(errs, fmt.Errorf("max retries %d must be at least 1", c.MaxRetries))
	}
	if c.RetryInterval < 0 || c.Ramp < 0 {
		errs = append(errs, fmt.Errorf("retry interval %s and ramp %s must not be negative", c.RetryInterval, c.Ramp))
	}
	if c.FailureRate < 0 || c.FailureRate > 1 {
		errs = append(errs, fmt.Errorf("failure rate %g must be between 0 and 1 (0.03 is 3 %%)", c.FailureRate))
	}
	return errors.Join(errs...)
}

// HostName is the name of host number n (from 1) of a fleet named prefix.
func HostName(prefix string, n int) string {
	return fmt.Sprintf("%s-%06d", prefix, n)
}
