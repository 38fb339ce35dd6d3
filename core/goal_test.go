package core_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
)

var goalNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// goalStage is web/prod, a member by host, whose current deploy is d2 of build b2.
func goalStage(mod ...func(*core.PingStage)) core.PingStage {
	commit := goalNow.Add(-time.Hour)
	ps := core.PingStage{
		Stage: core.StageRef{ID: "stg-web", EnvName: "web", StageName: "prod", CurrentDeployID: "d2",
			ScriptVariables: map[string]string{"PORT": "8080"},
			AgentConfigs:    map[string]string{"max_retry": "3", "RESTARTING.process_timeout": "600", "DOWNLOADING.max_retry": "9"}},
		Deploy:     &core.DeployRef{ID: "d2", Type: core.TypeRegular},
		Build:      &core.Build{ID: "b2", Name: "web", ArtifactURL: "https://b/web.tar.gz", Checksum: "ab12", Commit: "abcdef0", CommitDate: &commit, PublishedAt: goalNow},
		Membership: core.MemberByHost,
	}
	for _, m := range mod {
		m(&ps)
	}
	return ps
}

func withAgent(deployID, stage, status, state string, first bool) func(*core.PingStage) {
	return func(ps *core.PingStage) {
		ps.Agent = &core.Agent{HostID: "i-1", StageID: ps.Stage.ID, HostName: "host-1", DeployID: deployID, DeployStage: stage,
			Status: status, State: state, FirstDeploy: first, StartedAt: goalNow.Add(-time.Hour),
			StageStartedAt: goalNow.Add(-time.Minute), UpdatedAt: goalNow.Add(-time.Minute)}
	}
}

// rollbackTo makes the stage's current deploy d2 a rollback whose alias is alias.
func rollbackTo(alias string) func(*core.PingStage) {
	return func(ps *core.PingStage) { ps.Deploy.Type, ps.Deploy.Alias = core.TypeRollback, alias }
}

// stopFailed is a report that the host gave up on its STOPPING script.
func stopFailed() protocol.PingReport {
	r := report("stg-web", "d2", protocol.StageStopping, protocol.StatusTooManyRetry)
	r.FailCount, r.ErrorCode = 3, 1
	return r
}

// fatalOn is a report that the host gave up on deployID's RESTARTING.
func fatalOn(deployID string) protocol.PingReport {
	r := report("stg-web", deployID, protocol.StageRestarting, protocol.StatusTooManyRetry)
	r.FailCount, r.ErrorCode = 3, 1
	return r
}

func report(envID, deployID, stage, status string) protocol.PingReport {
	return protocol.PingReport{EnvID: envID, DeployID: deployID, DeployStage: stage, AgentStatus: status}
}

// rowWant is what a test checks of a written agent row.
type rowWant struct {
	stageID, deployID, deployStage, status, state string
	first                                         bool
	failCount                                     int
}

