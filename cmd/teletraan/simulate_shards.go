package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/teletraan-on-temporal/teletraan/agent/fleetsim"
)

// shardReportEvery is how often a shard process reports its fleet's counts.
const shardReportEvery = 500 * time.Millisecond

// maxShardLine bounds one report line of a shard: it carries the first goals seen since
// the last report, up to one per host of the shard.
const maxShardLine = 64 << 20

// newSimulateShardCommand is the hidden command a simulation runs in each of its
// processes: it reads its fleetsim.Config as one JSON line on stdin, runs that fleet, and
// writes a fleetsim.Snapshot JSON line to stdout every shardReportEvery. It stops when
// stdin closes, so a shard never outlives the simulation that started it.
func newSimulateShardCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "simulate-shard",
		Short:  "One process of a fleet simulation (started by teletraan simulate)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runShard(cmd.Context(), os.Stdin, cmd.OutOrStdout())
		},
	}
}

func runShard(ctx context.Context, in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read the shard's configuration from stdin: %w", err)
	}
	var cfg fleetsim.Config
	if err := json.Unmarshal(line, &cfg); err != nil {
		return fmt.Errorf("decode the shard's configuration: %w", err)
	}
	fleet, err := fleetsim.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, r) // returns when the simulation closes our stdin
		cancel()
	}()
	done := make(chan struct{})
	go func() { fleet.Run(ctx); close(done) }()
	enc := json.NewEncoder(out)
	tick := time.NewTicker(shardReportEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return enc.Encode(fleet.Snapshot())
		case <-tick.C:
			if err := enc.Encode(fleet.Snapshot()); err != nil {
				cancel()
				<-done
				return fmt.Errorf("report to the simulation: %w", err)
			}
		}
	}
}

// shardSet is a simulation's shard processes and what they last reported.
type shardSet struct {
	procs []*exec.Cmd
	stdin []io.WriteCloser

	mu     sync.Mutex
	latest []fleetsim.Snapshot
	// reports counts each shard's reports, so a reader can wait for ones made after a moment.
	reports []int
	// firstGoals holds, per deploy, when each host got its first goal.
	firstGoals map[string]map[string]time.Time
	// issued holds every host credential issued in this run, and saveIssued keeps them.
	issued     map[string]string
	saveIssued func(map[string]string) error
	saveErr    error
	// done closes as each shard exits; exitErr[i] is then why, nil for a clean stop.
	done    []chan struct{}
	exitErr []error
}

// startShards splits cfg's hosts over n processes of this binary and starts them;
// save keeps the host credentials the server issues (all of them, each time).
func startShards(cfg fleetsim.Config, n int, save func(map[string]string) error, stderr io.Writer) (*shardSet, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to start the simulation's processes: %w", err)
	}
	s := &shardSet{latest: make([]fleetsim.Snapshot, n), reports: make([]int, n), firstGoals: map[string]map[string]time.Time{},
		done: make([]chan struct{}, n), exitErr: make([]error, n), issued: map[string]string{}, saveIssued: save}
	for h, secret := range cfg.Secrets {
		s.issued[h] = secret
	}
	first := cfg.FirstHost
	for i := range n {
		part := cfg
		part.FirstHost = first
		part.Hosts = cfg.Hosts / n
		if i < cfg.Hosts%n {
			part.Hosts++
		}
		part.Secrets = map[string]string{}
		for h := part.FirstHost; h < part.FirstHost+part.Hosts; h++ {
			if secret, ok := cfg.Secrets[fleetsim.HostName(cfg.HostPrefix, h)]; ok {
				part.Secrets[fleetsim.HostName(cfg.HostPrefix, h)] = secret
			}
		}
		first += part.Hosts
		if err := s.start(self, i, part, stderr); err != nil {
			s.stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *shardSet) start(self string, i int, cfg fleetsim.Config, stderr io.Writer) error {
	line, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "simulate-shard")
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start simulation process %d: %w", i+1, err)
	}
	s.procs, s.stdin = append(s.procs, cmd), append(s.stdin, in)
	if _, err := in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("configure simulation process %d: %w", i+1, err)
	}
	s.done[i] = make(chan struct{})
	go s.read(i, out, cmd)
	return nil
}

