package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/agent/fleetsim"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// hostsPerProcess is how many simulated hosts one process runs by default: each
// long-polling host holds a socket, and a process must stay well under its open-file limit.
const hostsPerProcess = 2000

// simulateFlags are teletraan simulate's settings.
type simulateFlags struct {
	cf        clientFlags
	of        outputFlag
	pingToken string
	hosts     int
	processes int
	prefix    string
	group     string
	join      bool
	// keepCapacity leaves a group --join added in the capacity at the end.
	keepCapacity bool

	scriptLatency, downloadLatency time.Duration
	failureRate                    float64
	seed                           int64
	classic                        time.Duration
	longPoll                       time.Duration
	maxRetries                     int
	retryInterval                  time.Duration
	ramp                           time.Duration

	state    string
	deploy   string
	rollback bool
	duration time.Duration
	timeout  time.Duration
}

func newSimulateCommand() *cobra.Command {
	f := &simulateFlags{}
	cmd := &cobra.Command{
		Use:   "simulate ENV STAGE --hosts N [--deploy BUILD [--rollback]]",
		Short: "Rehearse a stage against a simulated fleet that speaks the real agent protocol",
		Long: `Simulate runs N simulated hosts, spread over several processes, that ping the
service exactly as agents do: they enroll, take goals, "run" each stage by waiting
--script-latency, and fail at --failure-rate. They join the stage through a host group
(--group, which the stage's capacity must hold; --join adds it).

With --deploy the simulation deploys that build once the fleet has settled, prints progress
until the deploy is done, and then (with --rollback) rolls back. It ends with a summary: time
to the success threshold and until no host is in flight, hosts succeeded and failed, goal
delivery latency (from a host's admission to its first goal) and pings per host. Without
--deploy it runs until interrupted (or --duration), printing the fleet's counts, while you
act on the stage from the board or the CLI.

--classic 30s makes the hosts ping every 30 s without long-polling, as upstream Teletraan's
agent does: run the same deploy both ways to see what the long-poll buys.`,
		Example: `  # How long do 4,000 hosts take at the stage's window, and what do 3 % failing hosts do?
  teletraan simulate hello dev --hosts 4000 --join --failure-rate 0.03 --deploy b-1a2b3c4
  # The same fleet with upstream's ping cadence, then a rollback, as JSON for a script
  teletraan simulate hello dev --hosts 4000 --classic 30s --deploy b-1a2b3c4 --rollback -o json
  # A fleet to click around with on the board
  teletraan simulate hello dev --hosts 300 --join --script-latency 2s`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return f.run(ctx, args[0], args[1], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.cf.add(cmd)
	f.of.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.pingToken, "ping-token", "", "token the simulated hosts ping with (default: --token; a PINGER token is enough)")
	fl.IntVar(&f.hosts, "hosts", 100, "number of simulated hosts")
	fl.IntVar(&f.processes, "processes", 0, fmt.Sprintf("processes to spread the hosts over (default: one per %d hosts)", hostsPerProcess))
	fl.StringVar(&f.prefix, "host-prefix", "", "host names are PREFIX-000001 and on (default sim-ENV-STAGE)")
	fl.StringVar(&f.group, "group", "", "host group the hosts say they are in (default: the host prefix)")
	fl.BoolVar(&f.join, "join", false, "add --group to the stage's capacity for the run if it is not there (and take it out at the end, unless --keep-capacity)")
	fl.BoolVar(&f.keepCapacity, "keep-capacity", false, "with --join, leave the group in the stage's capacity when the simulation ends")
	fl.DurationVar(&f.scriptLatency, "script-latency", 0, "how long each lifecycle script takes")
	fl.DurationVar(&f.downloadLatency, "download-latency", 0, "how long the download takes")
	fl.Float64Var(&f.failureRate, "failure-rate", 0, "share of hosts whose deploy fails (0.03 = 3 %): their RESTARTING script fails every attempt")
	fl.Int64Var(&f.seed, "seed", 1, "varies which hosts fail")
	fl.DurationVar(&f.classic, "classic", 0, "ping every this long without long-polling, as upstream Teletraan's agent (e.g. 30s)")
	fl.DurationVar(&f.longPoll, "long-poll", 30*time.Second, "how long idle hosts ask the server to hold their ping")
	fl.IntVar(&f.maxRetries, "max-retries", 3, "attempts of a failing script before the host reports TOO_MANY_RETRY")
	fl.DurationVar(&f.retryInterval, "retry-interval", time.Second, "pause before each retry of a failing script")
	fl.DurationVar(&f.ramp, "ramp", 0, "spread the hosts' first pings over this long (default: a second per 2,000 hosts)")
	fl.StringVar(&f.state, "state", "", "file keeping the credentials the hosts are issued, for the next run (default: in the user cache dir, per server and host prefix)")
	fl.StringVar(&f.deploy, "deploy", "", "build id to deploy once the fleet has settled")
	fl.BoolVar(&f.rollback, "rollback", false, "after --deploy, roll back and measure the rollback too")
	fl.DurationVar(&f.duration, "duration", 0, "without --deploy, stop after this long (default: until interrupted)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up on a deploy that has not finished after this long")
	return cmd
}

// fleetConfig checks the flags and turns them into the fleet's configuration.
func (f *simulateFlags) fleetConfig(c *apiClient, env, stage string) (fleetsim.Config, int, error) {
	if f.rollback && f.deploy == "" {
		return fleetsim.Config{}, 0, errors.New("--rollback needs --deploy: it rolls back the deploy the simulation made")
	}
	if f.classic < 0 {
		return fleetsim.Config{}, 0, fmt.Errorf("--classic %s must be positive, e.g. 30s", f.classic)
	}
	prefix := f.prefix
	if prefix == "" {
		prefix = "sim-" + env + "-" + stage
	}
	group := f.group
	if group == "" {
		group = prefix
	}
	token := f.pingToken
	if token == "" {
		token = c.token
	}
	cfg := fleetsim.Config{
		Server: c.base, Token: token, HostPrefix: prefix, FirstHost: 1, Hosts: f.hosts, Groups: []string{group},
		LongPoll: f.longPoll, PingInterval: f.classic, ScriptLatency: f.scriptLatency, DownloadLatency: f.downloadLatency,
		FailureRate: f.failureRate, Seed: f.seed, MaxRetries: f.maxRetries, RetryInterval: f.retryInterval,
		Ramp: f.ramp, BindIdentity: true,
	}
	if f.classic > 0 {
		cfg.LongPoll = 0
		cfg.BindIdentity = false // upstream's agent stores no credential
	} else {
		cfg.PingInterval = errorPause
	}
	if cfg.Ramp == 0 {
		cfg.Ramp = time.Duration(f.hosts) * time.Second / hostsPerProcess
	}
	procs := f.processes
	if procs == 0 {
		procs = (f.hosts + hostsPerProcess - 1) / hostsPerProcess
	}
	if err := cfg.Check(); err != nil {
		return cfg, 0, fmt.Errorf("check the flags: %w", err)
	}
	if procs < 1 || procs > f.hosts {
		return cfg, 0, fmt.Errorf("--processes %d must be between 1 and --hosts (%d)", procs, f.hosts)
	}
	return cfg, procs, nil
}

// errorPause is the ping pause of long-polling hosts between failed pings; their idle
// pings are held by the server instead.
const errorPause = time.Second

func (f *simulateFlags) run(ctx context.Context, env, stage string, stdout, stderr io.Writer) error {
	if err := f.of.check(); err != nil {
		return err
	}
	// The shard processes write their errors here too, from exec's copying goroutines.
	stderr = &lockedWriter{w: stderr}
	c, err := f.cf.client()
	if err != nil {
		return err
	}
	cfg, procs, err := f.fleetConfig(c, env, stage)
	if err != nil {
		return err
	}
	if f.rollback {
		if err := c.do(ctx, http.MethodGet, stagePath(env, stage, "deploys", "current"), nil, nil); codeOf(err) == core.ENOTFOUND {
			return fmt.Errorf("%s/%s has never been deployed, so --rollback would have nothing to return to: deploy a first build, or drop --rollback", env, stage)
		}
	}
	added, err := f.ensureCapacity(ctx, c, env, stage, cfg.Groups[0], stderr)
	if err != nil {
		return err
	}
	if added && !f.keepCapacity {
		// Out of the stage, the simulated hosts cannot hold up its next deploy once gone.
		defer f.leaveCapacity(c, env, stage, cfg.Groups[0], stderr)
	}
	statePath := f.state
	if statePath == "" {
		if statePath, err = defaultStatePath(c.base, cfg.HostPrefix); err != nil {
			return err
		}
	}
	st, err := loadSimulationState(statePath)
	if err != nil {
		return err
	}
	cfg.Secrets = st.Secrets
	save := func(secrets map[string]string) error {
		return saveSimulationState(statePath, simulationState{Server: c.base, Secrets: secrets})
	}
	shards, err := startShards(cfg, procs, save, stderr)
	if err != nil {
		return err
	}
	sum := simulationSummary{Env: env, Stage: stage, Hosts: cfg.Hosts, Processes: procs, Mode: modeOf(cfg), FailureRate: cfg.FailureRate}
	runErr := f.drive(ctx, c, env, stage, shards, &sum, stderr)
	stopErr := shards.stop()
	t := shards.total()
	sum.Pings, sum.PingErrors, sum.LastPingError = t.Pings, t.PingErrors, t.LastError
	if runErr != nil {
		return runErr
	}
	if stopErr != nil {
		return stopErr
	}
	raw, err := json.Marshal(sum)
	if err != nil {
		return err
	}
	return f.of.print(stdout, raw, sum.table)
}

// drive waits for the fleet to settle, then makes and measures the requested deploys or
// just reports the fleet's counts until told to stop.
func (f *simulateFlags) drive(ctx context.Context, c *apiClient, env, stage string, shards *shardSet, sum *simulationSummary, stderr io.Writer) error {
	started := time.Now()
	p := &progress{out: stderr, shards: shards, started: started}
	if err := p.until(ctx, "enrolling", f.timeout, func(t fleetsim.Snapshot) (bool, error) {
		return t.Hosts == sum.Hosts && t.Enrolling == 0 && t.Working == 0, nil
	}); err != nil {
		return err
	}
	sum.SettleSeconds = time.Since(started).Seconds()
	if f.deploy == "" {
		var end <-chan time.Time
		if f.duration > 0 {
			end = time.After(f.duration)
		}
		err := p.until(ctx, "running", 0, func(fleetsim.Snapshot) (bool, error) {
			select {
			case <-end:
				return true, nil
			default:
				return false, nil
			}
		})
		if errors.Is(err, context.Canceled) {
			return nil // interrupted: that is how a free-running simulation ends
		}
		return err
	}
	run, err := f.measure(ctx, c, p, shards, sum.Hosts, http.MethodPost, stagePath(env, stage, "deploys"),
		map[string]any{"buildId": f.deploy, "description": "fleet simulation"})
	if err != nil {
		return err
	}
	sum.Deploys = append(sum.Deploys, run)
	if f.rollback {
		body := map[string]any{"description": "fleet simulation rollback"}
		if run.FromDeployID != "" {
			body["toDeployId"] = run.FromDeployID // back to what the stage ran before
		}
		run, err := f.measure(ctx, c, p, shards, sum.Hosts, http.MethodPost, stagePath(env, stage, "actions", "rollback"), body)
		if err != nil {
			return err
		}
		sum.Deploys = append(sum.Deploys, run)
	}
	return nil
}

// measure starts a deploy with the request given, follows it until no host is in flight
// and it has a verdict, and returns what it took.
func (f *simulateFlags) measure(ctx context.Context, c *apiClient, p *progress, shards *shardSet, hosts int, method, path string, body any) (deployRun, error) {
	pingsBefore := shards.total().Pings
	var v deployView
	if err := c.do(ctx, method, path, body, &v); err != nil {
		return deployRun{}, err
	}
	if v.Deploy == nil {
		return deployRun{}, fmt.Errorf("the server answered %s %s without a deploy", method, path)
	}
	d := *v.Deploy
	fmt.Fprintf(p.out, "started %s deploy %s of build %s\n", d.Type, d.ID, d.BuildID)
	p.deploy = &d
	err := p.until(ctx, "deploy "+d.ID, f.timeout, func(fleetsim.Snapshot) (bool, error) {
		var cur deployView
		if err := c.do(ctx, http.MethodGet, "/v1/deploys/"+url.PathEscape(d.ID), nil, &cur); err != nil {
			return false, err
		}
		if cur.Deploy != nil {
			d = *cur.Deploy
			p.deploy = &d
		}
		return deploySettled(&d), nil
	})
	p.deploy = nil
	if err != nil {
		return deployRun{}, err
	}
	settled := time.Now()
	if err := shards.fresh(ctx); err != nil {
		return deployRun{}, err
	}
	var waves deployHostsAnswer
	if err := c.do(ctx, http.MethodGet, "/v1/deploys/"+url.PathEscape(d.ID)+"/hosts", nil, &waves); err != nil {
		return deployRun{}, err
	}
	run := newDeployRun(&d, settled)
	run.Delivery = deliveryOf(waves.admissions(), shards.deliveries(d.ID))
	run.PingsPerHost = float64(shards.total().Pings-pingsBefore) / float64(hosts)
	fmt.Fprintf(p.out, "deploy %s is %s after %.1f s: %d succeeded, %d failed\n", d.ID, d.State, run.Seconds, d.Succeeded, d.Failed)
	return run, nil
}

// deploySettled reports whether d has its verdict and no host is still working on it. A
// SUCCEEDING deploy admits no more hosts, so hosts it had not admitted when it reached its
// threshold stay where they are (deployRun.Remaining says how many).
func deploySettled(d *api.Deploy) bool {
	if d.InFlight > 0 {
		return false
	}
	switch d.State {
	case core.StateSucceeded, core.StateAborted, core.StateFailing, core.StateSucceeding:
		return true
	}
	return false
}

// ensureCapacity checks that the stage takes hosts of group, adding it with --join; it
// reports whether it added it.
func (f *simulateFlags) ensureCapacity(ctx context.Context, c *apiClient, env, stage, group string, stderr io.Writer) (bool, error) {
	var capacity api.Capacity
	if err := c.do(ctx, http.MethodGet, stagePath(env, stage, "capacity"), nil, &capacity); err != nil {
		return false, err
	}
	if slices.Contains(capacity.Groups, group) {
		return false, nil
	}
	if !f.join {
		return false, fmt.Errorf("stage %s/%s does not take hosts of group %q, so the simulated hosts would not join it: add --join, or add the group with teletraan capacity set %s %s --groups ...",
			env, stage, group, env, stage)
	}
	capacity.Groups = append(capacity.Groups, group)
	if err := c.do(ctx, http.MethodPut, stagePath(env, stage, "capacity"), capacity, nil); err != nil {
		return false, fmt.Errorf("add group %q to the capacity of %s/%s: %w", group, env, stage, err)
	}
	fmt.Fprintf(stderr, "added group %s to the capacity of %s/%s for this run\n", group, env, stage)
	return true, nil
}

// leaveCapacity takes group out of the stage's capacity again, whatever else changed there
// meanwhile. It runs as the simulation ends, interrupted or not, so it has its own deadline.
func (f *simulateFlags) leaveCapacity(c *apiClient, env, stage, group string, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var capacity api.Capacity
	err := c.do(ctx, http.MethodGet, stagePath(env, stage, "capacity"), nil, &capacity)
	if err == nil {
		capacity.Groups = slices.DeleteFunc(capacity.Groups, func(g string) bool { return g == group })
		err = c.do(ctx, http.MethodPut, stagePath(env, stage, "capacity"), capacity, nil)
	}
	if err != nil {
		fmt.Fprintf(stderr, "could not take group %s out of the capacity of %s/%s again (%v): remove it with teletraan capacity set\n", group, env, stage, err)
		return
	}
	fmt.Fprintf(stderr, "took group %s out of the capacity of %s/%s\n", group, env, stage)
}

// modeOf names how the fleet's hosts ping.
func modeOf(cfg fleetsim.Config) string {
	if cfg.LongPoll == 0 {
		return "classic, every " + cfg.PingInterval.String()
	}
	return "long-poll " + cfg.LongPoll.String()
}

// progress prints the fleet's counts (and the deploy being followed) once a second.
type progress struct {
	out     io.Writer
	shards  *shardSet
	started time.Time
	deploy  *api.Deploy
	last    time.Time
	pings   int64
}

// until prints progress until done says so, ctx ends, a shard dies, or timeout (when > 0) passes.
func (p *progress) until(ctx context.Context, what string, timeout time.Duration, done func(fleetsim.Snapshot) (bool, error)) error {
	var deadline <-chan time.Time
	if timeout > 0 {
		deadline = time.After(timeout)
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := p.shards.lost(); err != nil {
			return err
		}
		t := p.shards.total()
		if t.Refused > 0 {
			return fmt.Errorf("the service refused %d simulated hosts: %s (a host bound by an earlier run needs that run's --state file; else reset it with teletraan hosts reset-identity, or use another --host-prefix)",
				t.Refused, t.LastError)
		}
		ok, err := done(t)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		p.print(t)
		select {
		case <-ctx.Done():
			return fmt.Errorf("simulation stopped while %s: %w", what, ctx.Err())
		case <-deadline:
			return fmt.Errorf("gave up after %s while %s (--timeout); last counts: %s", timeout, what, countsLine(t))
		case <-tick.C:
		}
	}
}

func (p *progress) print(t fleetsim.Snapshot) {
	now := time.Now()
	if now.Sub(p.last) < time.Second || t.Hosts == 0 {
		return
	}
	rate := 0.0
	if !p.last.IsZero() {
		rate = float64(t.Pings-p.pings) / now.Sub(p.last).Seconds()
	}
	p.last, p.pings = now, t.Pings
	line := fmt.Sprintf("%5.0fs  %s, %.0f pings/s", now.Sub(p.started).Seconds(), countsLine(t), rate)
	if d := p.deploy; d != nil {
		line += fmt.Sprintf("  |  deploy %s %s: %d/%d succeeded, %d failed, %d in flight", d.ID, d.State, d.Succeeded, d.Total, d.Failed, d.InFlight)
	}
	if t.LastError != "" && t.PingErrors > 0 {
		line += fmt.Sprintf("  |  %d ping errors, last: %s", t.PingErrors, t.LastError)
	}
	fmt.Fprintln(p.out, line)
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func countsLine(t fleetsim.Snapshot) string {
	return fmt.Sprintf("%d hosts: %d enrolling, %d idle, %d working, %d failed", t.Hosts, t.Enrolling, t.Idle, t.Working, t.Failed)
}