func TestDecideGoal(t *testing.T) {
	const (
		serving = protocol.StageServingBuild
		ok      = protocol.StatusSucceeded
		normal  = core.AgentNormal
	)
	noDeploy := func(ps *core.PingStage) { ps.Deploy, ps.Build, ps.Stage.CurrentDeployID = nil, nil, "" }
	left := func(ps *core.PingStage) { ps.Membership = core.NotMember }
	admitted := func(ps *core.PingStage) { ps.AdmittedDeployID = "d2" }
	deployType := func(typ string) func(*core.PingStage) { return func(ps *core.PingStage) { ps.Deploy.Type = typ } }
	failing := report("stg-web", "d2", protocol.StageDownloading, protocol.StatusScriptFailed)
	failing.FailCount, failing.ErrorCode, failing.ErrorMessage = 1, 2, "curl: 404"
	fatal := report("stg-web", "d2", protocol.StageRestarting, protocol.StatusTooManyRetry)
	fatal.FailCount, fatal.ErrorCode = 3, 1
	resetBySystem := report("stg-web", "d2", serving, ok)
	resetBySystem.AgentState = protocol.AgentStateResetBySystem
	other := core.PingStage{Stage: core.StageRef{ID: "stg-api", EnvName: "api", StageName: "prod"},
		Deploy: &core.DeployRef{ID: "a9", Type: core.TypeRegular}, Build: &core.Build{ID: "ab"}, Membership: core.MemberByGroup}

	tests := []struct {
		name       string
		stages     []core.PingStage
		reports    []protocol.PingReport
		wantOp     string
		wantStage  string // goal's deploy stage; "" for none
		wantFirst  bool
		wantRows   []rowWant
		wantErrors int
		wantForget []string
		wantWait   bool
	}{
		{name: "stage without deploy is ignored", stages: []core.PingStage{goalStage(noDeploy)},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpNoop},
		{name: "new host installs at once", stages: []core.PingStage{goalStage()},
			wantOp: protocol.OpDeploy, wantStage: protocol.StagePreDownload, wantFirst: true,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, true, 0}}},
		{name: "serving the current deploy is the steady state", stages: []core.PingStage{goalStage(withAgent("d2", serving, ok, normal, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", serving, ok)}, wantOp: protocol.OpNoop},
		{name: "reaching SERVING_BUILD ends the first deploy", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StagePostRestart, protocol.StatusUnknown, normal, true))},
			reports: []protocol.PingReport{report("stg-web", "d2", serving, ok)}, wantOp: protocol.OpNoop,
			wantRows: []rowWant{{"stg-web", "d2", serving, ok, normal, false, 0}}},
		{name: "succeeded stage moves to the next", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageDownloading, protocol.StatusUnknown, normal, true))},
			reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageDownloading, ok)},
			wantOp:  protocol.OpDeploy, wantStage: protocol.StagePostDownload, wantFirst: true,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePostDownload, protocol.StatusUnknown, normal, true, 0}}},
		{name: "script failure retries the same stage", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageDownloading, protocol.StatusUnknown, normal, false))},
			reports: []protocol.PingReport{failing}, wantOp: protocol.OpDeploy, wantStage: protocol.StageDownloading,
			wantRows:   []rowWant{{"stg-web", "d2", protocol.StageDownloading, protocol.StatusScriptFailed, normal, false, 1}},
			wantErrors: 1},
		{name: "the same failure reported again writes nothing", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageDownloading, protocol.StatusScriptFailed, normal, false), func(ps *core.PingStage) {
			ps.Agent.FailCount, ps.Agent.ErrorCode = 1, 2
		})},
			reports: []protocol.PingReport{failing}, wantOp: protocol.OpDeploy, wantStage: protocol.StageDownloading},
		{name: "fatal status pauses the host", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageRestarting, protocol.StatusUnknown, normal, true))},
			reports: []protocol.PingReport{fatal}, wantOp: protocol.OpNoop,
			wantRows:   []rowWant{{"stg-web", "d2", protocol.StageRestarting, protocol.StatusTooManyRetry, core.AgentPausedBySystem, false, 3}},
			wantErrors: 1},
		{name: "paused by system stays paused", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageRestarting, protocol.StatusTooManyRetry, core.AgentPausedBySystem, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageRestarting, protocol.StatusUnknown)}, wantOp: protocol.OpNoop,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StageRestarting, protocol.StatusUnknown, core.AgentPausedBySystem, false, 0}}},
		{name: "operator reset restarts from PRE_DOWNLOAD", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageRestarting, protocol.StatusTooManyRetry, core.AgentReset, false))},
			reports: []protocol.PingReport{fatal}, wantOp: protocol.OpDeploy, wantStage: protocol.StagePreDownload,
			wantRows:   []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false, 0}},
			wantErrors: 1},
		{name: "RESET_BY_SYSTEM from the agent restarts from PRE_DOWNLOAD", stages: []core.PingStage{goalStage(withAgent("d2", serving, ok, normal, false))},
			reports: []protocol.PingReport{resetBySystem}, wantOp: protocol.OpDeploy, wantStage: protocol.StagePreDownload,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false, 0}}},
		{name: "paused by user is ignored", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, core.AgentPausedByUser, false), admitted)},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpNoop},
		{name: "a host paused at its step gets no next step and keeps its row", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageDownloading, ok, core.AgentPausedInDeploy, false), admitted)},
			reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageDownloading, ok)}, wantOp: protocol.OpNoop},
		{name: "host serving an older deploy waits for admission", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, normal, false))},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpNoop, wantWait: true},
		{name: "stop: a serving host runs STOPPING with opcode STOP", stages: []core.PingStage{goalStage(withAgent("d2", serving, ok, core.AgentStop, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", serving, ok)}, wantOp: protocol.OpStop, wantStage: protocol.StageStopping,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StageStopping, protocol.StatusUnknown, core.AgentStop, false, 0}}},
		{name: "stop: a host on an older deploy stops that one", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, core.AgentStop, false))},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpStop, wantStage: protocol.StageStopping,
			wantRows: []rowWant{{"stg-web", "d1", protocol.StageStopping, protocol.StatusUnknown, core.AgentStop, false, 0}}},
		{name: "stop: STOPPING succeeded rests at STOPPED", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageStopping, protocol.StatusUnknown, core.AgentStop, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageStopping, ok)}, wantOp: protocol.OpNoop,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StageStopped, ok, core.AgentStop, false, 0}}},
		{name: "stop: STOPPED is the steady state", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageStopped, ok, core.AgentStop, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageStopped, ok)}, wantOp: protocol.OpNoop},
		{name: "stop: a fatal STOPPING gives up", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageStopping, protocol.StatusUnknown, core.AgentStop, false))},
			reports: []protocol.PingReport{stopFailed()}, wantOp: protocol.OpNoop,
			wantRows:   []rowWant{{"stg-web", "d2", protocol.StageStopping, protocol.StatusTooManyRetry, core.AgentPausedBySystem, false, 3}},
			wantErrors: 1},
		{name: "stop comes before another stage's install", stages: []core.PingStage{other, goalStage(withAgent("d2", serving, ok, core.AgentStop, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", serving, ok)}, wantOp: protocol.OpStop, wantStage: protocol.StageStopping,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StageStopping, protocol.StatusUnknown, core.AgentStop, false, 0}}},
		{name: "rollback: a host serving the alias is done and runs nothing", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, normal, false), rollbackTo("d1"))},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpNoop,
			wantRows: []rowWant{{"stg-web", "d2", serving, ok, normal, false, 0}}},
		{name: "rollback: a host whose row serves the alias is done before it reports", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, normal, false), rollbackTo("d1"))},
			wantOp:   protocol.OpNoop,
			wantRows: []rowWant{{"stg-web", "d2", serving, ok, normal, false, 0}}},
		{name: "rollback: the alias swap is the steady state", stages: []core.PingStage{goalStage(withAgent("d2", serving, ok, normal, false), rollbackTo("d1"))},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpNoop},
		{name: "rollback: a host on another deploy waits to walk the stages", stages: []core.PingStage{goalStage(withAgent("d0", serving, ok, normal, false), rollbackTo("d1"))},
			reports: []protocol.PingReport{report("stg-web", "d0", serving, ok)}, wantOp: protocol.OpNoop, wantWait: true},
		{name: "rollback: a host the operator reset on the alias installs again", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, core.AgentReset, false), rollbackTo("d1"))},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpRollback, wantStage: protocol.StagePreDownload,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false, 0}}},
		{name: "rollback: a host that failed on the alias is not on it", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, normal, false), rollbackTo("d1"))},
			reports: []protocol.PingReport{fatalOn("d1")}, wantOp: protocol.OpRollback, wantStage: protocol.StagePreDownload,
			wantRows:   []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false, 0}},
			wantErrors: 1},
		{name: "admitted host installs", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, normal, false), admitted)},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpDeploy, wantStage: protocol.StagePreDownload,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false, 0}}},
		{name: "host mid-deploy of an older deploy switches at once", stages: []core.PingStage{goalStage(withAgent("d1", protocol.StageDownloading, protocol.StatusUnknown, normal, false))},
			reports: []protocol.PingReport{report("stg-web", "d1", protocol.StageDownloading, protocol.StatusUnknown)},
			wantOp:  protocol.OpDeploy, wantStage: protocol.StagePreDownload,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false, 0}}},
		{name: "host still on its first deploy needs no admission", stages: []core.PingStage{goalStage(withAgent("d1", serving, ok, normal, true))},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok)}, wantOp: protocol.OpDeploy, wantStage: protocol.StagePreDownload, wantFirst: true,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, true, 0}}},
		{name: "agent that lost its status restarts the deploy it holds", stages: []core.PingStage{goalStage(withAgent("d2", protocol.StageStaging, protocol.StatusUnknown, normal, false))},
			wantOp: protocol.OpDeploy, wantStage: protocol.StagePreDownload,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false, 0}}},
		{name: "stage the host left is deleted", stages: []core.PingStage{goalStage(withAgent("d2", serving, ok, normal, false), left)},
			reports: []protocol.PingReport{report("stg-web", "d2", serving, ok)}, wantOp: protocol.OpDelete, wantStage: serving,
			wantRows: []rowWant{{"stg-web", "d2", serving, ok, core.AgentDelete, false, 0}}},
		{name: "report on a stage that does not exist is deleted", reports: []protocol.PingReport{report("stg-gone", "d0", serving, ok)},
			wantOp: protocol.OpDelete, wantStage: serving},
		{name: "acknowledged delete forgets the row", stages: []core.PingStage{goalStage(withAgent("d2", serving, ok, core.AgentDelete, false), left)},
			wantOp: protocol.OpNoop, wantForget: []string{"stg-web"}},
		{name: "rollback deploys answer ROLLBACK", stages: []core.PingStage{goalStage(deployType(core.TypeRollback))},
			wantOp: protocol.OpRollback, wantStage: protocol.StagePreDownload, wantFirst: true,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, true, 0}}},
		{name: "restart deploys answer RESTART", stages: []core.PingStage{goalStage(deployType(core.TypeRestart))},
			wantOp: protocol.OpRestart, wantStage: protocol.StagePreDownload, wantFirst: true,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, true, 0}}},
		{name: "hotfix deploys answer DEPLOY", stages: []core.PingStage{goalStage(deployType(core.TypeHotfix), withAgent("d2", protocol.StagePreDownload, protocol.StatusUnknown, normal, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", protocol.StagePreDownload, ok)},
			wantOp:  protocol.OpDeploy, wantStage: protocol.StageDownloading,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StageDownloading, protocol.StatusUnknown, normal, false, 0}}},
		{name: "an install beats a delete", stages: []core.PingStage{other, goalStage(withAgent("d2", serving, ok, normal, false), left)},
			reports: []protocol.PingReport{report("stg-web", "d2", serving, ok)}, wantOp: protocol.OpDeploy, wantStage: protocol.StagePreDownload, wantFirst: true,
			wantRows: []rowWant{{"stg-api", "a9", protocol.StagePreDownload, protocol.StatusUnknown, normal, true, 0},
				{"stg-web", "d2", serving, ok, core.AgentDelete, false, 0}}},
		{name: "a delete beats waiting for admission", stages: []core.PingStage{
			{Stage: core.StageRef{ID: "stg-old", EnvName: "old", StageName: "prod"}},
			goalStage(withAgent("d1", serving, ok, normal, false))},
			reports: []protocol.PingReport{report("stg-web", "d1", serving, ok), report("stg-old", "o1", serving, ok)},
			wantOp:  protocol.OpDelete, wantStage: serving, wantWait: true},
		{name: "finishing a deploy beats starting another, which is not recorded", stages: []core.PingStage{other, goalStage(withAgent("d2", protocol.StageStaging, protocol.StatusUnknown, normal, false))},
			reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageStaging, ok)},
			wantOp:  protocol.OpDeploy, wantStage: protocol.StagePreRestart,
			wantRows: []rowWant{{"stg-web", "d2", protocol.StagePreRestart, protocol.StatusUnknown, normal, false, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := core.DecideGoal(core.GoalInput{HostID: "i-1", HostName: "host-1", Reports: tt.reports,
				State: core.PingState{Stages: tt.stages, Now: goalNow}})
			if d.Response.OpCode != tt.wantOp {
				t.Fatalf("opCode = %s, want %s (goal %+v)", d.Response.OpCode, tt.wantOp, d.Response.DeployGoal)
			}
			g := d.Response.DeployGoal
			switch {
			case tt.wantStage == "" && g != nil:
				t.Fatalf("goal = %+v, want none", g)
			case tt.wantStage != "" && (g == nil || g.DeployStage != tt.wantStage || g.FirstDeploy != tt.wantFirst):
				t.Fatalf("goal = %+v, want stage %s, firstDeploy %v", g, tt.wantStage, tt.wantFirst)
			}
			var got []rowWant
			for _, a := range d.Writes.Agents {
				if a.HostID != "i-1" || a.HostName != "host-1" || !a.UpdatedAt.Equal(goalNow) {
					t.Errorf("row %+v: want host i-1/host-1 updated now", a)
				}
				got = append(got, rowWant{a.StageID, a.DeployID, a.DeployStage, a.Status, a.State, a.FirstDeploy, a.FailCount})
			}
			if !reflect.DeepEqual(got, tt.wantRows) {
				t.Errorf("rows = %+v\nwant   %+v", got, tt.wantRows)
			}
			if len(d.Writes.Errors) != tt.wantErrors {
				t.Errorf("errors = %+v, want %d", d.Writes.Errors, tt.wantErrors)
			}
			if !reflect.DeepEqual(d.Writes.Forget, tt.wantForget) {
				t.Errorf("forget = %v, want %v", d.Writes.Forget, tt.wantForget)
			}
			if d.Waiting != tt.wantWait {
				t.Errorf("waiting = %v, want %v", d.Waiting, tt.wantWait)
			}
		})
	}
}

