// Package protocol is the agent⇄service contract: the JSON of Teletraan's
// POST /v1/system/ping, field for field, so that Teletraan's own deploy-agent can talk to
// this service and this service's agent to it. It has no dependencies beyond the standard
// library because the agent binary must stay small.
package protocol

// PingPath is where agents send their pings.
const PingPath = "/v1/system/ping"

// Host identity headers, our extension: an agent that can keep a credential says so with
// HostBindingHeader ("1"), is issued one in PingResponse.HostSecret, and presents it on every
// ping after in HostSecretHeader; a host bound to its credential cannot be spoken for by
// anyone else holding the fleet's token.
const (
	HostBindingHeader = "X-Teletraan-Host-Binding"
	HostSecretHeader  = "X-Teletraan-Host-Secret"
)

// WaitParam is the query parameter of our long-poll extension: the number of seconds the
// server may hold a ping that has nothing to do (NOOP) until a goal for the host appears.
// Teletraan agents never send it and get an immediate answer.
const WaitParam = "wait"

// MaxWaitSeconds bounds WaitParam; agents' HTTP timeouts must exceed it.
const MaxWaitSeconds = 60

// Deploy stages, in the order every deploy walks them (STOPPING → STOPPED is the stop path).
const (
	StageUnknown      = "UNKNOWN"
	StagePreDownload  = "PRE_DOWNLOAD"
	StageDownloading  = "DOWNLOADING"
	StagePostDownload = "POST_DOWNLOAD"
	StageStaging      = "STAGING"
	StagePreRestart   = "PRE_RESTART"
	StageRestarting   = "RESTARTING"
	StagePostRestart  = "POST_RESTART"
	StageServingBuild = "SERVING_BUILD"
	StageStopping     = "STOPPING"
	StageStopped      = "STOPPED"
)

// DeployStages lists the stages of a deploy in order, from PRE_DOWNLOAD to SERVING_BUILD.
func DeployStages() []string {
	return []string{StagePreDownload, StageDownloading, StagePostDownload, StageStaging,
		StagePreRestart, StageRestarting, StagePostRestart, StageServingBuild}
}

// NextStage returns the stage after s on the deploy path, and false when s is the last
// (SERVING_BUILD) or not on the path.
func NextStage(s string) (string, bool) {
	stages := DeployStages()
	for i, st := range stages[:len(stages)-1] {
		if st == s {
			return stages[i+1], true
		}
	}
	return "", false
}

// Agent statuses: the result of the last stage, as the agent reports it.
const (
	StatusSucceeded            = "SUCCEEDED"
	StatusUnknown              = "UNKNOWN"
	StatusAgentFailed          = "AGENT_FAILED"
	StatusRetryableAgentFailed = "RETRYABLE_AGENT_FAILED"
	StatusScriptFailed         = "SCRIPT_FAILED"
	StatusAbortedByService     = "ABORTED_BY_SERVICE"
	StatusScriptTimeout        = "SCRIPT_TIMEOUT"
	StatusTooManyRetry         = "TOO_MANY_RETRY"
	StatusRuntimeMismatch      = "RUNTIME_MISMATCH"
)

// IsFatalStatus reports whether status ends the host's deploy (Teletraan pauses the host:
// PAUSED_BY_SYSTEM) rather than asking for a retry.
func IsFatalStatus(status string) bool {
	switch status {
	case StatusScriptTimeout, StatusTooManyRetry, StatusAgentFailed, StatusRuntimeMismatch:
		return true
	}
	return false
}

// Opcodes of a ping response.
const (
	OpNoop      = "NOOP"
	OpDeploy    = "DEPLOY"
	OpRestart   = "RESTART"
	OpDelete    = "DELETE"
	OpWait      = "WAIT"
	OpRollback  = "ROLLBACK"
	OpStop      = "STOP"
	OpUpdate    = "UPDATE"
	OpTerminate = "TERMINATE"
)

// AgentStateResetBySystem is the only agentState value an agent reports: it asks the
// server to redeploy this host from the start.
const AgentStateResetBySystem = "RESET_BY_SYSTEM"

