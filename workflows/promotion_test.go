package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// promoStart is the test clock's start: a Monday, 10:00 UTC.
var promoStart = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

var promoInput = workflows.PromotionInput{StageID: "stage-prod", EnvName: "web", StageName: "prod"}

// fakePromoStage stands in for the promotion's activities: a stage with a promote config,
// a current deploy, and a stage workflow that takes the promotion's deploys (each starts
// RUNNING, as the real stage's would).
type fakePromoStage struct {
	mu      sync.Mutex
	env     *testsuite.TestWorkflowEnvironment
	config  *core.PromoteConfig
	current *core.PromotionDeploy
	source  *core.PromotionDeploy
	latest  *core.PromotionCandidate
	bad     map[string]core.BadBuild
	// refuse is how many deploy requests the stage refuses as stale before taking one.
	refuse int
	// deploys records each deploy the stage took, deployedAt when.
	deploys    []activities.StartPromotedDeployInput
	deployedAt []time.Time
	refused    int
	rollbacks  []workflows.AutoRollbackRequest
	// webhooks records the webhook events the promotion emitted.
	webhooks []activities.EmitWebhookInput
}

func newPromoStage(t *testing.T, cfg core.PromoteConfig) (*fakePromoStage, *testsuite.TestWorkflowEnvironment) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(promoStart)
	cfg.Normalize()
	if err := cfg.Validate("web", "prod"); err != nil {
		t.Fatalf("test config: %v", err)
	}
	f := &fakePromoStage{env: env, config: &cfg,
		current: &core.PromotionDeploy{DeployID: "d0", BuildID: "b0", State: core.StateSucceeding, BuildPublishedAt: promoStart.Add(-24 * time.Hour)}}
	env.OnActivity(acts.LoadPromotion, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.LoadPromotionInput) (activities.LoadPromotionResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		out := activities.LoadPromotionResult{Config: f.config, BuildName: "web", Source: f.source, Latest: f.latest, Bad: f.bad, Now: env.Now()}
		if f.current != nil {
			c := *f.current
			out.Current = &c
		}
		return out, nil
	}).Maybe()
	env.OnActivity(acts.StartPromotedDeploy, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StartPromotedDeployInput) (activities.StartPromotedDeployResult, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.refuse > 0 {
			f.refuse--
			f.refused++
			return activities.StartPromotedDeployResult{Refused: "stale promotion: the stage's current deploy is d9 now, not d0"}, nil
		}
		cur := ""
		if f.current != nil {
			cur = f.current.DeployID
		}
		if in.ExpectCurrent != cur {
			return activities.StartPromotedDeployResult{Refused: "stale"}, nil
		}
		id := "p" + in.Candidate.BuildID
		f.deploys = append(f.deploys, in)
		f.deployedAt = append(f.deployedAt, env.Now())
		f.current = &core.PromotionDeploy{DeployID: id, BuildID: in.Candidate.BuildID, State: core.StateRunning, BuildPublishedAt: in.Candidate.PublishedAt}
		return activities.StartPromotedDeployResult{DeployID: id}, nil
	}).Maybe()
	env.OnWorkflow(workflows.WebhookWorkflow, mock.Anything, mock.Anything).Return(func(_ workflow.Context, in activities.EmitWebhookInput) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.webhooks = append(f.webhooks, in)
		return nil
	}).Maybe()
	env.OnSignalExternalWorkflow(mock.Anything, workflows.StageWorkflowID("web", "prod"), "", workflows.AutoRollbackSignal, mock.Anything).Return(
		func(_ string, _ string, _ string, _ string, arg any) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.rollbacks = append(f.rollbacks, arg.(workflows.AutoRollbackRequest))
			return nil
		}).Maybe()
	return f, env
}

