package workflows

import "github.com/teletraan-on-temporal/teletraan/core"

// Activity names. The activities package implements them as methods of the same names;
// workflows call them by name so that this package never links the store.
const (
	CreateDeployActivity   = "CreateDeploy"
	SetDeployStateActivity = "SetDeployState"
	// SetDeployPausedActivity records on the deploy row that an operator paused or resumed it.
	SetDeployPausedActivity = "SetDeployPaused"
)

// SetDeployPausedInput is the input of SetDeployPausedActivity.
type SetDeployPausedInput struct {
	DeployID string
	Paused   bool
	// Reason replaces the deploy's state reason, so that readers see who paused it.
	Reason string
}

// CreateDeployInput is the input of CreateDeployActivity: insert the deploy row (once, by
// id) and make it the stage's current deploy.
type CreateDeployInput struct {
	DeployID    string
	StageID     string
	EnvName     string
	StageName   string
	BuildID     string
	Type        string
	Description string
	Operator    string
	WorkflowID  string
}

// CreateDeployResult is the output of CreateDeployActivity.
type CreateDeployResult struct {
	// FromBuildID is the build the stage ran before this deploy, "" for a first deploy.
	FromBuildID string
}

// SetDeployStateInput is the input of SetDeployStateActivity.
type SetDeployStateInput struct {
	DeployID string
	State    string
	Reason   string
}

// Rolling-deploy activities.
const (
	// StartRolloutActivity loads the stage's rollout settings and records the deploy's total.
	StartRolloutActivity = "StartRollout"
	// AdmitWaveActivity admits the next hosts of the stage to the deploy.
	AdmitWaveActivity = "AdmitWave"
	// AwaitWaveActivity polls the stage's hosts until the workflow has something to decide.
	AwaitWaveActivity = "AwaitWave"
)

// StartRolloutInput is the input of StartRolloutActivity.
type StartRolloutInput struct {
	DeployID  string
	StageID   string
	EnvName   string
	StageName string
}

// RolloutSettings are the stage's rollout knobs, read once when a deploy starts so that a
// config change does not alter a deploy half-way.
type RolloutSettings struct {
	MaxParallel         int
	MaxParallelPct      int
	SuccessThreshold    int
	StuckTimeoutSeconds int
	BakeTimeSeconds     int
	// OnFailure is the stage's failure policy, FailureWait or FailureRollback ("" for
	// deploys started before the policy existed, which means WAIT).
	OnFailure string `json:",omitempty"`
	// Alarms are checked before every wave; none for deploys started before alarms existed.
	Alarms []Alarm `json:",omitempty"`
}

// Failure policies; they equal the schema package's constants (the activities' tests
// check that).
const (
	// FailureWait leaves a FAILING deploy for a person.
	FailureWait = "WAIT"
	// FailureRollback makes a FAILING deploy ask its stage workflow to roll back.
	FailureRollback = "ROLLBACK"
)

// Alarm is a stage's alarm as the rollout settings carry it.
type Alarm struct {
	Name string
	URL  string
}

// StartRolloutResult is the output of StartRolloutActivity.
type StartRolloutResult struct {
	Settings RolloutSettings
	// Total is the number of hosts in the stage's capacity now.
	Total int
}

// WaveInput is the input of AdmitWaveActivity and AwaitWaveActivity.
type WaveInput struct {
	DeployID  string
	StageID   string
	EnvName   string
	StageName string
	// Window is how many hosts may be in flight at once.
	Window              int
	SuccessThreshold    int
	StuckTimeoutSeconds int
	// Drain makes AwaitWave wait for the whole wave rather than for one free slot, so that a
	// bake time follows complete waves.
	Drain bool
}

// AdmitWaveResult is the output of AdmitWaveActivity.
type AdmitWaveResult struct {
	// Admitted is how many hosts this call admitted.
	Admitted int
	// Counts are the deploy's counts after the admission.
	Counts core.WaveCounts
}

// Activities of the failure policy and the alarms.
const (
	// CheckAlarmsActivity GETs each of a deploy's alarms and reports which are firing.
	CheckAlarmsActivity = "CheckAlarms"
	// FindRollbackTargetActivity finds the deploy an automatic rollback returns to.
	FindRollbackTargetActivity = "FindRollbackTarget"
)

// CheckAlarmsInput is the input of CheckAlarmsActivity.
type CheckAlarmsInput struct {
	DeployID string
	Alarms   []Alarm
}

// AlarmStatus is one alarm's answer.
type AlarmStatus struct {
	Name   string
	Firing bool
	// Detail says why the alarm counts as firing ("HTTP 503", "unreachable: ...").
	Detail string `json:",omitempty"`
}

// CheckAlarmsResult is the output of CheckAlarmsActivity: one status per alarm, in the
// order of the input.
type CheckAlarmsResult struct {
	Alarms []AlarmStatus
}

// FindRollbackTargetInput is the input of FindRollbackTargetActivity: the stage and its
// failing deploy, whose build the target must differ from.
type FindRollbackTargetInput struct {
	StageID   string
	EnvName   string
	StageName string
	DeployID  string
}

// FindRollbackTargetResult is the output of FindRollbackTargetActivity; both fields are
// empty when no earlier deploy of another build succeeded.
type FindRollbackTargetResult struct {
	DeployID string
	BuildID  string
}
