package workflows_test

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// Host outcomes in fakeStore's rollout simulation.
const (
	hostWaiting = iota
	hostInFlight
	hostSucceeded
	hostFailed
	hostStuck
)

// fakeStore stands in for the activities: it records deploy rows and their states and
// simulates a stage's hosts going through waves.
type fakeStore struct {
	hosts    int
	settings workflows.RolloutSettings
	// fail and stick name hosts (by index) that fail or get stuck once admitted.
	fail, stick map[int]bool
	// frozen hosts never finish, as if every agent were slow.
	frozen bool
	// awaitDelay is how long (on the test clock) AwaitWave takes, 0 for no time.
	awaitDelay time.Duration
	// finishPerAwait is how many hosts in flight one AwaitWave lets finish; 0 means all.
	finishPerAwait int

	mu      sync.Mutex
	env     *testsuite.TestWorkflowEnvironment
	created []workflows.CreateDeployInput
	states  map[string][]string
	host    []int
	// admits and admitTimes record each AdmitWave call that admitted hosts.
	admits     []int
	admitTimes []time.Time
	waveInputs []workflows.WaveInput
	// awaitInputs record every AwaitWave call, pauses every SetDeployPaused call.
	awaitInputs []workflows.WaveInput
	pauses      []workflows.SetDeployPausedInput
	starts      int
	// alarmChecks records every CheckAlarms call; firingFrom is the call (1-based) from
	// which every alarm but the first answers firing, 0 for never.
	alarmChecks []workflows.CheckAlarmsInput
	firingFrom  int
	// target is what FindRollbackTarget answers; targetQueries records its calls.
	target        workflows.FindRollbackTargetResult
	targetQueries []workflows.FindRollbackTargetInput
}

func (f *fakeStore) register(env *testsuite.TestWorkflowEnvironment) {
	f.env = env
	f.states = map[string][]string{}
	f.host = make([]int, f.hosts)
	if reflect.DeepEqual(f.settings, workflows.RolloutSettings{}) {
		f.settings = workflows.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600}
	}
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.CreateDeployInput) (workflows.CreateDeployResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.created {
			if c.DeployID == in.DeployID {
				return workflows.CreateDeployResult{}, nil
			}
		}
		f.created = append(f.created, in)
		return workflows.CreateDeployResult{}, nil
	}, activity.RegisterOptions{Name: workflows.CreateDeployActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.SetDeployStateInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.states[in.DeployID] = append(f.states[in.DeployID], in.State+":"+in.Reason)
		return nil
	}, activity.RegisterOptions{Name: workflows.SetDeployStateActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.SetDeployPausedInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.pauses = append(f.pauses, in)
		return nil
	}, activity.RegisterOptions{Name: workflows.SetDeployPausedActivity})
	env.RegisterActivityWithOptions(f.checkAlarms, activity.RegisterOptions{Name: workflows.CheckAlarmsActivity})
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.FindRollbackTargetInput) (workflows.FindRollbackTargetResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.targetQueries = append(f.targetQueries, in)
		return f.target, nil
	}, activity.RegisterOptions{Name: workflows.FindRollbackTargetActivity})
	env.RegisterActivityWithOptions(f.startRollout, activity.RegisterOptions{Name: workflows.StartRolloutActivity})
	env.RegisterActivityWithOptions(f.admitWave, activity.RegisterOptions{Name: workflows.AdmitWaveActivity})
	env.RegisterActivityWithOptions(f.awaitWave, activity.RegisterOptions{Name: workflows.AwaitWaveActivity})
	if f.awaitDelay > 0 {
		env.OnActivity(workflows.AwaitWaveActivity, mock.Anything, mock.Anything).After(f.awaitDelay).Return(f.awaitWave)
	}
}

func (f *fakeStore) startRollout(_ context.Context, _ workflows.StartRolloutInput) (workflows.StartRolloutResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	return workflows.StartRolloutResult{Settings: f.settings, Total: f.hosts}, nil
}

// counts must be called with f.mu held.
func (f *fakeStore) counts() core.WaveCounts {
	c := core.WaveCounts{Total: f.hosts}
	for _, s := range f.host {
		switch s {
		case hostWaiting:
			c.Remaining++
		case hostInFlight:
			c.InFlight++
		case hostSucceeded:
			c.Succeeded++
		case hostFailed:
			c.Failed++
		case hostStuck:
			c.InFlight++
			c.Stuck++
		}
	}
	return c
}

func (f *fakeStore) admitWave(_ context.Context, in workflows.WaveInput) (workflows.AdmitWaveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waveInputs = append(f.waveInputs, in)
	slots := in.Window - f.counts().InFlight
	n := 0
	for i := range f.host {
		if n < slots && f.host[i] == hostWaiting {
			f.host[i] = hostInFlight
			n++
		}
	}
	if n > 0 {
		f.admits = append(f.admits, n)
		f.admitTimes = append(f.admitTimes, f.env.Now())
	}
	return workflows.AdmitWaveResult{Admitted: n, Counts: f.counts()}, nil
}

// awaitWave lets every host in flight finish as the test set it up.
func (f *fakeStore) awaitWave(_ context.Context, in workflows.WaveInput) (core.WaveCounts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.awaitInputs = append(f.awaitInputs, in)
	if !f.frozen {
		finished := 0
		for i, s := range f.host {
			if s != hostInFlight || (f.finishPerAwait > 0 && finished == f.finishPerAwait) {
				continue
			}
			finished++
			switch {
			case f.fail[i]:
				f.host[i] = hostFailed
			case f.stick[i]:
				f.host[i] = hostStuck
			default:
				f.host[i] = hostSucceeded
			}
		}
	}
	return f.counts(), nil
}

func (f *fakeStore) stateLog(deployID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.states[deployID]...)
}

func (f *fakeStore) checkAlarms(_ context.Context, in workflows.CheckAlarmsInput) (workflows.CheckAlarmsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alarmChecks = append(f.alarmChecks, in)
	firing := f.firingFrom > 0 && len(f.alarmChecks) >= f.firingFrom
	var res workflows.CheckAlarmsResult
	for i, a := range in.Alarms {
		st := workflows.AlarmStatus{Name: a.Name}
		if firing && i > 0 {
			st.Firing, st.Detail = true, a.URL+" answered HTTP 503"
		}
		res.Alarms = append(res.Alarms, st)
	}
	return res, nil
}
