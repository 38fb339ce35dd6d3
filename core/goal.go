package core

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// GoalInput is everything DecideGoal reads about one ping.
type GoalInput struct {
	HostID   string
	HostName string // defaults to HostID
	// Reports are the agent's statuses, at most one per stage (envId).
	Reports []protocol.PingReport
	// State is the host's stages, deploys, agent rows and admissions as the store read them.
	State PingState
}

// GoalDecision is the answer to a ping and the agent rows that answer implies.
type GoalDecision struct {
	Response protocol.PingResponse
	Writes   PingWrites
	// MemberStageIDs are the stages the host serves; a held ping wakes when one of them
	// gets a new current deploy.
	MemberStageIDs []string
	// Waiting reports that the host has an install to start but waits for its deploy to
	// admit it; the response is then NOOP.
	Waiting bool
}

// candidateKind orders goals: finishing a deploy the host is in beats starting a new one.
type candidateKind int

const (
	stopService    candidateKind = iota // an operator stops the service: before anything else
	continueDeploy                      // same deploy: next stage, retry or restart
	startInstall                        // a deploy the host is not on yet
)

// candidate is a goal the ping could answer with and the row it implies.
type candidate struct {
	kind    candidateKind
	envName string
	goal    protocol.DeployGoal
	opCode  string
	row     *Agent // written when this goal is the answer
	// fallback, when set, is written instead when another stage's goal is the answer:
	// the row as the report describes it, without the goal's move.
	fallback *Agent
}

// DecideGoal applies Teletraan's ping decision (§2.4 of the reference) to one ping: per
// stage it keeps the host where it is, moves it to its next deploy stage, retries, pauses
// it on a fatal failure, starts the stage's current deploy, or tells it to forget a stage it
// left. It answers with one goal at most: an install that need not wait, else a DELETE,
// else NOOP. It is pure; the rows it returns are only those that change.
func DecideGoal(in GoalInput) GoalDecision {
	now := in.State.Now
	hostName := cmp.Or(in.HostName, in.HostID)
	reports := make(map[string]*protocol.PingReport, len(in.Reports))
	for i := range in.Reports {
		reports[in.Reports[i].EnvID] = &in.Reports[i]
	}
	stages := make(map[string]*PingStage, len(in.State.Stages))
	var order []string
	for i := range in.State.Stages {
		ps := &in.State.Stages[i]
		stages[ps.Stage.ID] = ps
		order = append(order, ps.Stage.ID)
	}
	// Reports on stages that do not exist (any more) come last, in a stable order.
	var unknown []string
	for id := range reports {
		if stages[id] == nil {
			unknown = append(unknown, id)
		}
	}
	slices.Sort(unknown)
	order = append(order, unknown...)

	var (
		out        GoalDecision
		candidates []candidate
		deletes    []candidate
		rows       []Agent
		stops      []protocol.StopWork
	)
	for _, id := range order {
		ps, rep := stages[id], reports[id]
		switch {
		case ps != nil && ps.Membership != NotMember:
			out.MemberStageIDs = append(out.MemberStageIDs, id)
			c, row, waiting := decideMember(ps, rep, in.HostID, hostName, now)
			if c != nil {
				candidates = append(candidates, *c)
			}
			if stop := stopWork(ps, rep); stop != nil {
				stops = append(stops, *stop)
			}
			if row != nil {
				rows = append(rows, *row)
			}
			out.Waiting = out.Waiting || waiting
		case rep != nil:
			d := deleteCandidate(ps, rep)
			if ps != nil && ps.Agent != nil {
				row := *ps.Agent
				row.State = AgentDelete
				d.row, d.fallback = &row, &row
			}
			deletes = append(deletes, d)
		case ps != nil && ps.Agent != nil:
			// Neither a member nor reported: the agent has dropped the stage after a DELETE.
			out.Writes.Forget = append(out.Writes.Forget, id)
		}
		if rep != nil && rep.ErrorCode != 0 && ps != nil && reportsNews(ps.Agent, rep) {
			out.Writes.Errors = append(out.Writes.Errors, AgentError{HostID: in.HostID, StageID: id,
				HostName: hostName, ErrorMessage: RedactText(rep.ErrorMessage, ps.Stage.Secrets), UpdatedAt: now})
		}
	}

	// Continuing deploys first, then new installs, each by environment name; the stable sort
	// keeps the stage order of the state for ties.
	slices.SortStableFunc(candidates, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.envName, b.envName))
	})
	var chosen *candidate
	switch {
	case len(candidates) > 0:
		chosen = &candidates[0]
	case len(deletes) > 0:
		chosen = &deletes[0]
	}
	for _, list := range [][]candidate{candidates, deletes} {
		for i := range list {
			c := &list[i]
			switch {
			case c == chosen && c.row != nil:
				rows = append(rows, *c.row)
			case c.fallback != nil:
				rows = append(rows, *c.fallback)
			}
		}
	}
	out.Writes.Agents = changedRows(rows, stages, now)
	if chosen == nil {
		out.Response = protocol.PingResponse{OpCode: protocol.OpNoop}
		if len(stops) > 0 {
			out.Response.StopWork = &stops[0]
		}
		return out
	}
	goal := chosen.goal
	out.Response = protocol.PingResponse{OpCode: chosen.opCode, DeployGoal: &goal}
	return out
}

