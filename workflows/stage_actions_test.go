package workflows_test

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

type actionResult struct {
	rejected, failed error
	result           workflows.DeployActionResult
	done             bool
}

func sendAction(env *testsuite.TestWorkflowEnvironment, name, id string, out *actionResult) {
	env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { out.rejected, out.done = err, true },
		OnComplete: func(v interface{}, err error) {
			out.failed, out.done = err, true
			if r, ok := v.(workflows.DeployActionResult); ok {
				out.result = r
			}
		},
	}, workflows.DeployActionRequest{Operator: "bob"})
}

func TestPauseResumeAbortThroughTheStage(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	var started updateResult
	var idle struct{ asAction actionResult }
	var pause, pauseAgain, resume, resumeAgain, abort, abortIdle actionResult
	env.RegisterDelayedCallback(func() { sendAction(env, workflows.PauseDeployUpdate, "p0", &idle.asAction) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &started) }, 2*time.Second)
	env.RegisterDelayedCallback(func() { sendAction(env, workflows.PauseDeployUpdate, "p1", &pause) }, time.Minute)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); !st.Paused || st.Current == nil || !st.Current.Paused {
			t.Errorf("status after pause = %+v, want paused", st)
		}
		sendAction(env, workflows.PauseDeployUpdate, "p2", &pauseAgain)
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() { sendAction(env, workflows.ResumeDeployUpdate, "r1", &resume) }, 3*time.Minute)
	env.RegisterDelayedCallback(func() { sendAction(env, workflows.ResumeDeployUpdate, "r2", &resumeAgain) }, 4*time.Minute)
	env.RegisterDelayedCallback(func() { sendAction(env, workflows.AbortDeployUpdate, "a1", &abort) }, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Current != nil {
			t.Errorf("status after abort = %+v, want idle", st)
		}
		sendAction(env, workflows.AbortDeployUpdate, "a2", &abortIdle)
	}, 7*time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 8*time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	wantRejected := func(name string, r actionResult, fragment string) {
		t.Helper()
		if r.rejected == nil || !strings.Contains(r.rejected.Error(), fragment) {
			t.Errorf("%s: rejection = %v, want one containing %q (result %+v)", name, r.rejected, fragment, r)
		}
	}
	wantRejected("pause when idle", idle.asAction, "nothing to pause")
	if pause.rejected != nil || pause.failed != nil || !pause.result.Paused || pause.result.DeployID != "d1" {
		t.Errorf("pause: %+v", pause)
	}
	wantRejected("second pause", pauseAgain, "paused already")
	if resume.rejected != nil || resume.failed != nil || resume.result.Paused {
		t.Errorf("resume: %+v", resume)
	}
	wantRejected("resume when running", resumeAgain, "not paused")
	if abort.rejected != nil || abort.failed != nil || abort.result.State != core.StateAborted {
		t.Errorf("abort: %+v, want the deploy confirmed ABORTED", abort)
	}
	wantRejected("abort when idle", abortIdle, "nothing to abort")
	if got := store.stateLog("d1"); len(got) != 1 || got[0] != "ABORTED:aborted by bob" {
		t.Errorf("d1 states = %q", got)
	}
	if len(store.pauses) != 2 || !store.pauses[0].Paused || store.pauses[1].Paused {
		t.Errorf("pauses recorded = %+v", store.pauses)
	}
}

func TestRegularDeployWaitsForAHotfix(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 3, frozen: true, awaitDelay: 10 * time.Minute}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	hotfix := deployRequest("h1")
	hotfix.Type = core.TypeHotfix
	forced := deployRequest("d3")
	forced.Force = true
	var h, regular, force updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, hotfix, &h) }, time.Second)
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d2"), &regular) }, time.Minute)
	env.RegisterDelayedCallback(func() { sendDeploy(env, forced, &force) }, 2*time.Minute)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 3*time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if h.failed != nil || h.rejected != nil {
		t.Fatalf("hotfix: %+v", h)
	}
	if regular.rejected == nil || !strings.Contains(regular.rejected.Error(), "a HOTFIX deploy is running; abort it first or wait") {
		t.Errorf("regular during hotfix: rejection = %v", regular.rejected)
	}
	if force.rejected != nil || force.failed != nil || force.result.Superseded != "h1" {
		t.Errorf("forced regular: %+v, want it to supersede h1", force)
	}
	if len(store.created) != 2 || store.created[0].Type != core.TypeHotfix {
		t.Errorf("deploys created: %+v", store.created)
	}
}

func TestRegularDeployFollowsASucceededRollback(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	rollback := deployRequest("r1")
	rollback.Type = core.TypeRollback
	var r, regular updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, rollback, &r) }, time.Second)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Current == nil || st.Current.State != core.StateSucceeding {
			t.Errorf("status after the rollback finished = %+v, want it SUCCEEDING", st)
		}
		sendDeploy(env, deployRequest("d2"), &regular)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if regular.rejected != nil || regular.failed != nil || regular.result.Superseded != "r1" {
		t.Errorf("regular after a succeeded rollback: %+v", regular)
	}
}

