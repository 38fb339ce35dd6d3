package workflows_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

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

// acts names the activities by method value for env.OnActivity, as the workflows do; it is
// never dereferenced, since every activity is mocked by a fakeStore method.
var acts *activities.Activities

// fakeStore stands in for the activities: it records deploy rows and their states and
// simulates a stage's hosts going through waves.
type fakeStore struct {
	hosts    int
	settings activities.RolloutSettings
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
	created []activities.CreateDeployInput
	states  map[string][]string
	host    []int
	// admits and admitTimes record each AdmitWave call that admitted hosts.
	admits     []int
	admitTimes []time.Time
	waveInputs []activities.WaveInput
	// awaitInputs record every AwaitWave call, pauses every SetDeployPaused call.
	awaitInputs []activities.WaveInput
	pauses      []activities.SetDeployPausedInput
	starts      int
	// alarmChecks records every CheckAlarms call; firingFrom is the call (1-based) from
	// which every alarm but the first answers firing, 0 for never.
	alarmChecks []activities.CheckAlarmsInput
	firingFrom  int
	// target is what FindRollbackTarget answers; targetQueries records its calls.
	target        activities.FindRollbackTargetResult
	targetQueries []activities.FindRollbackTargetInput
	// watchAfter is when (on the test clock, from its first call) AwaitDeployClosed answers
	// that the deploy it watches closed, with watchFailure; 0 means never.
	watchAfter   time.Duration
	watchFailure string
	watchSince   time.Time
	// alarmDelay and pauseDelay are how long (test clock) CheckAlarms and SetDeployPaused take.
	alarmDelay, pauseDelay time.Duration
	// stateTimes records when each SetDeployState call of a deploy came, beside states.
	stateTimes map[string][]time.Time
	// bakes records every SetDeployBaking call.
	bakes []activities.SetDeployBakingInput
	// watches records every WatchAlarms call; watchAct says what the nth (1-based) answers
	// (nil: clear); watchDelays how long (test clock) a watch from each source takes
	// before it answers (default: none before a wave, 1000 h otherwise: a watch beside a
	// wait is cancelled when the wait ends).
	watches     []activities.WatchAlarmsInput
	actedChecks []activities.RecordAlarmCheckInput
	watchAct    func(in activities.WatchAlarmsInput, n int) activities.WatchAlarmsResult
	watchDelays map[string]time.Duration
	// acceptance is the stage's acceptance LoadAcceptance answers (nil: none);
	// acceptances records every SetAcceptance call as "deploy STATUS: reason".
	acceptance  *core.Acceptance
	acceptances []string
}

func (f *fakeStore) register(env *testsuite.TestWorkflowEnvironment) {
	f.env = env
	f.states = map[string][]string{}
	f.stateTimes = map[string][]time.Time{}
	f.host = make([]int, f.hosts)
	if reflect.DeepEqual(f.settings, activities.RolloutSettings{}) {
		f.settings = activities.RolloutSettings{MaxParallel: 1, SuccessThreshold: 100, StuckTimeoutSeconds: 600}
	}
	env.OnActivity(acts.CreateDeploy, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CreateDeployInput) (activities.CreateDeployResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.created {
			if c.DeployID == in.DeployID {
				return activities.CreateDeployResult{}, nil
			}
		}
		f.created = append(f.created, in)
		return activities.CreateDeployResult{}, nil
	}).Maybe()
	env.OnActivity(acts.SetDeployState, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SetDeployStateInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.states[in.DeployID] = append(f.states[in.DeployID], in.State+":"+in.Reason)
		f.stateTimes[in.DeployID] = append(f.stateTimes[in.DeployID], f.env.Now())
		return nil
	}).Maybe()
	env.OnActivity(acts.SetDeployPaused, mock.Anything, mock.Anything).After(f.pauseDelay).Return(func(_ context.Context, in activities.SetDeployPausedInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.pauses = append(f.pauses, in)
		return nil
	}).Maybe()
	env.OnActivity(acts.SetDeployBaking, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SetDeployBakingInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.bakes = append(f.bakes, in)
		return nil
	}).Maybe()
	env.OnActivity(acts.CheckAlarms, mock.Anything, mock.Anything).After(f.alarmDelay).Return(f.checkAlarms).Maybe()
	env.OnActivity(acts.WebhookTargets, mock.Anything, mock.Anything).Return(activities.WebhookTargetsResult{BackoffMillis: 1000}, nil).Maybe()
	env.OnActivity(acts.RecordAlarmCheck, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RecordAlarmCheckInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.actedChecks = append(f.actedChecks, in)
		return nil
	}).Maybe()
	for _, src := range []string{activities.GuardBeforeWave, activities.GuardInFlight, activities.GuardBake} {
		delay, ok := f.watchDelays[src]
		if !ok && src != activities.GuardBeforeWave {
			delay = 1000 * time.Hour
		}
		from := mock.MatchedBy(func(in activities.WatchAlarmsInput) bool { return in.Source == src })
		env.OnActivity(acts.WatchAlarms, mock.Anything, from).After(delay).Return(f.watchAlarms).Maybe()
	}
	env.OnActivity(acts.FindRollbackTarget, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FindRollbackTargetInput) (activities.FindRollbackTargetResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.targetQueries = append(f.targetQueries, in)
		return f.target, nil
	}).Maybe()
	env.OnActivity(acts.AwaitDeployClosed, mock.Anything, mock.Anything).Return(f.awaitDeployClosed).Maybe()
	env.OnActivity(acts.LoadAcceptance, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.LoadAcceptanceInput) (activities.LoadAcceptanceResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return activities.LoadAcceptanceResult{Acceptance: f.acceptance, OnFailure: f.settings.OnFailure, BuildName: "hello", Commit: "abc1234"}, nil
	}).Maybe()
	env.OnActivity(acts.SetAcceptance, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SetAcceptanceInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.acceptances = append(f.acceptances, in.DeployID+" "+in.Status+": "+in.Reason)
		return nil
	}).Maybe()
	env.OnActivity(acts.StartRollout, mock.Anything, mock.Anything).Return(f.startRollout).Maybe()
	env.OnActivity(acts.AdmitWave, mock.Anything, mock.Anything).Return(f.admitWave).Maybe()
	// A deploy that has its verdict watches its counts; the real AwaitWave then comes back
	// after its MaxWait at the latest, and so does this one when the counts call for nothing.
	watching := mock.MatchedBy(func(in activities.WaveInput) bool { return in.Watch })
	rolling := mock.MatchedBy(func(in activities.WaveInput) bool { return !in.Watch })
	env.OnActivity(acts.AwaitWave, mock.Anything, watching).After(10 * time.Minute).Return(f.awaitWave).Maybe()
	if f.awaitDelay > 0 {
		env.OnActivity(acts.AwaitWave, mock.Anything, rolling).After(f.awaitDelay).Return(f.awaitWave)
	} else {
		env.OnActivity(acts.AwaitWave, mock.Anything, rolling).Return(f.awaitWave).Maybe()
	}
}