// decideMember decides one stage the host serves. It returns the goal candidate, if any,
// the row to write when no candidate carries it, and whether the host waits for admission.
func decideMember(ps *PingStage, rep *protocol.PingReport, hostID, hostName string, now time.Time) (*candidate, *Agent, bool) {
	ag, dep := ps.Agent, ps.Deploy
	if dep == nil {
		return nil, nil, false // 0.1: nothing to deploy yet
	}
	if dep.State == StateAborted && (rep == nil || rep.DeployID != dep.ID ||
		(rep.DeployStage != protocol.StageServingBuild && !protocol.IsFatalStatus(rep.AgentStatus))) {
		// An aborted deploy starts nowhere and stops where it runs (stopWork says so);
		// hosts that finished or failed it are recorded as for any deploy, below, if the
		// service gave them a goal for it.
		if rep != nil && rep.DeployID == dep.ID && MayReport(ag, dep.ID) {
			row := reportRow(ag, rep, ps, hostID, hostName, now)
			return nil, &row, false
		}
		return nil, nil, false
	}
	if ag != nil && ag.State == AgentStop {
		c, row := decideStop(ps, ag, rep, hostName, now)
		return c, row, false
	}
	if IsHeldByOperator(ag) || (ag != nil && ag.State == AgentPausedInDeploy) {
		// 0.3: an operator excluded the host. A host paused at its step gets no goal either,
		// and its row stays as it is until a person resumes it.
		return nil, nil, false
	}
	first := ag == nil || ag.FirstDeploy
	fresh := func(first bool) Agent {
		return Agent{HostID: hostID, StageID: ps.Stage.ID, HostName: hostName, DeployID: dep.ID,
			DeployStage: protocol.StagePreDownload, Status: protocol.StatusUnknown, State: AgentNormal,
			FirstDeploy: first, StartedAt: now, StageStartedAt: now, UpdatedAt: now}
	}
	install := func(kind candidateKind) *candidate {
		row := fresh(first)
		return &candidate{kind: kind, envName: ps.Stage.EnvName, opCode: opCodeFor(dep.Type),
			goal: buildGoal(ps, protocol.StagePreDownload, first), row: &row}
	}
	reset := ag != nil && ag.State == AgentReset

	if OnAlias(dep.Alias, ag, rep) {
		// Teletraan's alias swap: the host serves the rollback's build already, so it is
		// recorded as serving the rollback and runs nothing, RESTARTING included.
		row := Agent{HostID: hostID, StageID: ps.Stage.ID, HostName: hostName, FirstDeploy: false, StartedAt: now}
		if ag != nil {
			row = *ag
			row.HostID, row.HostName = hostID, hostName
		}
		if row.DeployID != dep.ID {
			row.StageStartedAt = now
		}
		row.DeployID, row.DeployStage, row.Status, row.State = dep.ID, protocol.StageServingBuild, protocol.StatusSucceeded, AgentNormal
		row.FailCount, row.ErrorCode, row.FirstDeploy, row.UpdatedAt = 0, 0, false, now
		return nil, &row, false
	}

	// A report of the current deploy counts only if the service gave the host a goal for it.
	if rep != nil && rep.DeployID == dep.ID && MayReport(ag, dep.ID) {
		reported := reportRow(ag, rep, ps, hostID, hostName, now)
		switch {
		case reset || rep.AgentState == protocol.AgentStateResetBySystem:
			c := install(continueDeploy)
			c.fallback = &reported
			return c, nil, false
		case rep.DeployStage == protocol.StageServingBuild:
			reported.State = AgentNormal
			reported.FirstDeploy = false
			return nil, &reported, false
		case rep.AgentStatus == protocol.StatusSucceeded:
			next, ok := protocol.NextStage(rep.DeployStage)
			if !ok {
				next = protocol.StagePreDownload // succeeded at a stage off the deploy path: start over
			}
			row := reported
			row.DeployStage, row.Status, row.State = next, protocol.StatusUnknown, AgentNormal
			row.FailCount, row.ErrorCode, row.StageStartedAt = 0, 0, now
			if next == protocol.StagePreDownload {
				row.StartedAt = now
			}
			return &candidate{kind: continueDeploy, envName: ps.Stage.EnvName, opCode: opCodeFor(dep.Type),
				goal: buildGoal(ps, next, row.FirstDeploy), row: &row, fallback: &reported}, nil, false
		case protocol.IsFatalStatus(rep.AgentStatus):
			reported.State = AgentPausedBySystem
			reported.FirstDeploy = false
			return nil, &reported, false
		case ag != nil && ag.State == AgentPausedBySystem:
			return nil, &reported, false
		default:
			// Still running, or failed and retrying: the agent runs the same stage again.
			stage := rep.DeployStage
			if !slices.Contains(protocol.DeployStages(), stage) {
				stage = protocol.StagePreDownload
			}
			row := reported
			row.DeployStage = stage
			return &candidate{kind: continueDeploy, envName: ps.Stage.EnvName, opCode: opCodeFor(dep.Type),
				goal: buildGoal(ps, stage, row.FirstDeploy), row: &row, fallback: &reported}, nil, false
		}
	}

	// No report of the current deploy: the host must install it from the start.
	if ag != nil && ag.DeployID == dep.ID && !reset {
		if ag.State == AgentPausedBySystem {
			return nil, nil, false // failed on this deploy; only an operator's reset retries it
		}
		// The deploy already let this host in (it holds a row for it) but the agent lost its
		// status: start over without asking again.
		return install(continueDeploy), nil, false
	}
	idle := ag != nil && ag.DeployStage == protocol.StageServingBuild
	if rep != nil {
		idle = rep.DeployStage == protocol.StageServingBuild
	}
	if !first && !reset && idle && ps.AdmittedDeployID != dep.ID {
		return nil, nil, true // serving an older build: wait until the deploy admits it
	}
	return install(startInstall), nil, false
}