func TestDecideGoalLeavesRunningStagesAloneAndTimesNewOnes(t *testing.T) {
	ps := goalStage(withAgent("d2", protocol.StageDownloading, protocol.StatusUnknown, core.AgentNormal, false))
	d := core.DecideGoal(core.GoalInput{HostID: "i-1", HostName: "host-1", Reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageDownloading, protocol.StatusUnknown)},
		State: core.PingState{Stages: []core.PingStage{ps}, Now: goalNow}})
	// A running stage changes nothing: no write, so a long script does not cost a transaction per ping.
	if len(d.Writes.Agents) != 0 || d.Response.DeployGoal.DeployStage != protocol.StageDownloading {
		t.Fatalf("running stage: writes %+v, goal %+v; want none and DOWNLOADING again", d.Writes.Agents, d.Response.DeployGoal)
	}
	d = core.DecideGoal(core.GoalInput{HostID: "i-1", HostName: "host-1", Reports: []protocol.PingReport{report("stg-web", "d2", protocol.StageDownloading, protocol.StatusSucceeded)},
		State: core.PingState{Stages: []core.PingStage{ps}, Now: goalNow}})
	row := d.Writes.Agents[0]
	if !row.StageStartedAt.Equal(goalNow) || !row.StartedAt.Equal(ps.Agent.StartedAt) {
		t.Fatalf("next stage row %+v: want stage started now, deploy start kept", row)
	}
}

