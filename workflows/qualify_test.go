package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// runner names the command activity by method value, as the workflows do.
var runner *activities.CommandRunner

// qualifyRun runs a QualificationWorkflow alone with acceptance a, HTTP checks answering
// httpPass, and returns its verdict, what it told the stage, and the test clock's advance.
type qualifyRun struct {
	verdict  workflows.QualificationVerdict
	told     []workflows.QualificationVerdict
	elapsed  time.Duration
	httpRuns int
}

func runQualification(t *testing.T, a core.Acceptance, httpPass, cmdPass bool, during func(env *testsuite.TestWorkflowEnvironment)) qualifyRun {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	var out qualifyRun
	env.OnActivity(acts.RunHTTPCheck, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HTTPCheckInput) (core.AcceptanceEvidence, error) {
		out.httpRuns++
		if in.Vars.DeployID != "d1" || in.Vars.BuildID != "b1" || in.Vars.Stage != "prod" {
			t.Errorf("HTTP check got vars %+v", in.Vars)
		}
		detail := "answered 200"
		if !httpPass {
			detail = "answered 503, want 200"
		}
		return core.AcceptanceEvidence{Kind: core.EvidenceHTTP, Name: in.Check.CheckName(in.Index), Passed: httpPass, Detail: detail}, nil
	}).Maybe()
	env.OnActivity(runner.RunAcceptanceCommand, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CommandInput) (core.AcceptanceEvidence, error) {
		if in.Env["TELETRAAN_DEPLOY_ID"] != "d1" || in.Env["TELETRAAN_STAGE"] != "prod" {
			t.Errorf("command env = %v", in.Env)
		}
		code := 0
		if !cmdPass {
			code = 3
		}
		return core.AcceptanceEvidence{Kind: core.EvidenceCommand, Name: "command", Passed: cmdPass, ExitCode: &code, Output: "tests ran", Detail: "exited"}, nil
	}).Maybe()
	env.OnSignalExternalWorkflow(mock.Anything, "stage/hello/prod", "", workflows.QualificationVerdictSignal, mock.Anything).Return(
		func(_, _, _, _ string, arg interface{}) error {
			out.told = append(out.told, arg.(workflows.QualificationVerdict))
			return nil
		}).Maybe()
	if during != nil {
		during(env)
	}
	start := env.Now()
	env.ExecuteWorkflow(workflows.QualificationWorkflow, workflows.QualifyInput{DeployID: "d1", StageID: "stage-1", EnvName: "hello", StageName: "prod",
		BuildID: "b1", Type: core.TypeRegular, Operator: "alice", StageWorkflowID: "stage/hello/prod", Acceptance: a})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("qualification failed: %v", err)
	}
	if err := env.GetWorkflowResult(&out.verdict); err != nil {
		t.Fatal(err)
	}
	out.elapsed = env.Now().Sub(start)
	return out
}

func TestQualificationHTTPAndCommandAccept(t *testing.T) {
	a := core.Acceptance{BakeSeconds: 600, HTTP: []core.HTTPCheck{{URL: "http://svc/health?d={deploy}"}, {Name: "smoke", URL: "http://svc/smoke"}},
		Command: &core.CommandCheck{Run: "make test"}}
	r := runQualification(t, a, true, true, nil)
	if r.verdict.Status != core.AcceptanceAccepted || r.verdict.DeployID != "d1" {
		t.Fatalf("verdict = %+v, want ACCEPTED", r.verdict)
	}
	if r.httpRuns != 2 || len(r.verdict.Evidence) != 4 || r.verdict.Evidence[0].Kind != core.EvidenceBake {
		t.Errorf("evidence = %+v after %d HTTP runs, want the bake, two HTTP checks and the command", r.verdict.Evidence, r.httpRuns)
	}
	if r.elapsed < 10*time.Minute {
		t.Errorf("the qualification took %s; the bake alone is 10m", r.elapsed)
	}
	if len(r.told) != 1 || r.told[0].Status != core.AcceptanceAccepted {
		t.Errorf("told the stage %+v, want ACCEPTED once", r.told)
	}
}

func TestQualificationRejectsOnAFailingCheck(t *testing.T) {
	r := runQualification(t, core.Acceptance{HTTP: []core.HTTPCheck{{Name: "health", URL: "http://svc/health"}}}, false, true, nil)
	if r.verdict.Status != core.AcceptanceRejected || !strings.Contains(r.verdict.Reason, "http check health failed: answered 503") {
		t.Fatalf("verdict = %+v", r.verdict)
	}
	r = runQualification(t, core.Acceptance{Command: &core.CommandCheck{Run: "make test"}}, true, false, nil)
	if r.verdict.Status != core.AcceptanceRejected || !strings.Contains(r.verdict.Reason, "command check command failed") {
		t.Fatalf("verdict = %+v", r.verdict)
	}
	if ev := r.verdict.Evidence; len(ev) != 1 || ev[0].ExitCode == nil || *ev[0].ExitCode != 3 || ev[0].Output != "tests ran" {
		t.Errorf("command evidence = %+v, want exit 3 and its output", ev)
	}
}