func TestRestartDeployKeepsItsType(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2, frozen: true, awaitDelay: time.Hour}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)
	restart := deployRequest("x1")
	restart.Type = core.TypeRestart
	var r updateResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, restart, &r) }, time.Second)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Current == nil || st.Current.Type != core.TypeRestart {
			t.Errorf("status = %+v, want a RESTART deploy", st)
		}
		env.CancelWorkflow()
	}, time.Minute)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)
	if len(store.created) != 1 || store.created[0].Type != core.TypeRestart {
		t.Errorf("deploys created: %+v", store.created)
	}
}

func TestDecisionsOnActions(t *testing.T) {
	running := &workflows.DeployRef{DeployID: "d1", Type: core.TypeRegular, State: core.StateRunning}
	paused := &workflows.DeployRef{DeployID: "d1", Paused: true}
	aborting := &workflows.DeployRef{DeployID: "d1", Aborting: true}
	for _, tc := range []struct {
		action string
		cur    *workflows.DeployRef
		want   string
	}{
		{"pause", nil, "nothing to pause"},
		{"pause", running, ""},
		{"pause", paused, "paused already"},
		{"resume", running, "not paused"},
		{"resume", paused, ""},
		{"abort", paused, ""},
		{"abort", nil, "nothing to abort"},
		{"abort", aborting, "being aborted"},
		{"promote", running, "unknown action"},
		{"pause", &workflows.DeployRef{DeployID: "d1", State: core.StateSucceeding}, "nothing to pause"},
		{"abort", &workflows.DeployRef{DeployID: "d1", State: core.StateSucceeding}, "roll back"},
		{"resume", &workflows.DeployRef{DeployID: "d1", State: core.StateSucceeding, Paused: true}, ""},
		{"abort", &workflows.DeployRef{DeployID: "d1", State: core.StateFailing}, ""},
		{"pause", &workflows.DeployRef{DeployID: "d1", State: core.StateFailing}, ""},
	} {
		got := workflows.ActionRefusal(tc.action, tc.cur)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("ActionRefusal(%s, %+v) = %q, want %q", tc.action, tc.cur, got, tc.want)
		}
	}

	for _, tc := range []struct {
		name, reqType string
		force         bool
		cur           *workflows.DeployRef
		want          string
	}{
		{"idle", core.TypeRegular, false, nil, ""},
		{"over regular", core.TypeRegular, false, running, ""},
		{"over running hotfix", core.TypeRegular, false, &workflows.DeployRef{Type: core.TypeHotfix, State: core.StateRunning}, "a HOTFIX deploy is running"},
		{"over rollback of unknown state", core.TypeRegular, false, &workflows.DeployRef{Type: core.TypeRollback}, "a ROLLBACK deploy is running"},
		{"forced", core.TypeRegular, true, &workflows.DeployRef{Type: core.TypeHotfix, State: core.StateRunning}, ""},
		{"over succeeding hotfix", core.TypeRegular, false, &workflows.DeployRef{Type: core.TypeHotfix, State: core.StateSucceeding}, ""},
		{"over aborting hotfix", core.TypeRegular, false, &workflows.DeployRef{Type: core.TypeHotfix, Aborting: true}, ""},
		{"hotfix over hotfix", core.TypeHotfix, false, &workflows.DeployRef{Type: core.TypeHotfix, State: core.StateRunning}, ""},
		{"rollback over hotfix", core.TypeRollback, false, &workflows.DeployRef{Type: core.TypeHotfix, State: core.StateRunning}, ""},
	} {
		got := workflows.RegularBlockedBy(tc.reqType, tc.force, tc.cur)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: RegularBlockedBy = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A SUCCEEDING deploy has rolled out: pausing it would hold nothing back and aborting it
// would only relabel it, so the stage refuses both and says what to do.
func TestSucceedingDeployRefusesPauseAndAbort(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	store := &fakeStore{hosts: 2}
	store.register(env)
	env.RegisterWorkflow(workflows.DeployWorkflow)

	var started updateResult
	var pause, abort actionResult
	env.RegisterDelayedCallback(func() { sendDeploy(env, deployRequest("d1"), &started) }, time.Second)
	env.RegisterDelayedCallback(func() {
		if st := queryStage(t, env); st.Current == nil || st.Current.State != core.StateSucceeding {
			t.Errorf("status = %+v, want d1 SUCCEEDING", st)
		}
		sendAction(env, workflows.PauseDeployUpdate, "p1", &pause)
		sendAction(env, workflows.AbortDeployUpdate, "a1", &abort)
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, 2*time.Hour)
	env.ExecuteWorkflow(workflows.StageWorkflow, stageInput)

	if pause.rejected == nil || !strings.Contains(pause.rejected.Error(), "nothing to pause") {
		t.Errorf("pause of a SUCCEEDING deploy: %+v, want refused", pause)
	}
	if abort.rejected == nil || !strings.Contains(abort.rejected.Error(), "roll back") {
		t.Errorf("abort of a SUCCEEDING deploy: %+v, want refused with what to do instead", abort)
	}
	for _, st := range store.stateLog("d1") {
		if strings.HasPrefix(st, core.StateAborted+":aborted by") {
			t.Errorf("d1 states = %q: a SUCCEEDING deploy was aborted", store.stateLog("d1"))
		}
	}
}
