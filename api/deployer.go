package api

import (
	"context"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// StartDeployRequest asks the workflow layer to deploy a build to a stage.
type StartDeployRequest struct {
	// Stage is the stage to deploy to, as loaded by the API.
	Stage *schema.Stage
	// Build is the build to deploy; its name matches Stage.BuildName.
	Build *schema.Build
	// Type is the deploy type: core.TypeRegular for POST .../deploys.
	Type string
	// Description is the operator's note on why, at most 1024 characters.
	Description string
	// Operator is the authenticated token's name.
	Operator string
	// Force lets a REGULAR deploy replace a running HOTFIX or ROLLBACK deploy, which the
	// stage workflow otherwise refuses, and any deploy by hand roll out a build tagged BAD,
	// which the API otherwise refuses.
	Force bool
	// Queue asks a REGULAR deploy that a running HOTFIX or ROLLBACK blocks to wait in the
	// stage's queue instead of being refused.
	Queue bool
	// AliasDeployID is, for a rollback, the deploy whose build it returns to: hosts still
	// serving that deploy count as done and run no script (Teletraan's rollback alias).
	AliasDeployID string
}

// StartDeployResult is what StartDeploy answers: the started deploy, or the queued request.
type StartDeployResult struct {
	// Deploy is the started deploy; nil when the request was queued.
	Deploy *schema.Deploy
	// Queued is the queued request; nil when the deploy started.
	Queued *QueuedDeploy
	// ClearedQueue is the queued deploy the started one dropped from the stage's queue.
	ClearedQueue string
}

// QueuedDeploy is a deploy waiting in a stage's queue: it has an id, but no deploy row
// and no workflow until the deploy it waits for reaches a verdict or ends.
type QueuedDeploy struct {
	Queued     bool      `json:"queued"`
	DeployID   string    `json:"deployId"`
	BuildID    string    `json:"buildId,omitempty"`
	Type       string    `json:"type,omitempty"`
	Operator   string    `json:"operator,omitempty"`
	QueuedAt   time.Time `json:"queuedAt,omitzero"`
	WaitingFor string    `json:"waitingFor"`
	// Replaced is the older queued deploy this one replaced in the stage's one slot.
	Replaced string `json:"replaced,omitempty"`
}

// DeployActionRequest asks the workflow layer to pause, resume or abort a stage's current
// deploy.
type DeployActionRequest struct {
	Stage       *schema.Stage
	Description string
	Operator    string
}

// AcceptanceRequest is an external verdict on a deploy's acceptance.
type AcceptanceRequest struct {
	Deploy *schema.Deploy
	// Status is core.AcceptanceAccepted or core.AcceptanceRejected.
	Status   string
	Reason   string
	Operator string
}

// Deployer is what the API needs from the workflow layer. It is an interface so that the
// handlers can be tested against a real store without a Temporal server.
type Deployer interface {
	// StartDeploy returns the created deploy, or a *core.Error: the code of the stage workflow's refusal (ECONFLICT, EINVALID; the message says why), EUNAVAILABLE when Temporal cannot be reached.
	// With req.Queue a REGULAR deploy that a HOTFIX or ROLLBACK blocks is queued instead: the result's Queued is set and Deploy is nil.
	StartDeploy(ctx context.Context, req StartDeployRequest) (*StartDeployResult, error)
	// QueuedDeploy returns the stage's queued deploy, or ENOTFOUND "nothing is queued".
	QueuedDeploy(ctx context.Context, st *schema.Stage) (*QueuedDeploy, error)
	// PauseDeploy pauses the stage's current deploy: it admits no new hosts until resumed. It returns the deploy, or ECONFLICT with the stage workflow's reason (nothing to pause, paused already).
	PauseDeploy(ctx context.Context, req DeployActionRequest) (*schema.Deploy, error)
	// ResumeDeploy resumes the stage's paused current deploy, or returns ECONFLICT with the reason it cannot.
	ResumeDeploy(ctx context.Context, req DeployActionRequest) (*schema.Deploy, error)
	// CommandWorkers counts the workers that run acceptance commands (started with
	// --allow-acceptance-commands), so that a stage cannot save a command acceptance no
	// worker would run.
	CommandWorkers(ctx context.Context) (int, error)
	// GiveAcceptance gives a deploy's qualification its external verdict; ECONFLICT with the
	// reason when it waits for none (no qualification running, no external verdict in the
	// stage's acceptance, a verdict given already).
	GiveAcceptance(ctx context.Context, req AcceptanceRequest) error
	// AbortDeploy aborts the stage's current deploy, which ends ABORTED "aborted by <operator>", or returns ECONFLICT with the reason it cannot.
	AbortDeploy(ctx context.Context, req DeployActionRequest) (*schema.Deploy, error)
	// AlertDeploy tells deploy d's workflow that an alert acts on it by req.Action; EUNAVAILABLE when Temporal cannot be reached.
	AlertDeploy(ctx context.Context, d *schema.Deploy, req AlertAction) error
}

// AlertAction is an alert acting on a deploy: its name, why, and the firing policy
// (core.FiringPause, core.FiringFail, core.FiringRollback) it applies.
type AlertAction struct {
	Alert, Detail, Action string
}
