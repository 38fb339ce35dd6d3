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
}

// Deployer is what the API needs from the workflow layer. It is an interface so that the
// handlers can be tested against a real store without a Temporal server.
type Deployer interface {
	// StartDeploy returns the created deploy, or a *schema.Error: ECONFLICT when the stage workflow rejects the request (message says why), EUNAVAILABLE when Temporal cannot be reached.
	StartDeploy(ctx context.Context, req StartDeployRequest) (*schema.Deploy, error)
}