// decideStop is Teletraan's stop path (0.4) for a host an operator stopped (state STOP):
// the agent runs the build's STOPPING script, opcode STOP, until it succeeds; the host then
// rests at STOPPED and gets no goal. A fatal failure gives up (PAUSED_BY_SYSTEM). The goal
// names the deploy the agent last reported, whose build holds the script. A host must be
// resumed (state NORMAL) to deploy again, from PRE_DOWNLOAD.
func decideStop(ps *PingStage, ag *Agent, rep *protocol.PingReport, hostName string, now time.Time) (*candidate, *Agent) {
	row := *ag
	row.HostName = hostName
	if rep != nil {
		row = reportRow(ag, rep, ps, ag.HostID, hostName, now)
		row.State = AgentStop
	}
	switch {
	case row.DeployStage == protocol.StageStopped:
		return nil, &row
	case rep != nil && rep.DeployStage == protocol.StageStopping && rep.AgentStatus == protocol.StatusSucceeded:
		row.DeployStage, row.StageStartedAt = protocol.StageStopped, now
		return nil, &row
	case rep != nil && rep.DeployStage == protocol.StageStopping && protocol.IsFatalStatus(rep.AgentStatus):
		row.State = AgentPausedBySystem
		return nil, &row
	}
	goalRow := row
	if goalRow.DeployStage != protocol.StageStopping {
		goalRow.DeployStage, goalRow.Status, goalRow.StageStartedAt = protocol.StageStopping, protocol.StatusUnknown, now
	}
	goal := protocol.DeployGoal{DeployID: row.DeployID, DeployType: protocol.OpStop, EnvID: ps.Stage.ID, EnvName: ps.Stage.EnvName,
		StageName: ps.Stage.StageName, StageType: cmp.Or(ps.Stage.StageType, StageTypeDefault), DeployStage: protocol.StageStopping,
		AgentConfigs: StageAgentConfigs(ps.Stage.AgentConfigs, protocol.StageStopping)}
	return &candidate{kind: stopService, envName: ps.Stage.EnvName, opCode: protocol.OpStop, goal: goal, row: &goalRow, fallback: &row}, nil
}

