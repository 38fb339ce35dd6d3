package activities

import (
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// The inputs and outputs of the activities. They are plain values that the workflows
// build and read, and they are what the history records, so a field's name and JSON form
// must not change once a deploy may have recorded it.

// SetDeployPausedInput is the input of SetDeployPaused.
type SetDeployPausedInput struct {
	DeployID string
	Paused   bool
	// Reason replaces the deploy's state reason, so that readers see who paused it.
	Reason string
}

// CreateDeployInput is the input of CreateDeploy: insert the deploy row (once, by
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
	// AliasDeployID is a rollback's alias: the deploy whose build it returns to.
	AliasDeployID string `json:",omitempty"`
}

// CreateDeployResult is the output of CreateDeploy.
type CreateDeployResult struct {
	// FromBuildID is the build the stage ran before this deploy, "" for a first deploy.
	FromBuildID string
}

// SetDeployStateInput is the input of SetDeployState.
type SetDeployStateInput struct {
	DeployID string
	State    string
	Reason   string
}

// StartRolloutInput is the input of StartRollout.
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
	// Guarded says the stage's alarms hold this deploy (it has alarms, and the deploy is
	// not a ROLLBACK the stage lets through); the watches read the alarms themselves, so
	// that no alarm credential is in a workflow's history.
	Guarded bool `json:",omitempty"`
	// GuardIntervalSeconds is how often the watches check (recorded for the progress).
	GuardIntervalSeconds int `json:",omitempty"`
	// HasWebhooks says the stage has webhooks to tell about the deploy's events.
	HasWebhooks bool `json:",omitempty"`
}

// Alarm is a stage's alarm as the rollout settings carry it.
type Alarm struct {
	Name string
	URL  string
}

// StartRolloutResult is the output of StartRollout.
type StartRolloutResult struct {
	Settings RolloutSettings
	// Total is the number of hosts in the stage's capacity now.
	Total int
}

// WaveInput is the input of AdmitWave and AwaitWave.
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
	// Watch makes AwaitWave only keep the counts of a deploy that has its verdict current,
	// returning after MaxWait or once the verdict is no longer UntilNot (when set), as
	// core.WatchNeedsDecision says.
	Watch    bool   `json:",omitempty"`
	UntilNot string `json:",omitempty"`
}

// AdmitWaveResult is the output of AdmitWave.
type AdmitWaveResult struct {
	// Admitted is how many hosts this call admitted.
	Admitted int
	// Counts are the deploy's counts after the admission.
	Counts core.WaveCounts
}

// CheckAlarmsInput is the input of CheckAlarms.
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

// CheckAlarmsResult is the output of CheckAlarms: one status per alarm, in the
// order of the input.
type CheckAlarmsResult struct {
	Alarms []AlarmStatus
}

// FindRollbackTargetInput is the input of FindRollbackTarget: the stage and its
// failing deploy, whose build the target must differ from.
type FindRollbackTargetInput struct {
	StageID   string
	EnvName   string
	StageName string
	DeployID  string
}

// FindRollbackTargetResult is the output of FindRollbackTarget; both fields are
// empty when no earlier deploy of another build succeeded.
type FindRollbackTargetResult struct {
	DeployID string
	BuildID  string
}

// AwaitDeployClosedInput is the input of AwaitDeployClosed.
type AwaitDeployClosedInput struct {
	DeployID   string
	WorkflowID string
}

// AwaitDeployClosedResult is the output of AwaitDeployClosed.
type AwaitDeployClosedResult struct {
	// Closed is always true when the activity returns without an error.
	Closed bool
	// Failure is how the workflow ended when it did not complete ("" when it completed):
	// terminated, failed, timed out or cancelled, as the server reports it.
	Failure string `json:",omitempty"`
}

// SetDeployBakingInput is the input of SetDeployBaking.
type SetDeployBakingInput struct {
	DeployID string
	// Until is when the bake ends; nil when it ended.
	Until *time.Time `json:",omitempty"`
	// Reason replaces the deploy's state reason when set.
	Reason string `json:",omitempty"`
}

// RecordSystemChangeInput is the input of RecordSystemChange: a change a workflow made by
// itself, for the audit trail.
type RecordSystemChangeInput struct {
	// Key makes the entry once: a retried activity with the same key adds none. Use the
	// workflow's own ids, such as "alert:<deploy>:<alarm>".
	Key string
	// Change names it, such as "alert-rollback"; it is the entry's route.
	Change string
	// Operator is the workflow's operator string (e.g. "promotion:hello/prod"), kept in the detail.
	Operator           string
	EnvName, StageName string
	Detail             string
}

// Where an alarm check ran.
const (
	GuardBeforeWave = "before-wave"
	GuardInFlight   = "in-flight"
	GuardBake       = "bake"
)

// WatchAlarmsInput is the input of WatchAlarms.
type WatchAlarmsInput struct {
	DeployID, StageID, EnvName, StageName, BuildID string
	// Source is GuardBeforeWave, GuardInFlight or GuardBake.
	Source string
	// UntilClear returns as soon as every alarm is clear (before a wave); otherwise the
	// watch runs until an alarm acts or the workflow cancels it.
	UntilClear bool
}

// WatchAlarmsResult is the output of WatchAlarms: clear, or the check that acted.
type WatchAlarmsResult struct {
	Acted bool `json:",omitempty"`
	// Action is the stage's firing policy when the check acted (core.FiringPause, ...).
	Action    string   `json:",omitempty"`
	Alarm     string   `json:",omitempty"`
	Kind      string   `json:",omitempty"`
	Outcome   string   `json:",omitempty"`
	Value     *float64 `json:",omitempty"`
	Threshold string   `json:",omitempty"`
	Detail    string   `json:",omitempty"`
	// Checks is how many rounds of checks the watch made.
	Checks int
}

// EmitWebhookInput is one event of one deploy, for every webhook of its stage that wants
// it: the input of the webhook workflow and of WebhookTargets.
type EmitWebhookInput struct {
	DeployID string
	Event    string
	// State is the deploy's state when the event happened.
	State string `json:",omitempty"`
	// Message says what happened in a sentence ("FAILING: alarm p99 is firing: ...").
	Message string `json:",omitempty"`
}

// WebhookTargetsResult is the output of WebhookTargets: the hooks that want the event.
type WebhookTargetsResult struct {
	Hooks []WebhookTarget
	// BackoffMillis is the first wait between attempts (doubling).
	BackoffMillis int64
}

// WebhookTarget is one hook to deliver to, by name (its URL and secrets stay in the store).
type WebhookTarget struct {
	Name           string
	TimeoutSeconds int
}

// DeliverWebhookInput is the input of DeliverWebhook: one event to one hook.
type DeliverWebhookInput struct {
	EmitWebhookInput
	Hook string
	// DeliveryID is the same for every attempt: X-Teletraan-Delivery.
	DeliveryID string
	// MaxAttempts is the retry policy's, so that the last attempt says it gave up.
	MaxAttempts int
}

// RecordAlarmCheckInput is the input of RecordAlarmCheck: an acting check of a watch.
type RecordAlarmCheckInput struct {
	DeployID string
	// CheckID is unique within the deploy and the same on a retry.
	CheckID string
	Source  string
	Result  WatchAlarmsResult
}
