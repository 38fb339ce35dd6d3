package api

import (
	"encoding/json"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// The API's resources as they travel on the wire. They are declared here, not borrowed
// from the store's models, so that a column rename or a tag edit in schema cannot change
// what clients receive or what the OpenAPI document promises; mapping.go converts between
// the two in one place. Field order follows the wire so that answers stay byte-identical.

// Stage is an environment's stage: its identity, its config and what the server maintains.
type Stage struct {
	ID        string `json:"id"`
	EnvName   string `json:"envName"`
	StageName string `json:"stageName"`
	StageConfig
	CurrentDeployID string    `json:"currentDeployId"`
	LastOperator    string    `json:"lastOperator"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// StageConfig is what an operator may change on a stage; it is embedded in Stage so that
// the document keeps the config's schema in one component that the requests reuse.
type StageConfig struct {
	Description         string            `json:"description"`
	BuildName           string            `json:"buildName"`
	Branch              string            `json:"branch"`
	MaxParallel         int               `json:"maxParallel"`
	MaxParallelPct      int               `json:"maxParallelPct"`
	SuccessThreshold    int               `json:"successThreshold"`
	StuckTimeoutSeconds int               `json:"stuckTimeoutSeconds"`
	BakeTimeSeconds     int               `json:"bakeTimeSeconds"`
	ScriptVariables     map[string]string `json:"scriptVariables"`
	SecretVariables     []string          `json:"secretVariables"`
	AgentConfigs        map[string]string `json:"agentConfigs"`
	OnFailure           string            `json:"onFailure"`
	StageType           string            `json:"stageType"`
	Alarms              []Alarm           `json:"alarms"`
	AlarmPolicy         AlarmPolicy       `json:"alarmPolicy"`
	Webhooks            []Webhook         `json:"webhooks"`
	// Acceptance is what a SUCCEEDING deploy must pass to qualify; absent: none.
	Acceptance *core.Acceptance `json:"acceptance,omitempty"`
}

// Alarm is one of a stage's alarm checks, in responses and in stage requests alike: an
// HTTP alarm has a url; a PROMETHEUS alarm a query, and an op and threshold unless any
// series fires.
type Alarm struct {
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	URL       string  `json:"url,omitempty"`
	Query     string  `json:"query,omitempty"`
	Op        string  `json:"op,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
}

// AlarmPolicy is how a stage's alarms and alerts act on its deploys; its secrets show as
// "(secret)".
type AlarmPolicy struct {
	OnFiring           string           `json:"onFiring"`
	IntervalSeconds    int              `json:"intervalSeconds"`
	FailureLimit       int              `json:"failureLimit"`
	OnInconclusive     string           `json:"onInconclusive"`
	HoldRollbacks      bool             `json:"holdRollbacks"`
	Prometheus         PrometheusSource `json:"prometheus"`
	AlertSecret        string           `json:"alertSecret"`
	AlertMaxAgeSeconds int              `json:"alertMaxAgeSeconds"`
}

// PrometheusSource is the Prometheus a stage's PROMETHEUS alarms ask.
type PrometheusSource struct {
	URL         string `json:"url"`
	BearerToken string `json:"bearerToken"`
	Username    string `json:"username"`
	Password    string `json:"password"`
}

// Webhook is an endpoint told about a stage's deploy events; its secret and header values
// show as "(secret)".
type Webhook struct {
	Name           string            `json:"name"`
	URL            string            `json:"url"`
	Events         []string          `json:"events"`
	Format         string            `json:"format"`
	Headers        map[string]string `json:"headers"`
	Secret         string            `json:"secret"`
	TimeoutSeconds int               `json:"timeoutSeconds"`
}

// Capacity is the hosts and groups a stage deploys to: the answer of GET and the body of
// PUT .../capacity, which replaces both lists.
type Capacity struct {
	Hosts  []string `json:"hosts"`
	Groups []string `json:"groups"`
}

// Build is a published build.
type Build struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	ArtifactURL string     `json:"artifactUrl"`
	Checksum    string     `json:"checksum"`
	Repo        string     `json:"repo"`
	Branch      string     `json:"branch"`
	Commit      string     `json:"commit"`
	CommitShort string     `json:"commitShort"`
	CommitInfo  string     `json:"commitInfo"`
	CommitDate  *time.Time `json:"commitDate,omitempty"`
	PublishInfo string     `json:"publishInfo"`
	Publisher   string     `json:"publisher"`
	PublishedAt time.Time  `json:"publishedAt"`
	// Bad says a BAD tag speaks for the build (Tag): deploying it by hand needs force,
	// and promotion and automatic rollback skip it.
	Bad bool `json:"bad"`
	// Tag is the tag that speaks for the build, its own or an earlier build's of its branch.
	Tag *EffectiveBuildTag `json:"tag,omitempty"`
}