// candidate is build id published minutesAfter the test's start.
func candidate(id string, minutesAfter int) *core.PromotionCandidate {
	at := promoStart.Add(time.Duration(minutesAfter) * time.Minute)
	return &core.PromotionCandidate{BuildID: id, BuildName: "web", At: at, PublishedAt: at}
}

// at runs fn at d after the start of the test clock.
func at(env *testsuite.TestWorkflowEnvironment, d time.Duration, fn func()) {
	env.RegisterDelayedCallback(fn, d)
}

func notice(env *testsuite.TestWorkflowEnvironment, n activities.PromotionNotice) {
	env.SignalWorkflow(workflows.PromotionNoticeSignal, n)
}

// verdict sets the stage's current deploy state and tells the promotion, as the stage does.
func (f *fakePromoStage) verdict(state string) {
	f.mu.Lock()
	f.current.State = state
	id := f.current.DeployID
	f.mu.Unlock()
	notice(f.env, activities.PromotionNotice{Kind: activities.NoticeVerdict, DeployID: id, State: state})
}

func (f *fakePromoStage) deployed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, d := range f.deploys {
		out = append(out, d.Candidate.BuildID)
	}
	return out
}

// end removes the promote config and tells the workflow, which then ends.
func (f *fakePromoStage) end() {
	f.mu.Lock()
	f.config = nil
	f.mu.Unlock()
	notice(f.env, activities.PromotionNotice{Kind: activities.NoticeConfig})
}

func promoStatus(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.PromotionStatus {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.PromotionStatusQuery)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var st workflows.PromotionStatus
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func wantWhy(t *testing.T, env *testsuite.TestWorkflowEnvironment, want string) {
	t.Helper()
	if got := promoStatus(t, env).Why; !strings.Contains(got, want) {
		t.Errorf("why = %q, want it to say %q", got, want)
	}
}

func runPromotion(t *testing.T, env *testsuite.TestWorkflowEnvironment) {
	t.Helper()
	env.ExecuteWorkflow(workflows.PromotionWorkflow, promoInput)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the promotion workflow did not end")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("promotion workflow: %v", err)
	}
}