func TestDecideGoalCarriesStageData(t *testing.T) {
	decideAt := func(ps core.PingStage, rep *protocol.PingReport) *protocol.DeployGoal {
		t.Helper()
		in := core.GoalInput{HostID: "i-1", State: core.PingState{Stages: []core.PingStage{ps}, Now: goalNow}}
		if rep != nil {
			in.Reports = []protocol.PingReport{*rep}
		}
		g := core.DecideGoal(in).Response.DeployGoal
		if g == nil {
			t.Fatal("no goal")
		}
		return g
	}
	at := func(stage string) *protocol.PingReport {
		prev := protocol.DeployStages()[0]
		for _, s := range protocol.DeployStages() {
			if next, _ := protocol.NextStage(s); next == stage {
				prev = s
			}
		}
		r := report("stg-web", "d2", prev, protocol.StatusSucceeded)
		return &r
	}
	ps := goalStage(withAgent("d2", protocol.StagePreDownload, protocol.StatusUnknown, core.AgentNormal, false))

	pre := decideAt(goalStage(), nil)
	if pre.DeployStage != protocol.StagePreDownload || !reflect.DeepEqual(pre.ScriptVariables, map[string]string{"PORT": "8080"}) || pre.Build != nil {
		t.Fatalf("PRE_DOWNLOAD goal = %+v, want script variables and no build", pre)
	}
	if pre.DeployID != "d2" || pre.DeployType != core.TypeRegular || pre.EnvID != "stg-web" || pre.EnvName != "web" || pre.StageName != "prod" {
		t.Fatalf("goal identity = %+v", pre)
	}
	empty := decideAt(goalStage(func(ps *core.PingStage) { ps.Stage.ScriptVariables = map[string]string{} }), nil)
	if empty.ScriptVariables == nil || len(empty.ScriptVariables) != 0 {
		t.Fatalf("PRE_DOWNLOAD without variables: scriptVariables = %#v, want an empty non-nil map", empty.ScriptVariables)
	}

	dl := decideAt(ps, at(protocol.StageDownloading))
	wantBuild := &protocol.Build{ID: "b2", Name: "web", ArtifactURL: "https://b/web.tar.gz", Commit: "abcdef0", Checksum: "ab12",
		CommitDate: goalNow.Add(-time.Hour).UnixMilli(), PublishDate: goalNow.UnixMilli()}
	if dl.DeployStage != protocol.StageDownloading || !reflect.DeepEqual(dl.Build, wantBuild) || dl.ScriptVariables != nil {
		t.Fatalf("DOWNLOADING goal build = %+v, scriptVariables %v; want %+v and none", dl.Build, dl.ScriptVariables, wantBuild)
	}
	if want := map[string]string{"max_retry": "9"}; !reflect.DeepEqual(dl.AgentConfigs, want) {
		t.Fatalf("DOWNLOADING agentConfigs = %v, want %v", dl.AgentConfigs, want)
	}
	restart := decideAt(ps, at(protocol.StageRestarting))
	if want := map[string]string{"max_retry": "3", "process_timeout": "600"}; !reflect.DeepEqual(restart.AgentConfigs, want) || restart.Build != nil || restart.ScriptVariables != nil {
		t.Fatalf("RESTARTING goal = %+v, want configs %v and no build or variables", restart, want)
	}
}

