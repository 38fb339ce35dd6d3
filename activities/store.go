package activities

import (
	"context"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Store is what the activities need from the app database: only these methods, so that
// the activities state their reach into the store and a test can stand in for it without
// a database. *schema.Store implements it.
type Store interface {
	// GetStageByID loads a stage's config by id.
	GetStageByID(ctx context.Context, id string) (*schema.Stage, error)
	// GetDeploy loads a deploy by id.
	GetDeploy(ctx context.Context, id string) (*schema.Deploy, error)
	// ListDeploys lists a stage's deploys, newest first, as f filters them.
	ListDeploys(ctx context.Context, env, stage string, f schema.DeployFilter) ([]schema.Deploy, error)
	// RollbackTarget picks the deploy a rollback of a stage from current returns to (nil: none).
	RollbackTarget(ctx context.Context, env, stage string, current *schema.Deploy) (*schema.Deploy, error)
	// GetBuild loads a build by id.
	GetBuild(ctx context.Context, id string) (*schema.Build, error)
	// SetAcceptance records a deploy's acceptance status, why, its evidence and who decided.
	SetAcceptance(ctx context.Context, id, status, reason string, evidence []core.AcceptanceEvidence, by string) (*schema.Deploy, error)
	// CreateDeploy inserts a deploy once by id and makes it its stage's current deploy.
	CreateDeploy(ctx context.Context, d *schema.Deploy) error
	// SetDeployState records a deploy's state and the reason for it.
	SetDeployState(ctx context.Context, id, state, reason string) (*schema.Deploy, error)
	// SetDeployBaking records when a deploy's bake ends (nil: it stopped baking).
	SetDeployBaking(ctx context.Context, id string, until *time.Time, reason string) error
	// SetDeployPaused records that an operator paused or resumed a deploy.
	SetDeployPaused(ctx context.Context, id string, paused bool, reason string) error
	// SetDeployCounts records a deploy's total, succeeded and failed host counts.
	SetDeployCounts(ctx context.Context, id string, total, succeeded, failed int) error
	// SetDeployWaveCounts records all of a deploy's host counts after a wave poll.
	SetDeployWaveCounts(ctx context.Context, id string, c schema.DeployCounts) error
	// ListStageHosts lists every host of a stage: in its capacity, its groups, or with an agent row.
	ListStageHosts(ctx context.Context, env, stage string) ([]schema.StageHost, error)
	// RolloutHosts lists a stage's hosts with only what a rollout reads, for the every-second poll.
	RolloutHosts(ctx context.Context, stageID string) ([]schema.StageHost, error)
	// StageChangeMark fingerprints the stage's agent rows written since a moment, cheaply:
	// AwaitWave reads the stage again when it changes.
	StageChangeMark(ctx context.Context, stageID string, since time.Time) (schema.StageChangeMark, error)
	// AdmitHosts admits hosts of a stage to a deploy.
	AdmitHosts(ctx context.Context, stageID, deployID string, hostIDs []string) error
	// DeployAdmissions lists the hosts of a stage that a deploy admitted and no newer one has.
	DeployAdmissions(ctx context.Context, stageID, deployID string) ([]schema.HostAdmission, error)
	// RecordWorkflowAudit appends a workflow's change to the audit trail once per request id.
	RecordWorkflowAudit(ctx context.Context, e *schema.AuditEntry) error
	// RecordHostOutcomes records hosts' outcomes on a deploy and returns how many changed.
	RecordHostOutcomes(ctx context.Context, deployID string, outcomes []schema.HostOutcome) (int, error)
	// RecordAlarmCheck stores an alarm check that acted on a deploy, once by its id.
	RecordAlarmCheck(ctx context.Context, c *schema.AlarmCheck) error
	// RecordWebhookDelivery stores one attempt to deliver a webhook event, once by its id.
	RecordWebhookDelivery(ctx context.Context, d *schema.WebhookDelivery) error
}