func TestPromotionOnBuildEvent(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true})
	at(env, time.Minute, func() {
		wantWhy(t, env, "no candidate: waiting for a new build")
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
	})
	at(env, 2*time.Minute, func() {
		if got := f.deployed(); len(got) != 1 || got[0] != "b1" {
			t.Errorf("deployed %v, want b1", got)
		}
		if op := f.deploys[0].Operator; op != "promotion:web/prod" {
			t.Errorf("operator %q, want promotion:web/prod", op)
		}
		f.mu.Lock()
		if len(f.webhooks) != 1 || f.webhooks[0].Event != core.EventPromotion || f.webhooks[0].DeployID != "pb1" || !strings.Contains(f.webhooks[0].Message, "to web/prod") {
			t.Errorf("webhook events %+v, want one PROMOTION for pb1", f.webhooks)
		}
		f.mu.Unlock()
		// A new build while b1 is still RUNNING waits for its verdict.
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b2", 2)})
	})
	at(env, 3*time.Minute, func() {
		wantWhy(t, env, "waiting for prod's deploy pb1 of build b1 to reach a verdict")
		f.verdict(core.StateSucceeding)
	})
	at(env, 4*time.Minute, func() {
		if got := f.deployed(); len(got) != 2 || got[1] != "b2" {
			t.Errorf("deployed %v, want b1 then b2 once b1 had its verdict", got)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionOnQualifiedEvent(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: "staging", OnEvent: true})
	f.source = &core.PromotionDeploy{DeployID: "s1", BuildID: "b1", State: core.StateRunning}
	at(env, time.Minute, func() {
		wantWhy(t, env, "waiting for staging's verdict on deploy s1")
		c := candidate("b1", 0)
		c.SourceDeployID = "s1"
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: c})
	})
	at(env, 2*time.Minute, func() {
		if got := f.deployed(); len(got) != 1 || got[0] != "b1" || !strings.Contains(f.deploys[0].Description, "qualified in web/staging by deploy s1") {
			t.Errorf("deployed %v (%+v), want b1 qualified by s1", got, f.deploys)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionOnCronWake(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, Cron: "0 12 * * *"})
	at(env, time.Minute, func() {
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
	})
	at(env, 2*time.Minute, func() {
		if got := f.deployed(); len(got) != 0 {
			t.Errorf("deployed %v before the schedule woke it", got)
		}
		wantWhy(t, env, "waits for the schedule")
		notice(env, activities.PromotionNotice{Kind: activities.NoticeWake})
	})
	at(env, 3*time.Minute, func() {
		if got := f.deployed(); len(got) != 1 || got[0] != "b1" {
			t.Errorf("deployed %v, want b1 at the wake", got)
		}
		f.verdict(core.StateSucceeding)
		// The wake is spent: the next build waits for the next one.
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b2", 3)})
	})
	at(env, 4*time.Minute, func() {
		if got := f.deployed(); len(got) != 1 {
			t.Errorf("deployed %v; b2 must wait for the next wake", got)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionFailPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy       string
		wantDeployed int
		wantRollback bool
		why          string
	}{
		{core.PromoteFailContinue, 2, false, "promoted build b2"},
		{core.PromoteFailDisable, 1, false, "disabled after promoted deploy pb1 went FAILING (failPolicy DISABLE)"},
		{core.PromoteFailRollback, 1, true, "failPolicy ROLLBACK: the stage was rolled back"},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true, FailPolicy: tc.policy})
			at(env, time.Minute, func() {
				notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
			})
			at(env, 2*time.Minute, func() { f.verdict(core.StateFailing) })
			at(env, 3*time.Minute, func() {
				notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b2", 3)})
			})
			at(env, 4*time.Minute, func() {
				if got := f.deployed(); len(got) != tc.wantDeployed {
					t.Errorf("deployed %v, want %d deploys", got, tc.wantDeployed)
				}
				f.mu.Lock()
				rolled := len(f.rollbacks) == 1 && f.rollbacks[0].DeployID == "pb1"
				f.mu.Unlock()
				if rolled != tc.wantRollback {
					t.Errorf("rollback asked of the stage: %v (%+v), want %v", rolled, f.rollbacks, tc.wantRollback)
				}
				wantWhy(t, env, tc.why)
				f.end()
			})
			runPromotion(t, env)
		})
	}
}

func TestPromotionDisablePolicies(t *testing.T) {
	for _, tc := range []struct {
		policy, operator string
		disabled         bool
	}{
		{core.PromoteDisableOnManual, "bob", true},
		{core.PromoteDisableOnManual, core.PromotionOperator("web", "prod"), false},
		{core.PromoteDisableOnManual, workflows.AutoRollbackOperator, false},
		{core.PromoteDisableNever, "bob", false},
	} {
		t.Run(tc.policy+"/"+tc.operator, func(t *testing.T) {
			f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true, DisablePolicy: tc.policy})
			at(env, time.Minute, func() {
				notice(env, activities.PromotionNotice{Kind: activities.NoticeStarted, DeployID: "d7", Type: core.TypeRollback, Operator: tc.operator})
				notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
			})
			at(env, 2*time.Minute, func() {
				st := promoStatus(t, env)
				if got := st.Disabled != ""; got != tc.disabled {
					t.Errorf("disabled = %q, want disabled %v", st.Disabled, tc.disabled)
				}
				if tc.disabled {
					wantWhy(t, env, "auto-promotion disabled by bob's manual rollback (deploy d7)")
					if len(f.deployed()) != 0 {
						t.Errorf("a disabled promotion deployed %v", f.deployed())
					}
				} else if len(f.deployed()) != 1 {
					t.Errorf("deployed %v, want b1", f.deployed())
				}
				f.end()
			})
			runPromotion(t, env)
		})
	}
}

