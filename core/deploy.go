package core

// Deploy types, as in Teletraan.
const (
	TypeRegular  = "REGULAR"
	TypeHotfix   = "HOTFIX"
	TypeRollback = "ROLLBACK"
	TypeRestart  = "RESTART"
)

// Deploy states. RUNNING, FAILING and SUCCEEDING are active; SUCCEEDED and ABORTED are final.
const (
	StateRunning    = "RUNNING"
	StateFailing    = "FAILING"
	StateSucceeding = "SUCCEEDING"
	StateSucceeded  = "SUCCEEDED"
	StateAborted    = "ABORTED"
)

// Acceptance statuses of a deploy, as in Teletraan. A deploy starts PENDING_DEPLOY; on a
// stage with acceptance its qualification sets PENDING_ACCEPT once it reaches SUCCEEDING,
// then ACCEPTED or REJECTED, or SUPERSEDED when a newer deploy cancels it.
const (
	AcceptancePendingDeploy = "PENDING_DEPLOY"
	AcceptanceOutstanding   = "OUTSTANDING"
	AcceptancePendingAccept = "PENDING_ACCEPT"
	AcceptanceAccepted      = "ACCEPTED"
	AcceptanceRejected      = "REJECTED"
	AcceptanceTerminated    = "TERMINATED"
	// AcceptanceSuperseded is the verdict of a qualification that a newer deploy on the
	// stage cancelled.
	AcceptanceSuperseded = "SUPERSEDED"
)

// Failure policies of a stage (its config's onFailure): what a FAILING deploy does.
const (
	// FailureWait leaves a FAILING deploy for a person to abort, roll back or redeploy.
	FailureWait = "WAIT"
	// FailureRollback makes a FAILING deploy roll the stage back to its last good build.
	FailureRollback = "ROLLBACK"
)

// Stage types, as in Teletraan (EnvType): the agent exports a goal's stageType to the
// lifecycle scripts as COMPUTE_ENV_TYPE. DEFAULT is what a stage that sets none has.
const (
	StageTypeDefault    = "DEFAULT"
	StageTypeProduction = "PRODUCTION"
	StageTypeControl    = "CONTROL"
	StageTypeCanary     = "CANARY"
	StageTypeLatest     = "LATEST"
	StageTypeDev        = "DEV"
	StageTypeStaging    = "STAGING"
)

// StageTypes lists the stage types a stage may have, DEFAULT first.
func StageTypes() []string {
	return []string{StageTypeDefault, StageTypeProduction, StageTypeControl, StageTypeCanary, StageTypeLatest, StageTypeDev, StageTypeStaging}
}

// IsFinalState reports whether a deploy in state can no longer change.
func IsFinalState(state string) bool { return state == StateSucceeded || state == StateAborted }

// ValidDeployType reports whether t is a known deploy type.
func ValidDeployType(t string) bool {
	switch t {
	case TypeRegular, TypeHotfix, TypeRollback, TypeRestart:
		return true
	}
	return false
}

// ValidDeployState reports whether s is a known deploy state.
func ValidDeployState(s string) bool {
	switch s {
	case StateRunning, StateFailing, StateSucceeding, StateSucceeded, StateAborted:
		return true
	}
	return false
}