// Deploy is one deploy of a build to a stage, with the counts its workflow last recorded.
type Deploy struct {
	ID               string     `json:"id"`
	StageID          string     `json:"stageId"`
	EnvName          string     `json:"envName"`
	StageName        string     `json:"stageName"`
	BuildID          string     `json:"buildId"`
	FromBuildID      string     `json:"fromBuildId"`
	FromDeployID     string     `json:"fromDeployId"`
	AliasDeployID    string     `json:"aliasDeployId"`
	Type             string     `json:"type"`
	State            string     `json:"state"`
	StateReason      string     `json:"stateReason"`
	AcceptanceStatus string     `json:"acceptanceStatus"`
	Operator         string     `json:"operator"`
	Description      string     `json:"description"`
	WorkflowID       string     `json:"workflowId"`
	Total            int        `json:"total"`
	Succeeded        int        `json:"succeeded"`
	Failed           int        `json:"failed"`
	InFlight         int        `json:"inFlight"`
	Remaining        int        `json:"remaining"`
	Paused           bool       `json:"paused"`
	CreatedAt        time.Time  `json:"createdAt"`
	UpdatedAt        time.Time  `json:"updatedAt"`
	SucceededAt      *time.Time `json:"succeededAt,omitempty"`
	EndedAt          *time.Time `json:"endedAt,omitempty"`
	// BakingUntil is when the bake between waves ends, while the deploy bakes (phase BAKING).
	BakingUntil *time.Time `json:"bakingUntil,omitempty"`
	// FailureReason is why the deploy last went FAILING, kept after it was superseded.
	FailureReason string `json:"failureReason,omitempty"`
	// Acceptance is where the deploy's qualification stands, with its evidence.
	Acceptance DeployAcceptance `json:"acceptance"`
}

// AlarmCheck is an alarm check or an alert that acted on a deploy.
type AlarmCheck struct {
	ID        string    `json:"id"`
	Alarm     string    `json:"alarm"`
	Kind      string    `json:"kind"`
	Source    string    `json:"source"`
	Outcome   string    `json:"outcome"`
	Value     *float64  `json:"value,omitempty"`
	Threshold string    `json:"threshold"`
	Reason    string    `json:"reason"`
	Action    string    `json:"action"`
	CheckedAt time.Time `json:"checkedAt"`
}

// WebhookDelivery is one attempt to deliver one event of a deploy to one webhook.
type WebhookDelivery struct {
	ID          string    `json:"id"`
	Hook        string    `json:"hook"`
	Event       string    `json:"event"`
	Attempt     int       `json:"attempt"`
	StatusCode  int       `json:"statusCode"`
	LatencyMS   int64     `json:"latencyMs"`
	Error       string    `json:"error,omitempty"`
	Delivered   bool      `json:"delivered"`
	AttemptedAt time.Time `json:"attemptedAt"`
}

// DeployAcceptance is a deploy's acceptance: its status, in words, and what it rests on.
type DeployAcceptance struct {
	// Status is acceptanceStatus: PENDING_DEPLOY (nothing ran), PENDING_ACCEPT, ACCEPTED,
	// REJECTED or SUPERSEDED.
	Status string `json:"status"`
	// Summary says it in words, such as "no acceptance configured".
	Summary   string                    `json:"summary"`
	Reason    string                    `json:"reason,omitempty"`
	Evidence  []core.AcceptanceEvidence `json:"evidence"`
	DecidedBy string                    `json:"decidedBy,omitempty"`
	DecidedAt *time.Time                `json:"decidedAt,omitempty"`
}

// DeployReason is one state a deploy was put in and why; a deploy keeps them all, in order.
type DeployReason struct {
	State     string    `json:"state"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"createdAt"`
}

// StageHost is a host of a stage's capacity, or one still reporting the stage, with its
// agent's state there; hosts named in the capacity that never pinged have no id yet.
type StageHost struct {
	HostName   string     `json:"hostName"`
	HostID     string     `json:"hostId,omitempty"`
	IP         string     `json:"ip,omitempty"`
	Groups     []string   `json:"groups"`
	LastPingAt *time.Time `json:"lastPingAt,omitempty"`
	MemberBy   string     `json:"memberBy"`
	// Phase is where the host stands against the stage's current deploy (core.PhaseOf): the
	// board paints it and never decides it itself.
	Phase string `json:"phase"`
	// Actions are the host actions that apply to the host now (core.HostActionsFor): the
	// board offers these and no others.
	Actions   []string    `json:"actions"`
	Agent     *Agent      `json:"agent,omitempty"`
	LastError *AgentError `json:"lastError,omitempty"`
}

// Agent is a host's progress in a stage as its agent last reported it.
type Agent struct {
	HostID         string    `json:"hostId"`
	StageID        string    `json:"stageId"`
	HostName       string    `json:"hostName"`
	DeployID       string    `json:"deployId"`
	DeployStage    string    `json:"deployStage"`
	Status         string    `json:"status"`
	State          string    `json:"state"`
	FailCount      int       `json:"failCount"`
	ErrorCode      int       `json:"errorCode"`
	FirstDeploy    bool      `json:"firstDeploy"`
	StartedAt      time.Time `json:"startedAt"`
	StageStartedAt time.Time `json:"stageStartedAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// AgentError is the last error a host reported in a stage, kept after the agent recovers
// so that on-call can still read why it failed.
type AgentError struct {
	HostID       string    `json:"hostId"`
	StageID      string    `json:"stageId"`
	HostName     string    `json:"hostName"`
	ErrorMessage string    `json:"errorMessage"`
	UpdatedAt    time.Time `json:"updatedAt"`
	// Stale marks an error from an attempt the host has since got past: it serves a build
	// (core.IsStaleError).
	Stale bool `json:"stale"`
}

// ConfigChange is one entry of a stage's config and capacity history.
type ConfigChange struct {
	ID        int64           `json:"id"`
	StageID   string          `json:"stageId"`
	Type      string          `json:"type"`
	Operator  string          `json:"operator"`
	CreatedAt time.Time       `json:"createdAt"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}