// read keeps shard i's reports until it exits.
func (s *shardSet) read(i int, out io.Reader, cmd *exec.Cmd) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), maxShardLine)
	for sc.Scan() {
		var snap fleetsim.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &snap); err != nil {
			continue
		}
		s.mu.Lock()
		for _, g := range snap.FirstGoals {
			if s.firstGoals[g.DeployID] == nil {
				s.firstGoals[g.DeployID] = map[string]time.Time{}
			}
			s.firstGoals[g.DeployID][g.Host] = g.At
		}
		snap.FirstGoals = nil
		if len(snap.Issued) > 0 && s.saveIssued != nil {
			for h, secret := range snap.Issued {
				s.issued[h] = secret
			}
			// Saved before the hosts present them: a credential presented binds the host.
			if err := s.saveIssued(s.issued); err != nil && s.saveErr == nil {
				s.saveErr = err
			}
		}
		snap.Issued = nil
		s.latest[i] = snap
		s.reports[i]++
		s.mu.Unlock()
	}
	err := cmd.Wait()
	if err == nil {
		err = sc.Err()
	}
	if err != nil {
		err = fmt.Errorf("simulation process %d: %w", i+1, err)
	}
	s.mu.Lock()
	s.exitErr[i] = err
	s.mu.Unlock()
	close(s.done[i])
}

// lost returns an error when a shard has exited before the simulation stopped it, or
// the credentials it was issued could not be kept.
func (s *shardSet) lost() error {
	s.mu.Lock()
	saveErr := s.saveErr
	s.mu.Unlock()
	if saveErr != nil {
		return saveErr
	}
	for i, d := range s.done {
		select {
		case <-d:
			s.mu.Lock()
			err := s.exitErr[i]
			s.mu.Unlock()
			if err == nil {
				err = fmt.Errorf("simulation process %d exited early", i+1)
			}
			return err
		default:
		}
	}
	return nil
}

// total adds up the shards' last reports.
func (s *shardSet) total() fleetsim.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t fleetsim.Snapshot
	for _, p := range s.latest {
		t.Hosts += p.Hosts
		t.Enrolling += p.Enrolling
		t.Idle += p.Idle
		t.Working += p.Working
		t.Failed += p.Failed
		t.Refused += p.Refused
		t.Pings += p.Pings
		t.PingErrors += p.PingErrors
		t.Goals += p.Goals
		t.Failures += p.Failures
		if p.LastError != "" {
			t.LastError = p.LastError
		}
	}
	return t
}

// fresh waits until every shard has made a whole report after this call, so that what
// its hosts saw until now has arrived.
func (s *shardSet) fresh(ctx context.Context) error {
	s.mu.Lock()
	want := make([]int, len(s.reports))
	for i, n := range s.reports {
		want[i] = n + 2 // the next report may have been half written already
	}
	s.mu.Unlock()
	tick := time.NewTicker(shardReportEvery / 5)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ok := true
		for i, n := range s.reports {
			ok = ok && n >= want[i]
		}
		s.mu.Unlock()
		if ok {
			return nil
		}
		if err := s.lost(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// deliveries returns when each host got deploy id's first goal.
func (s *shardSet) deliveries(id string) map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.firstGoals[id]))
	for h, at := range s.firstGoals[id] {
		out[h] = at
	}
	return out
}

// stop closes every shard's stdin, which ends it, and waits for them all.
func (s *shardSet) stop() error {
	for _, in := range s.stdin {
		in.Close()
	}
	deadline := time.After(30 * time.Second)
	for _, d := range s.done {
		if d == nil {
			continue // never started
		}
		select {
		case <-d:
		case <-deadline:
			for _, p := range s.procs {
				_ = p.Process.Kill()
			}
			return errors.New("simulation processes did not stop within 30 s of being told to; killed them")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.exitErr...)
}
