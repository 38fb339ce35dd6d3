// Package workflows holds the deterministic workflow code: the stage workflow that owns a
// stage's deploys and the deploy workflow that rolls one build out. No I/O happens here;
// everything outside is reached through activities.
package workflows

import (
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// Update, query and signal names, shared by the workflows and their callers.
const (
	// StartDeployUpdate asks a stage workflow to start a deploy.
	StartDeployUpdate = "start-deploy"
	// StageStatusQuery returns a stage workflow's StageStatus.
	StageStatusQuery = "stage-status"
	// DeployProgressQuery returns a deploy workflow's DeployProgress.
	DeployProgressQuery = "progress"
	// AbortDeploySignal tells a deploy workflow to stop, carrying an AbortRequest.
	AbortDeploySignal = "abort"
	// AlertSignal tells a deploy workflow that an alert posted to its stage acts on it,
	// carrying an AlertRequest; runs before deployGuardsChange leave it in the channel.
	AlertSignal = "alert"
	// DeployFinishedSignal tells a stage workflow that one of its deploys ended.
	DeployFinishedSignal = "deploy-finished"
)

// StageWorkflowID is the id of the one stage workflow of env/stage.
func StageWorkflowID(env, stage string) string { return "stage/" + env + "/" + stage }

// DeployWorkflowID is the id of the deploy workflow of a deploy.
func DeployWorkflowID(deployID string) string { return "deploy/" + deployID }

// DeployIDFromWorkflowID returns the deploy id in a deploy workflow id, or "".
func DeployIDFromWorkflowID(id string) string {
	if rest, ok := strings.CutPrefix(id, "deploy/"); ok {
		return rest
	}
	return ""
}

// StageInput starts (or continues) a stage workflow.
type StageInput struct {
	StageID   string
	EnvName   string
	StageName string
	// State carries the workflow's state across continue-as-new.
	State *StageState `json:",omitempty"`
}

// StageState is what a stage workflow remembers.
type StageState struct {
	// Current is the deploy in progress, nil when the stage is idle.
	Current *DeployRef `json:",omitempty"`
	// Started counts deploys started by this stage workflow over all its runs.
	Started int
	// Queued is the REGULAR request waiting for a HOTFIX or ROLLBACK to reach a verdict.
	Queued *QueuedRequest `json:",omitempty"`
}

// QueuedRequest is a queued start-deploy request as the stage workflow keeps it.
type QueuedRequest struct {
	// Request is the request as it arrived; it is launched as is once released.
	Request StartDeployRequest
	// QueuedAt is when the stage workflow queued it.
	QueuedAt time.Time
	// WaitingFor names the deploy it waits for, "<TYPE> deploy <id> (RUNNING)".
	WaitingFor string
}

// QueuedDeploy is the stage's queued deploy as StageStatus shows it.
type QueuedDeploy struct {
	DeployID   string
	BuildID    string
	Type       string
	Operator   string
	QueuedAt   time.Time
	WaitingFor string
}

// DeployRef identifies a running deploy.
type DeployRef struct {
	DeployID   string
	WorkflowID string
	BuildID    string
	Type       string
	Operator   string
	// State is the deploy's state as the stage workflow last heard it: RUNNING until the
	// deploy signals a verdict ("" for deploys started before the stage tracked it).
	State string `json:",omitempty"`
	// Paused is whether an operator paused the deploy and has not resumed it.
	Paused bool `json:",omitempty"`
	// Aborting is set once an abort was sent, so that a second abort is refused.
	Aborting bool `json:",omitempty"`
	// QualifyChecked is set once the stage looked at the SUCCEEDING deploy's acceptance.
	QualifyChecked bool `json:",omitempty"`
	// Qualifying is set while its qualification workflow runs.
	Qualifying bool `json:",omitempty"`
	// Acceptance is its acceptance status as the stage last recorded it.
	Acceptance string `json:",omitempty"`
	// Qualified is set once it qualified: SUCCEEDING without acceptance, or ACCEPTED.
	Qualified bool `json:",omitempty"`
	// OnFailure is the stage's failure policy as read when the deploy succeeded, which a
	// REJECTED verdict applies.
	OnFailure string `json:",omitempty"`
}

// StartDeployRequest is the payload of StartDeployUpdate.
type StartDeployRequest struct {
	// DeployID is chosen by the caller and doubles as the update id, so a retried request
	// starts one deploy, not two.
	DeployID    string
	BuildID     string
	BuildName   string
	Type        string
	Description string
	Operator    string
	// Force lets a REGULAR deploy replace a running HOTFIX or ROLLBACK deploy.
	Force bool `json:",omitempty"`
	// Queue asks a REGULAR deploy that a running HOTFIX or ROLLBACK blocks to wait for it
	// instead of being refused; it then starts once that deploy reaches a verdict or ends.
	Queue bool `json:",omitempty"`
	// AliasDeployID is, for a ROLLBACK, the deploy whose build it returns to; hosts still
	// serving it count as done (core.OnAlias).
	AliasDeployID string `json:",omitempty"`
}

// StartDeployResult answers StartDeployUpdate.
type StartDeployResult struct {
	DeployID   string
	WorkflowID string
	// Superseded is the deploy this one replaced, if one was running.
	Superseded string `json:",omitempty"`
	// Queued is set when the request was queued rather than started: no deploy row and
	// no workflow exist until it starts, with DeployID, and WorkflowID is empty.
	Queued bool `json:",omitempty"`
	// WaitingFor names the deploy a queued request waits for.
	WaitingFor string `json:",omitempty"`
	// Replaced is the queued request this queued one replaced in the stage's one slot.
	Replaced string `json:",omitempty"`
	// Cleared is the queued request this started deploy dropped from the queue.
	Cleared string `json:",omitempty"`
}

// StageStatus answers StageStatusQuery.
type StageStatus struct {
	EnvName   string
	StageName string
	Current   *DeployRef `json:",omitempty"`
	Started   int
	// Paused is whether the current deploy is paused.
	Paused bool
	// Queued is the deploy waiting for the current one to reach a verdict, if any.
	Queued *QueuedDeploy `json:",omitempty"`
}

// AbortRequest is the payload of AbortDeploySignal.
type AbortRequest struct {
	Reason   string
	Operator string
}

// DeployFinished is the payload of DeployFinishedSignal.
type DeployFinished struct {
	DeployID string
	State    string
}

// DeployInput starts a deploy workflow.
type DeployInput struct {
	DeployID        string
	StageID         string
	EnvName         string
	StageName       string
	BuildID         string
	Type            string
	Operator        string
	StageWorkflowID string
	// Rollout carries the rollout's state across continue-as-new; nil on the first run.
	Rollout *RolloutState `json:",omitempty"`
}

// RolloutState is what a deploy workflow remembers between runs: counts only, never hosts.
type RolloutState struct {
	Settings activities.RolloutSettings
	Counts   core.WaveCounts
	// Wave numbers the admissions that let hosts in, over all runs.
	Wave   int
	State  string
	Reason string
	// Paused carries an operator's pause across continue-as-new.
	Paused bool `json:",omitempty"`
	// FailedByGuard says an alarm or an alert put the deploy FAILING (deployGuardsChange).
	FailedByGuard bool `json:",omitempty"`
}

// DeployProgress answers DeployProgressQuery.
type DeployProgress struct {
	DeployID   string
	State      string
	Reason     string
	TotalHosts int
	// Wave is the number of the last wave that admitted hosts, 0 before the first.
	Wave int
	// Window is how many hosts may deploy at once.
	Window    int
	Succeeded int
	Failed    int
	// InFlight counts hosts deploying now, Stuck among them those making no progress.
	InFlight  int
	Stuck     int
	Remaining int
	// Paused is whether an operator paused the deploy: it admits no new hosts until resumed.
	Paused bool `json:",omitempty"`
	// BakingUntil is when the bake between waves ends, while the deploy bakes.
	BakingUntil *time.Time `json:",omitempty"`
}

// TaskQueue is the task queue every teletraan workflow and activity runs on.
const TaskQueue = "teletraan"

// AlertRequest is the payload of AlertSignal: which alert, why, and what the stage's
// firing policy (or the alert's own actions) does.
type AlertRequest struct {
	Alert  string
	Detail string
	// Action is core.FiringPause, core.FiringFail or core.FiringRollback.
	Action string
}