// OnAlias reports whether a host serves alias, the deploy a rollback returns to, and so
// runs the rollback's build already: its report (or, without one, its agent row) is of that
// deploy at SERVING_BUILD and neither failed nor reset by an operator. The ping (DecideGoal)
// and the tally (TallyDeploy) both count such a host as done without running a script.
func OnAlias(alias string, ag *Agent, rep *protocol.PingReport) bool {
	if alias == "" || (ag != nil && ag.State == AgentReset) {
		return false
	}
	if rep != nil {
		return rep.DeployID == alias && rep.DeployStage == protocol.StageServingBuild &&
			!protocol.IsFatalStatus(rep.AgentStatus) && rep.AgentState != protocol.AgentStateResetBySystem
	}
	return ag != nil && ag.DeployID == alias && ag.DeployStage == protocol.StageServingBuild && ag.State == AgentNormal
}

// reportRow is the host's row in a stage as its report of the current deploy describes it.
func reportRow(ag *Agent, rep *protocol.PingReport, ps *PingStage, hostID, hostName string, now time.Time) Agent {
	row := Agent{HostID: hostID, StageID: ps.Stage.ID, HostName: hostName, State: AgentNormal,
		FirstDeploy: true, StartedAt: now, StageStartedAt: now}
	if ag != nil {
		row = *ag
		row.HostID, row.HostName = hostID, hostName
		if ag.DeployStage != rep.DeployStage || ag.DeployID != rep.DeployID {
			row.StageStartedAt = now
		}
	}
	row.DeployID, row.DeployStage, row.Status = rep.DeployID, rep.DeployStage, rep.AgentStatus
	row.FailCount, row.ErrorCode = rep.FailCount, rep.ErrorCode
	row.UpdatedAt = now
	return row
}

// reportsNews reports whether rep says something the stored row does not, so that a host
// repeating the same failure on every ping does not rewrite its error tail each time.
func reportsNews(ag *Agent, rep *protocol.PingReport) bool {
	return ag == nil || ag.DeployID != rep.DeployID || ag.DeployStage != rep.DeployStage ||
		ag.Status != rep.AgentStatus || ag.FailCount != rep.FailCount || ag.ErrorCode != rep.ErrorCode
}

// deleteCandidate tells the agent to forget a stage the host no longer serves.
func deleteCandidate(ps *PingStage, rep *protocol.PingReport) candidate {
	goal := protocol.DeployGoal{DeployID: rep.DeployID, EnvID: rep.EnvID, DeployStage: rep.DeployStage}
	if ps != nil {
		goal.EnvName, goal.StageName = ps.Stage.EnvName, ps.Stage.StageName
	}
	return candidate{envName: goal.EnvName, goal: goal, opCode: protocol.OpDelete}
}

// changedRows fills in the host id and update time of rows and keeps those that differ
// from what the store holds, so that a steady ping writes nothing.
func changedRows(rows []Agent, stages map[string]*PingStage, now time.Time) []Agent {
	var out []Agent
	for _, r := range rows {
		ps := stages[r.StageID]
		if ps != nil && ps.Agent != nil {
			old := *ps.Agent
			old.UpdatedAt = r.UpdatedAt
			if old == r {
				continue
			}
		}
		r.UpdatedAt = now
		out = append(out, r)
	}
	return out
}

