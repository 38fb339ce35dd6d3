package api

import (
	"context"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// StartDeployRequest asks the workflow layer to deploy a build to a stage.
type StartDeployRequest struct {
	// Stage is the stage to deploy to, as loaded by the API.
	Stage *schema.Stage
	// Build is the build to deploy; its name matches Stage.BuildName.
	Build *schema.Build
	// Type is the deploy type: schema.DeployRegular for POST .../deploys.
	Type string
	// Description is the operator's note on why, at most 1024 characters.
	Description string
	// Operator is the authenticated token's name.
	Operator string
	// Force lets a REGULAR deploy replace a running HOTFIX or ROLLBACK deploy, which the
	// stage workflow otherwise refuses.
	Force bool
}

// DeployActionRequest asks the workflow layer to pause, resume or abort a stage's current
// deploy.
type DeployActionRequest struct {
	Stage       *schema.Stage
	Description string
	Operator    string
}

// Deployer is what the API needs from the workflow layer. It is an interface so that the
// handlers can be tested against a real store without a Temporal server.
type Deployer interface {
	// StartDeploy returns the created deploy, or a *schema.Error: ECONFLICT when the stage workflow rejects the request (message says why), EUNAVAILABLE when Temporal cannot be reached.
	StartDeploy(ctx context.Context, req StartDeployRequest) (*schema.Deploy, error)
	// PauseDeploy pauses the stage's current deploy: it admits no new hosts until resumed. It returns the deploy, or ECONFLICT with the stage workflow's reason (nothing to pause, paused already).
	PauseDeploy(ctx context.Context, req DeployActionRequest) (*schema.Deploy, error)
	// ResumeDeploy resumes the stage's paused current deploy, or returns ECONFLICT with the reason it cannot.
	ResumeDeploy(ctx context.Context, req DeployActionRequest) (*schema.Deploy, error)
	// AbortDeploy aborts the stage's current deploy, which ends ABORTED "aborted by <operator>", or returns ECONFLICT with the reason it cannot.
	AbortDeploy(ctx context.Context, req DeployActionRequest) (*schema.Deploy, error)
}