func (f *fakeStore) startRollout(_ context.Context, _ activities.StartRolloutInput) (activities.StartRolloutResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts++
	return activities.StartRolloutResult{Settings: f.settings, Total: f.hosts}, nil
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

func (f *fakeStore) admitWave(_ context.Context, in activities.WaveInput) (activities.AdmitWaveResult, error) {
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
	return activities.AdmitWaveResult{Admitted: n, Counts: f.counts()}, nil
}

// awaitWave lets every host in flight finish as the test set it up.
func (f *fakeStore) awaitWave(_ context.Context, in activities.WaveInput) (core.WaveCounts, error) {
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

// acceptanceLog is every SetAcceptance call, in order.
func (f *fakeStore) acceptanceLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.acceptances...)
}

func (f *fakeStore) stateLog(deployID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.states[deployID]...)
}

func (f *fakeStore) watchAlarms(_ context.Context, in activities.WatchAlarmsInput) (activities.WatchAlarmsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watches = append(f.watches, in)
	if f.watchAct == nil {
		return activities.WatchAlarmsResult{Checks: 1}, nil
	}
	return f.watchAct(in, len(f.watches)), nil
}

func (f *fakeStore) checkAlarms(_ context.Context, in activities.CheckAlarmsInput) (activities.CheckAlarmsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alarmChecks = append(f.alarmChecks, in)
	firing := f.firingFrom > 0 && len(f.alarmChecks) >= f.firingFrom
	var res activities.CheckAlarmsResult
	for i, a := range in.Alarms {
		st := activities.AlarmStatus{Name: a.Name}
		if firing && i > 0 {
			st.Firing, st.Detail = true, a.URL+" answered HTTP 503"
		}
		res.Alarms = append(res.Alarms, st)
	}
	return res, nil
}

// outlivingDeploy stands in for a deploy workflow that runs for a day without telling its
// stage anything, so that it outlives the stage workflow's run under test.
func outlivingDeploy(ctx workflow.Context, _ workflows.DeployInput) (workflows.DeployProgress, error) {
	return workflows.DeployProgress{}, workflow.Sleep(ctx, 24*time.Hour)
}

// awaitDeployClosed answers once watchAfter passed. Until then each attempt fails and the
// retry policy calls again a little later: a mocked activity that blocks on the test clock
// lets the test environment move its clock while other mocks are still answering.
func (f *fakeStore) awaitDeployClosed(_ context.Context, _ activities.AwaitDeployClosedInput) (activities.AwaitDeployClosedResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.env.Now()
	if f.watchSince.IsZero() {
		f.watchSince = now
	}
	if f.watchAfter == 0 || now.Before(f.watchSince.Add(f.watchAfter)) {
		return activities.AwaitDeployClosedResult{}, errors.New("the deploy is still running")
	}
	return activities.AwaitDeployClosedResult{Closed: true, Failure: f.watchFailure}, nil
}