// PingRequest is what an agent sends (Teletraan's PingRequestBean).
type PingRequest struct {
	HostID           string       `json:"hostId"`
	HostName         string       `json:"hostName,omitempty"`
	HostIP           string       `json:"hostIp,omitempty"`
	AutoscalingGroup string       `json:"autoscalingGroup,omitempty"`
	AvailabilityZone string       `json:"availabilityZone,omitempty"`
	EC2Tags          string       `json:"ec2Tags,omitempty"`
	AgentVersion     string       `json:"agentVersion,omitempty"`
	StageType        string       `json:"stageType,omitempty"`
	Groups           []string     `json:"groups,omitempty"`
	AccountID        string       `json:"accountId,omitempty"`
	NormandieStatus  string       `json:"normandieStatus,omitempty"`
	KnoxStatus       string       `json:"knoxStatus,omitempty"`
	Reports          []PingReport `json:"reports,omitempty"`
}

// PingReport is an agent's status in one environment (Teletraan's PingReportBean).
type PingReport struct {
	DeployID              string            `json:"deployId"`
	EnvID                 string            `json:"envId"`
	DeployStage           string            `json:"deployStage"`
	AgentStatus           string            `json:"agentStatus"`
	ErrorCode             int               `json:"errorCode"`
	ErrorMessage          string            `json:"errorMessage,omitempty"`
	FailCount             int               `json:"failCount"`
	ExtraInfo             map[string]string `json:"extraInfo,omitempty"`
	DeployAlias           string            `json:"deployAlias,omitempty"`
	ContainerHealthStatus string            `json:"containerHealthStatus,omitempty"`
	AgentState            string            `json:"agentState,omitempty"`
}

// PingResponse is the server's answer: one goal (Teletraan's PingResponseBean).
type PingResponse struct {
	OpCode     string      `json:"opCode"`
	DeployGoal *DeployGoal `json:"deployGoal,omitempty"`
	// StopWork is our extension, sent with OpNoop: see StopWork.
	StopWork *StopWork `json:"stopWork,omitempty"`
	// HostSecret is our extension: a credential for the host, issued to an agent that sent
	// HostBindingHeader and is not bound yet. It must present it (HostSecretHeader) from the
	// next ping on, which binds the host to it.
	HostSecret string `json:"hostSecret,omitempty"`
}

// StopWork says that the service no longer wants the work a host is doing in one
// environment: its deploy was aborted, or the host was paused or excluded by an
// operator. It travels with opCode NOOP, which Teletraan's own agent already treats as a
// changed plan (it kills the running command), so that agent keeps working unchanged;
// this module's agent stops the stage on it explicitly (SIGTERM to the script's process
// group, SIGKILL after the grace period) and reports StatusAbortedByService with Reason.
// A NOOP without StopWork means only "nothing new".
type StopWork struct {
	EnvID    string `json:"envId"`
	EnvName  string `json:"envName,omitempty"`
	DeployID string `json:"deployId"`
	Reason   string `json:"reason"`
}

// DeployGoal is the stage the agent must run next and everything it needs for it
// (Teletraan's DeployGoalBean). Build is sent only with DOWNLOADING, ScriptVariables only
// with PRE_DOWNLOAD (an empty map there means "delete the local script config").
type DeployGoal struct {
	DeployID        string            `json:"deployId"`
	DeployType      string            `json:"deployType"`
	EnvID           string            `json:"envId"`
	EnvName         string            `json:"envName"`
	StageName       string            `json:"stageName"`
	StageType       string            `json:"stageType,omitempty"`
	DeployStage     string            `json:"deployStage"`
	Build           *Build            `json:"build,omitempty"`
	DeployAlias     string            `json:"deployAlias,omitempty"`
	AgentConfigs    map[string]string `json:"agentConfigs,omitempty"`
	ScriptVariables map[string]string `json:"scriptVariables"`
	FirstDeploy     bool              `json:"firstDeploy"`
	IsDocker        bool              `json:"isDocker"`
}

// Build is a build as the agent sees it (Teletraan's BuildBean; dates are epoch
// milliseconds). Checksum is our extension: the artifact's hex SHA-256, checked before
// anything is extracted; when empty the agent falls back to Teletraan's <url>.sha1.
type Build struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ArtifactURL string `json:"artifactUrl"`
	Type        string `json:"type,omitempty"`
	Repo        string `json:"repo,omitempty"`
	Branch      string `json:"branch,omitempty"`
	Commit      string `json:"commit,omitempty"`
	CommitShort string `json:"commitShort,omitempty"`
	CommitInfo  string `json:"commitInfo,omitempty"`
	CommitDate  int64  `json:"commitDate,omitempty"`
	PublishInfo string `json:"publishInfo,omitempty"`
	Publisher   string `json:"publisher,omitempty"`
	PublishDate int64  `json:"publishDate,omitempty"`
	Checksum    string `json:"checksum,omitempty"`
}
