package workflows

// Operator actions on a stage's current deploy. Each arrives at the stage workflow as an
// Update whose validator answers at once (accepted, or rejected with a reason and a core
// error code the API shows as its status, 409 for a conflict); the stage workflow then tells the deploy workflow by signal, because a workflow
// cannot send an Update to another workflow.
const (
	// PauseDeployUpdate asks a stage workflow to pause its current deploy.
	PauseDeployUpdate = "pause-deploy"
	// ResumeDeployUpdate asks a stage workflow to resume its paused current deploy.
	ResumeDeployUpdate = "resume-deploy"
	// AbortDeployUpdate asks a stage workflow to abort its current deploy.
	AbortDeployUpdate = "abort-deploy"
	// SetPausedSignal pauses or resumes a deploy workflow, carrying a PauseRequest.
	SetPausedSignal = "set-paused"
	// DeployStateSignal tells a stage workflow that its deploy reached a verdict
	// (SUCCEEDING or FAILING), carrying a DeployFinished, so that its validators know
	// whether the current deploy still runs.
	DeployStateSignal = "deploy-state"
	// AutoRollbackSignal asks a stage workflow to roll back its FAILING current deploy, as
	// the stage's failure policy ROLLBACK says, carrying an AutoRollbackRequest.
	AutoRollbackSignal = "auto-rollback"
)

// AutoRollbackRequest is the payload of AutoRollbackSignal.
type AutoRollbackRequest struct {
	// DeployID is the FAILING deploy to roll back.
	DeployID string
	// Reason is why it is FAILING, kept when no rollback target exists.
	Reason string
}

// AutoRollbackOperator is the operator recorded on automatic rollback deploys.
const AutoRollbackOperator = "teletraan (onFailure ROLLBACK)"

// DeployActionRequest is the payload of PauseDeployUpdate, ResumeDeployUpdate and
// AbortDeployUpdate.
type DeployActionRequest struct {
	Operator    string
	Description string `json:",omitempty"`
}

// DeployActionResult answers the deploy action updates.
type DeployActionResult struct {
	DeployID   string
	WorkflowID string
	// Paused is whether the deploy is paused after the action.
	Paused bool
	// State is the deploy's state as the stage workflow last heard it; after an abort it is
	// ABORTED once the deploy confirmed it ended.
	State string `json:",omitempty"`
}

// PauseRequest is the payload of SetPausedSignal.
type PauseRequest struct {
	Paused   bool
	Operator string
}

// AbortReason is the reason recorded on a deploy that operator aborted.
func AbortReason(operator string) string { return "aborted by " + operator }

// PausedReason is the reason shown on a deploy that operator paused.
func PausedReason(operator string) string {
	return "paused by " + operator + ": no new hosts are admitted; hosts already deploying finish; resume to continue"
}

// ResumedReason is the reason shown on a deploy that operator resumed.
func ResumedReason(operator string) string { return "resumed by " + operator }
