package fleetsim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// Fleet is one process's simulated hosts.
type Fleet struct {
	cfg   Config
	hosts []*host

	pings, pingErrors, goals, failures atomic.Int64

	mu         sync.Mutex
	lastError  string
	firstGoals []FirstGoal
	issuedNow  map[string]string
}

// FirstGoal is the moment a host received the first goal of a deploy: with the deploy's
// admission times it gives the goal-delivery latency.
type FirstGoal struct {
	DeployID string    `json:"deployId"`
	Host     string    `json:"host"`
	At       time.Time `json:"at"`
}

// Snapshot is the fleet's state at one moment.
type Snapshot struct {
	// Hosts is the fleet's size; Enrolling those not answered yet, Idle those with nothing
	// to do, Working those running a stage, Failed those whose last stage failed for good.
	Hosts     int `json:"hosts"`
	Enrolling int `json:"enrolling"`
	Idle      int `json:"idle"`
	Working   int `json:"working"`
	Failed    int `json:"failed"`
	// Refused counts the hosts the server refused (a wrong token, a lost credential): they
	// stopped, and LastError says why.
	Refused int `json:"refused"`
	// Pings counts the pings sent, PingErrors those that failed, Goals the goals taken and
	// Failures the stages made to fail, since the fleet started.
	Pings      int64 `json:"pings"`
	PingErrors int64 `json:"pingErrors"`
	Goals      int64 `json:"goals"`
	Failures   int64 `json:"failures"`
	// LastError is the last ping failure's text, for the operator to see why.
	LastError string `json:"lastError,omitempty"`
	// FirstGoals are the first goals received since the previous snapshot.
	FirstGoals []FirstGoal `json:"firstGoals,omitempty"`
	// Issued are the host credentials the server issued since the previous snapshot, to be
	// kept for the next run.
	Issued map[string]string `json:"issued,omitempty"`
}

// New builds the fleet cfg describes, or says what is wrong with cfg.
func New(cfg Config) (*Fleet, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	f := &Fleet{cfg: cfg}
	// One connection per host: a long-polling host holds its own, and every host's next
	// ping reuses it rather than dialing anew.
	transport := &http.Transport{
		MaxIdleConns:        cfg.Hosts,
		MaxIdleConnsPerHost: cfg.Hosts,
		IdleConnTimeout:     2 * time.Minute,
	}
	client := &http.Client{Transport: transport}
	for n := cfg.FirstHost; n < cfg.FirstHost+cfg.Hosts; n++ {
		f.hosts = append(f.hosts, &host{
			name: HostName(cfg.HostPrefix, n), cfg: &f.cfg, http: client, fleet: f,
			reports: map[string]*protocol.PingReport{}, goalsSeen: map[string]bool{},
			secret: cfg.Secrets[HostName(cfg.HostPrefix, n)],
		})
	}
	return f, nil
}

// Run runs every host until ctx ends, starting them evenly over the configured ramp.
func (f *Fleet) Run(ctx context.Context) {
	var wg sync.WaitGroup
	step := time.Duration(0)
	if len(f.hosts) > 1 {
		step = f.cfg.Ramp / time.Duration(len(f.hosts)-1)
	}
	start := time.Now()
	for i, h := range f.hosts {
		if d := time.Until(start.Add(step * time.Duration(i))); d > 0 && pause(ctx, d) != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.run(ctx)
		}()
	}
	wg.Wait()
	if t, ok := f.hosts[0].http.Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// Snapshot counts the hosts by state and hands over the first goals seen since the last call.
func (f *Fleet) Snapshot() Snapshot {
	s := Snapshot{Hosts: len(f.hosts), Pings: f.pings.Load(), PingErrors: f.pingErrors.Load(), Goals: f.goals.Load(), Failures: f.failures.Load()}
	for _, h := range f.hosts {
		switch hostState(h.state.Load()) {
		case stateEnrolling:
			s.Enrolling++
		case stateIdle:
			s.Idle++
		case stateWorking:
			s.Working++
		case stateFailed:
			s.Failed++
		case stateRefused:
			s.Refused++
		}
	}
	f.mu.Lock()
	s.LastError, s.FirstGoals, f.firstGoals = f.lastError, f.firstGoals, nil
	s.Issued, f.issuedNow = f.issuedNow, nil
	f.mu.Unlock()
	return s
}

func (f *Fleet) firstGoal(deployID, hostName string) {
	f.mu.Lock()
	f.firstGoals = append(f.firstGoals, FirstGoal{DeployID: deployID, Host: hostName, At: time.Now()})
	f.mu.Unlock()
}

func (f *Fleet) issued(hostName, secret string) {
	f.mu.Lock()
	if f.issuedNow == nil {
		f.issuedNow = map[string]string{}
	}
	f.issuedNow[hostName] = secret
	f.mu.Unlock()
}

func (f *Fleet) pingFailed(err error) {
	if errors.Is(err, context.Canceled) {
		return // the fleet is stopping
	}
	f.pingErrors.Add(1)
	f.mu.Lock()
	f.lastError = err.Error()
	f.mu.Unlock()
}