func TestPromotionDelay(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true, DelaySeconds: 1800})
	at(env, time.Minute, func() {
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
	})
	at(env, 10*time.Minute, func() {
		if len(f.deployed()) != 0 {
			t.Errorf("deployed %v before the delay", f.deployed())
		}
		st := promoStatus(t, env)
		if st.WaitUntil == nil || !st.WaitUntil.Equal(promoStart.Add(31*time.Minute)) {
			t.Errorf("waits until %v, want %v", st.WaitUntil, promoStart.Add(31*time.Minute))
		}
		wantWhy(t, env, "younger than the delay of 30m0s")
	})
	at(env, 40*time.Minute, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.deploys) != 1 || !f.deployedAt[0].Equal(promoStart.Add(31*time.Minute)) {
			t.Errorf("deploys %v at %v, want b1 at exactly the end of its delay", f.deploys, f.deployedAt)
		}
	})
	at(env, 41*time.Minute, f.end)
	runPromotion(t, env)
}

func TestPromotionWindowWaitsAndNewestWins(t *testing.T) {
	// Monday 10:00 UTC is 11:00 in Berlin; the window opens on Tuesday 09:00 Berlin.
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true, TimeZone: "Europe/Berlin",
		Window: &core.PromoteWindow{Days: []string{"Tue"}, Start: "09:00", End: "12:00"}})
	opens := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	at(env, time.Minute, func() {
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
	})
	at(env, time.Hour, func() {
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b2", 60)})
	})
	at(env, 2*time.Hour, func() {
		wantWhy(t, env, "window closed until Tue 09:00 Europe/Berlin; then the newest candidate (now build b2)")
		if len(f.deployed()) != 0 {
			t.Errorf("deployed %v outside the window", f.deployed())
		}
	})
	at(env, opens.Sub(promoStart)+time.Minute, func() {
		f.mu.Lock()
		ok := len(f.deploys) == 1 && f.deploys[0].Candidate.BuildID == "b2" && f.deployedAt[0].Equal(opens)
		f.mu.Unlock()
		if !ok {
			t.Errorf("deploys %v at %v, want only b2, the newest, as the window opened at %v", f.deployed(), f.deployedAt, opens)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionSkipsBadBuilds(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true})
	f.bad = map[string]core.BadBuild{"b2": {Operator: "alice", Comment: "crashes on start"}}
	at(env, time.Minute, func() {
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b2", 1)})
	})
	at(env, 2*time.Minute, func() {
		wantWhy(t, env, `build b2 tagged BAD by alice: "crashes on start"`)
		if len(f.deployed()) != 0 {
			t.Errorf("deployed a bad build: %v", f.deployed())
		}
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", -1)})
	})
	at(env, 3*time.Minute, func() {
		if got := f.deployed(); len(got) != 1 || got[0] != "b1" {
			t.Errorf("deployed %v, want b1, the newest good build", got)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionRechecksStaleCandidate(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true})
	f.refuse = 1
	at(env, time.Minute, func() {
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
	})
	at(env, 2*time.Minute, func() {
		wantWhy(t, env, "the stage refused build b1: stale promotion")
		if len(f.deployed()) != 0 {
			t.Errorf("deployed %v although the stage refused", f.deployed())
		}
		// The stage's next verdict makes it decide again, on a fresh read.
		f.verdict(core.StateSucceeding)
	})
	at(env, 3*time.Minute, func() {
		if got := f.deployed(); len(got) != 1 || got[0] != "b1" {
			t.Errorf("deployed %v, want b1 after a fresh decision", got)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionPauseResumeAndPromoteNow(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true,
		Window: &core.PromoteWindow{Days: []string{"Sun"}, Start: "01:00", End: "02:00"}})
	type answer struct {
		res workflows.PromotionActionResult
		err error
	}
	answers := map[string]*answer{}
	update := func(key, name string) {
		a := &answer{}
		answers[key] = a
		env.UpdateWorkflow(name, key, &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { a.err = err },
			OnComplete: func(v any, err error) { a.err = err; a.res, _ = v.(workflows.PromotionActionResult) },
			OnAccept:   func() {},
		}, workflows.PromotionActionRequest{Operator: "carol"})
	}
	at(env, time.Minute, func() { update("pause", workflows.PausePromotionUpdate) })
	at(env, time.Minute+time.Second, func() {
		update("pause-again", workflows.PausePromotionUpdate)
		notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate("b1", 1)})
	})
	at(env, 2*time.Minute, func() {
		if a := answers["pause"]; a.err != nil {
			t.Errorf("pause: %v", a.err)
		}
		if a := answers["pause-again"]; a.err == nil || !strings.Contains(a.err.Error(), "paused already (by carol)") {
			t.Errorf("second pause: %v, want a refusal", a.err)
		}
		wantWhy(t, env, "paused by carol")
		update("resume", workflows.ResumePromotionUpdate)
	})
	at(env, 3*time.Minute, func() {
		if a := answers["resume"]; a.err != nil {
			t.Errorf("resume: %v", a.err)
		}
		wantWhy(t, env, "window closed until Sun 01:00")
		update("now", workflows.PromoteNowUpdate)
	})
	at(env, 4*time.Minute, func() {
		if a := answers["now"]; a.err != nil || a.res.BuildID != "b1" {
			t.Errorf("promote now: %+v %v, want b1 deployed", a.res, a.err)
		}
		if got := f.deployed(); len(got) != 1 || !strings.Contains(f.deploys[0].Description, "asked by carol") {
			t.Errorf("deployed %v (%+v), want b1 by promote-now", got, f.deploys)
		}
		// b1 still runs: promote-now refuses to replace it.
		update("now-again", workflows.PromoteNowUpdate)
	})
	at(env, 5*time.Minute, func() {
		if a := answers["now-again"]; a.err == nil || !strings.Contains(a.err.Error(), "to reach a verdict") {
			t.Errorf("promote now over a running deploy: %v, want a refusal", a.err)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionSeesLatestFromTheStore(t *testing.T) {
	// A promotion that starts after the build was published (its notice lost) finds it.
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true})
	f.latest = candidate("b1", -5)
	at(env, time.Minute, func() {
		if got := f.deployed(); len(got) != 1 || got[0] != "b1" {
			t.Errorf("deployed %v, want b1 found in the store", got)
		}
		f.end()
	})
	runPromotion(t, env)
}

func TestPromotionContinuesAsNewKeepingItsState(t *testing.T) {
	f, env := newPromoStage(t, core.PromoteConfig{Source: core.PromoteSourceBuild, OnEvent: true})
	f.current.State = core.StateRunning // nothing is promoted: the queue only grows
	at(env, time.Minute, func() {
		env.UpdateWorkflow(workflows.PausePromotionUpdate, "pause", &testsuite.TestUpdateCallback{
			OnAccept: func() {}, OnReject: func(err error) { t.Errorf("pause: %v", err) }, OnComplete: func(any, error) {},
		}, workflows.PromotionActionRequest{Operator: "carol"})
	})
	for i := range 205 {
		at(env, 2*time.Minute+time.Duration(i)*time.Second, func() {
			notice(env, activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: candidate(fmt.Sprintf("b%03d", i), i)})
		})
	}
	env.ExecuteWorkflow(workflows.PromotionWorkflow, promoInput)
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("after 205 notices the workflow ended with %v, want it to continue as new", err)
	}
	var next workflows.PromotionInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if s := next.State; s == nil || s.PausedBy != "carol" || len(s.Candidates)+len(s.Notices) == 0 || len(s.Candidates) > core.MaxPromotionCandidates {
		t.Errorf("state carried over: %+v, want the pause and a bounded queue", next.State)
	}
}