func TestQualificationExternalVerdict(t *testing.T) {
	a := core.Acceptance{External: &core.ExternalVerdict{DeadlineSeconds: 3600}}
	var refused, accepted error
	r := runQualification(t, a, true, true, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(workflows.AcceptanceVerdictUpdate, "v0", &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { refused = err }, OnComplete: func(interface{}, error) {},
			}, workflows.AcceptanceVerdictRequest{Status: "MAYBE", Operator: "bob"})
			env.UpdateWorkflow(workflows.AcceptanceVerdictUpdate, "v1", &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { accepted = err }, OnComplete: func(interface{}, error) {},
			}, workflows.AcceptanceVerdictRequest{Status: core.AcceptanceAccepted, Reason: "looks good", Operator: "bob"})
		}, 20*time.Minute)
	})
	if refused == nil || !strings.Contains(refused.Error(), "not ACCEPTED or REJECTED") || accepted != nil {
		t.Errorf("verdict updates: refused %v, accepted %v", refused, accepted)
	}
	if r.verdict.Status != core.AcceptanceAccepted || r.verdict.By != "bob" || !strings.Contains(r.verdict.Reason, "looks good") {
		t.Fatalf("verdict = %+v, want ACCEPTED by bob", r.verdict)
	}
	if r.elapsed < 20*time.Minute || r.elapsed > time.Hour {
		t.Errorf("took %s: it should end when the verdict came, after 20m", r.elapsed)
	}
}

func TestQualificationDeadlineRejects(t *testing.T) {
	r := runQualification(t, core.Acceptance{External: &core.ExternalVerdict{DeadlineSeconds: 1800}}, true, true, nil)
	if r.verdict.Status != core.AcceptanceRejected || !strings.Contains(r.verdict.Reason, "no external verdict within its deadline of 30m0s") {
		t.Fatalf("verdict = %+v", r.verdict)
	}
	if r.elapsed != 30*time.Minute {
		t.Errorf("took %s, want the deadline, 30m", r.elapsed)
	}
}

func TestQualificationRefusesAVerdictItDoesNotWaitFor(t *testing.T) {
	var refused error
	runQualification(t, core.Acceptance{BakeSeconds: 60}, true, true, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(workflows.AcceptanceVerdictUpdate, "v1", &testsuite.TestUpdateCallback{
				OnAccept: func() {}, OnReject: func(err error) { refused = err }, OnComplete: func(interface{}, error) {},
			}, workflows.AcceptanceVerdictRequest{Status: core.AcceptanceAccepted, Operator: "bob"})
		}, 10*time.Second)
	})
	if refused == nil || !strings.Contains(refused.Error(), "takes no external verdict") {
		t.Errorf("verdict on a stage without external acceptance: %v", refused)
	}
}

func TestQualificationCancelledIsSuperseded(t *testing.T) {
	r := runQualification(t, core.Acceptance{External: &core.ExternalVerdict{DeadlineSeconds: 3600}}, true, true, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterDelayedCallback(env.CancelWorkflow, 5*time.Minute)
	})
	if r.verdict.Status != core.AcceptanceSuperseded || len(r.told) != 0 {
		t.Fatalf("verdict = %+v, told %+v; want SUPERSEDED, the stage not told", r.verdict, r.told)
	}
}

// runStageWithAcceptance runs a stage whose deploys succeed on 2 hosts and whose stage has
// acceptance a, with the real deploy and qualification workflows as its children.
func runStageWithAcceptance(t *testing.T, a *core.Acceptance, policy string, httpPass bool, script func(env *testsuite.TestWorkflowEnvironment)) (*fakeStore, *testsuite.TestWorkflowEnvironment) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, acceptance: a, target: activities.FindRollbackTargetResult{DeployID: "d0", BuildID: "build-good"},
		settings: activities.RolloutSettings{MaxParallel: 2, SuccessThreshold: 100, StuckTimeoutSeconds: 600, OnFailure: policy}}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)
	env.RegisterWorkflow(workflows.QualificationWorkflow)
	env.RegisterWorkflow(workflows.WebhookWorkflow)
	env.OnActivity(acts.RunHTTPCheck, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HTTPCheckInput) (core.AcceptanceEvidence, error) {
		return core.AcceptanceEvidence{Kind: core.EvidenceHTTP, Name: in.Check.CheckName(in.Index), Passed: httpPass, Detail: "answered"}, nil
	}).Maybe()
	script(env)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 6*time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)
	return store, env
}