// opCodeFor maps a deploy type to the opcode agents expect for it.
func opCodeFor(deployType string) string {
	switch deployType {
	case TypeRollback:
		return protocol.OpRollback
	case TypeRestart:
		return protocol.OpRestart
	default:
		return protocol.OpDeploy
	}
}

// buildGoal is the goal to run deployStage of the stage's current deploy. The build
// travels only with DOWNLOADING and the script variables only with PRE_DOWNLOAD, as in
// Teletraan, because those are the only stages that use them.
func buildGoal(ps *PingStage, deployStage string, first bool) protocol.DeployGoal {
	g := protocol.DeployGoal{
		DeployID:     ps.Deploy.ID,
		DeployType:   ps.Deploy.Type,
		EnvID:        ps.Stage.ID,
		EnvName:      ps.Stage.EnvName,
		StageName:    ps.Stage.StageName,
		StageType:    cmp.Or(ps.Stage.StageType, StageTypeDefault),
		DeployStage:  deployStage,
		AgentConfigs: StageAgentConfigs(ps.Stage.AgentConfigs, deployStage),
		FirstDeploy:  first,
		// As in Teletraan: the agent sees which deploy a rollback stands in for.
		DeployAlias: ps.Deploy.Alias,
	}
	if deployStage == protocol.StagePreDownload {
		// Non-nil even when empty: an empty map tells the agent to delete its local copy.
		g.ScriptVariables = make(map[string]string, len(ps.Stage.ScriptVariables))
		for k, v := range ps.Stage.ScriptVariables {
			g.ScriptVariables[k] = v
		}
	}
	if deployStage == protocol.StageDownloading && ps.Build != nil {
		g.Build = agentBuild(ps.Build)
	}
	return g
}

// stagePrefixes are the deploy stages an agent config key may be prefixed with.
func stagePrefixes() []string {
	return append(protocol.DeployStages(), protocol.StageStopping, protocol.StageStopped)
}

// StageAgentConfigs returns the agent configs that apply at deployStage: unprefixed keys
// always, "<deployStage>.key" as "key" (overriding an unprefixed "key"), and keys prefixed
// by any other stage not at all. Nil when none apply.
func StageAgentConfigs(configs map[string]string, deployStage string) map[string]string {
	out := map[string]string{}
	prefixes := stagePrefixes()
	var staged []string
	for k, v := range configs {
		prefix, _, ok := strings.Cut(k, ".")
		switch {
		case !ok || !slices.Contains(prefixes, prefix):
			out[k] = v
		case prefix == deployStage:
			staged = append(staged, k)
		}
	}
	// Applied after the unprefixed keys so that the stage's value wins whatever the map order.
	for _, k := range staged {
		out[strings.TrimPrefix(k, deployStage+".")] = configs[k]
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// working reports whether rep describes a stage in progress or about to be retried: what
// a host would go on doing unless told to stop.
func working(rep *protocol.PingReport) bool {
	return rep.DeployStage != protocol.StageServingBuild && rep.AgentStatus != protocol.StatusAbortedByService &&
		!protocol.IsFatalStatus(rep.AgentStatus)
}

// stopWork is the explicit "stop what you are doing" for a host still working on a
// stage's deploy that the service no longer wants it to work on: the deploy was
// aborted, or an operator paused or excluded the host. It is nil otherwise, including
// for a host that already reported the stop (ABORTED_BY_SERVICE).
func stopWork(ps *PingStage, rep *protocol.PingReport) *protocol.StopWork {
	if rep == nil || !working(rep) {
		return nil
	}
	stop := &protocol.StopWork{EnvID: ps.Stage.ID, EnvName: ps.Stage.EnvName, DeployID: rep.DeployID}
	switch {
	case ps.Deploy != nil && ps.Deploy.ID == rep.DeployID && ps.Deploy.State == StateAborted:
		stop.Reason = "deploy " + rep.DeployID + " was aborted"
	case IsHeldByOperator(ps.Agent):
		stop.Reason = "an operator took the host out of the deploy (" + ps.Agent.State + ")"
	default:
		return nil
	}
	return stop
}