func TestStageAgentConfigs(t *testing.T) {
	configs := map[string]string{
		"max_retry": "3", "RESTARTING.process_timeout": "600", "RESTARTING.max_retry": "5",
		"STAGING.target": "/srv", "dotted.key": "kept",
	}
	tests := []struct {
		stage string
		want  map[string]string
	}{
		{protocol.StageRestarting, map[string]string{"max_retry": "5", "process_timeout": "600", "dotted.key": "kept"}},
		{protocol.StageStaging, map[string]string{"max_retry": "3", "target": "/srv", "dotted.key": "kept"}},
		{protocol.StagePreDownload, map[string]string{"max_retry": "3", "dotted.key": "kept"}},
	}
	for _, tt := range tests {
		if got := core.StageAgentConfigs(configs, tt.stage); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("StageAgentConfigs(%s) = %v, want %v", tt.stage, got, tt.want)
		}
	}
	if got := core.StageAgentConfigs(map[string]string{"RESTARTING.x": "1"}, protocol.StagePreDownload); got != nil {
		t.Errorf("only other stages' keys: got %v, want nil", got)
	}
}

// Every goal names the stage's type, DEFAULT when the stage sets none, so that agents
// export COMPUTE_ENV_TYPE to the scripts.
func TestGoalsCarryTheStageType(t *testing.T) {
	for _, tc := range []struct{ set, want string }{{"", core.StageTypeDefault}, {core.StageTypeProduction, core.StageTypeProduction}} {
		ps := goalStage(func(ps *core.PingStage) { ps.Stage.StageType = tc.set })
		got := core.DecideGoal(core.GoalInput{HostID: "i-1", State: core.PingState{Now: goalNow, Stages: []core.PingStage{ps}}})
		if got.Response.DeployGoal == nil || got.Response.DeployGoal.StageType != tc.want {
			t.Errorf("stage type %q: goal %+v, want stageType %s", tc.set, got.Response.DeployGoal, tc.want)
		}
	}
}
