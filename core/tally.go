package core

import (
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// MemberRemoved is StageHost.MemberBy of a host that still holds an agent row for a stage
// it no longer belongs to.
const MemberRemoved = "removed"

// StageHost is one host of a stage: identity, why it belongs to the stage, and its deploy
// status there if it has one. The store's one membership read assembles it for every
// reader (ping aside, which reads one host's stages): rollouts, the board and the API.
type StageHost struct {
	HostName   string      `json:"hostName"`
	HostID     string      `json:"hostId,omitempty"`
	IP         string      `json:"ip,omitempty"`
	Groups     []string    `json:"groups"`
	LastPingAt *time.Time  `json:"lastPingAt,omitempty"`
	MemberBy   string      `json:"memberBy"` // "host", "group:<name>", or "removed" for a host still reporting a stage it left
	Agent      *Agent      `json:"agent,omitempty"`
	LastError  *AgentError `json:"lastError,omitempty"`
}

// HostOutcome is how one host of a deploy stands, as the deploy's activities last saw it.
type HostOutcome struct {
	HostID       string
	HostName     string
	Outcome      string
	ErrorMessage string
	// Joined marks a host the deploy never admitted: it joined the stage and installs at
	// once, so it may have no row yet.
	Joined bool
}

// DeployTally is a deploy's counts, the hosts waiting for an admission (by host id, in
// the order of the hosts given) and how each host taking part in the deploy stands.
type DeployTally struct {
	Counts   WaveCounts
	Waiting  []string
	Outcomes []HostOutcome
}

// TallyDeploy sorts a stage's hosts (sorted by name) into the counts of deploy deployID,
// which started at deployStart and, for a rollback, has alias as its alias ("" for none); admittedAt holds the admission time of the hosts the
// deploy admitted, by host id. It follows the ping's decision (DecideGoal): a host on this
// deploy at SERVING_BUILD succeeded, and so did one still serving the alias (OnAlias); one PAUSED_BY_SYSTEM on it failed; one an operator
// holds (IsHeldByOperator) counts only in the total; a host idle at SERVING_BUILD of
// another deploy waits for an admission unless it has one; every other host (new to the
// stage, mid-deploy, reset, or named but never seen) is in flight, since the deploy
// started, since its admission, or since its deploy stage last moved. An in-flight host
// that has not moved for stuck is stuck: Stuck is a part of InFlight, never added to it.
// Hosts that finished, failed or are in flight, and have pinged (so have an id), get an
// outcome; a host that left the stage is not counted.
//
// Example: hosts a (SERVING_BUILD on the deploy), b (never pinged, deploy started an hour
// ago, stuck timeout 10 min) → Total 2, Succeeded 1, InFlight 1, Stuck 1; only a has an
// outcome, since b has no id to record it under.
func TallyDeploy(hosts []StageHost, deployID, alias string, deployStart time.Time, admittedAt map[string]time.Time, now time.Time, stuck time.Duration) DeployTally {
	var out DeployTally
	for _, h := range hosts {
		if h.MemberBy == MemberRemoved {
			continue
		}
		out.Counts.Total++
		ag := h.Agent
		admitted := !admittedAt[h.HostID].IsZero()
		var since time.Time
		switch {
		case IsHeldByOperator(ag):
			continue
		case ag != nil && ag.DeployID == deployID && ag.DeployStage == protocol.StageServingBuild,
			OnAlias(alias, ag, nil):
			out.Counts.Succeeded++
			out.outcome(h, !admitted, OutcomeSucceeded, "")
			continue
		case ag != nil && ag.DeployID == deployID && ag.State == AgentPausedBySystem:
			out.Counts.Failed++
			out.outcome(h, !admitted, OutcomeFailed, failureText(h))
			continue
		case ag != nil && ag.DeployID == deployID:
			since = ag.StageStartedAt
		case h.HostID != "" && admitted:
			since = admittedAt[h.HostID]
		case ag != nil && !ag.FirstDeploy && ag.State != AgentReset && ag.DeployStage == protocol.StageServingBuild:
			out.Counts.Remaining++
			out.Waiting = append(out.Waiting, h.HostID)
			continue
		default:
			since = deployStart
		}
		out.Counts.InFlight++
		if stuck > 0 && now.Sub(since) >= stuck {
			out.Counts.Stuck++
			out.outcome(h, !admitted, OutcomeStuck, stuckText(h, deployID, admitted, since, stuck))
		} else {
			out.outcome(h, !admitted, OutcomeInFlight, "")
		}
	}
	return out
}

// outcome notes how host h stands in the deploy; a host that never pinged has no id to
// record it under and gets a row once it pings.
func (t *DeployTally) outcome(h StageHost, joined bool, outcome, message string) {
	if h.HostID == "" {
		return
	}
	t.Outcomes = append(t.Outcomes, HostOutcome{HostID: h.HostID, HostName: h.HostName, Outcome: outcome, ErrorMessage: message, Joined: joined})
}

// failureText is what an on-call engineer reads first about a failed host: the failing
// script's output when the agent sent it, else the step and status it failed with.
func failureText(h StageHost) string {
	if h.LastError != nil && h.LastError.ErrorMessage != "" {
		return h.LastError.ErrorMessage
	}
	return fmt.Sprintf("paused by the system at %s with status %s; the agent sent no error text", h.Agent.DeployStage, h.Agent.Status)
}

// stuckText says where a stuck host stopped. It names the moment progress stopped, not
// how long ago, so that it stays the same from poll to poll and is written once.
func stuckText(h StageHost, deployID string, admitted bool, since time.Time, stuck time.Duration) string {
	at := since.UTC().Format("2006-01-02 15:04:05 UTC")
	switch {
	case h.Agent != nil && h.Agent.DeployID == deployID:
		return fmt.Sprintf("no progress in %s since %s (stuck timeout %s)", h.Agent.DeployStage, at, stuck)
	case admitted:
		return fmt.Sprintf("admitted at %s and not started within the stuck timeout (%s)", at, stuck)
	default:
		return fmt.Sprintf("not started since the deploy began at %s (stuck timeout %s)", at, stuck)
	}
}