func hasEntry(log []string, prefix string) bool {
	for _, l := range log {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestStageRecordsAcceptedVerdict(t *testing.T) {
	var status workflows.StageStatus
	store, _ := runStageWithAcceptance(t, &core.Acceptance{BakeSeconds: 60, HTTP: []core.HTTPCheck{{URL: "http://svc/"}}}, core.FailureWait, true, func(env *testsuite.TestWorkflowEnvironment) {
		var started updateResult
		env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &started) }, time.Second)
		env.RegisterDelayedCallback(func() { status = queryStage(t, env) }, 3*time.Hour)
	})
	log := store.acceptanceLog()
	if len(log) != 2 || !strings.HasPrefix(log[0], "d1 PENDING_ACCEPT: acceptance running: bake 1m0s, then HTTP check http-1") ||
		!strings.HasPrefix(log[1], "d1 ACCEPTED: every acceptance check passed") {
		t.Fatalf("acceptance log = %q", log)
	}
	if status.Current == nil || !status.Current.Qualified || status.Current.Acceptance != core.AcceptanceAccepted {
		t.Errorf("stage status = %+v, want d1 qualified", status.Current)
	}
}

func TestStageWithoutAcceptanceQualifiesAtSucceeding(t *testing.T) {
	var status workflows.StageStatus
	store, _ := runStageWithAcceptance(t, nil, core.FailureWait, true, func(env *testsuite.TestWorkflowEnvironment) {
		var started updateResult
		env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &started) }, time.Second)
		env.RegisterDelayedCallback(func() { status = queryStage(t, env) }, time.Hour)
	})
	if log := store.acceptanceLog(); len(log) != 0 {
		t.Errorf("acceptance recorded on a stage without one: %q", log)
	}
	if status.Current == nil || !status.Current.Qualified {
		t.Errorf("stage status = %+v, want d1 qualified at SUCCEEDING", status.Current)
	}
}

func TestRejectedDeployUnderWaitWaits(t *testing.T) {
	store, _ := runStageWithAcceptance(t, &core.Acceptance{HTTP: []core.HTTPCheck{{Name: "health", URL: "http://svc/"}}}, core.FailureWait, false, func(env *testsuite.TestWorkflowEnvironment) {
		var started updateResult
		env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &started) }, time.Second)
	})
	log := store.acceptanceLog()
	if !hasEntry(log, "d1 REJECTED: http check health failed") || !strings.Contains(log[len(log)-1], "onFailure is WAIT: waiting for a person") {
		t.Fatalf("acceptance log = %q", log)
	}
	if len(store.targetQueries) != 0 || len(store.created) != 1 {
		t.Errorf("a rejection under WAIT rolled back: %+v", store.created)
	}
}

func TestRejectedDeployUnderRollbackRollsBack(t *testing.T) {
	store, _ := runStageWithAcceptance(t, &core.Acceptance{HTTP: []core.HTTPCheck{{Name: "health", URL: "http://svc/"}}}, core.FailureRollback, false, func(env *testsuite.TestWorkflowEnvironment) {
		var started updateResult
		env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &started) }, time.Second)
	})
	if !hasEntry(store.acceptanceLog(), "d1 REJECTED: http check health failed") {
		t.Fatalf("acceptance log = %q", store.acceptanceLog())
	}
	if len(store.created) < 2 || store.created[1].DeployID != workflows.AutoRollbackDeployID("d1") || store.created[1].Type != core.TypeRollback || store.created[1].BuildID != "build-good" {
		t.Fatalf("deploys created = %+v, want d1's rollback to build-good", store.created)
	}
}

func TestNewDeploySupersedesARunningQualification(t *testing.T) {
	store, _ := runStageWithAcceptance(t, &core.Acceptance{External: &core.ExternalVerdict{DeadlineSeconds: 4 * 3600}}, core.FailureWait, true, func(env *testsuite.TestWorkflowEnvironment) {
		var first, second updateResult
		env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &first) }, time.Second)
		env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d2"), &second) }, time.Hour)
	})
	log := store.acceptanceLog()
	if !hasEntry(log, "d1 PENDING_ACCEPT") || !hasEntry(log, "d1 SUPERSEDED: superseded by deploy d2") || hasEntry(log, "d1 REJECTED") {
		t.Fatalf("acceptance log = %q, want d1 pending then superseded, never rejected", log)
	}
	if !hasEntry(log, "d2 PENDING_ACCEPT") {
		t.Errorf("d2's qualification did not start: %q", log)
	}
}
