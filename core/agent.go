package core

import (
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// Agent states: the server's control of one host in one stage, as in Teletraan.
const (
	AgentNormal         = "NORMAL"
	AgentPausedBySystem = "PAUSED_BY_SYSTEM"
	AgentPausedByUser   = "PAUSED_BY_USER"
	AgentReset          = "RESET"
	AgentDelete         = "DELETE"
	AgentUnreachable    = "UNREACHABLE"
	AgentStop           = "STOP"
	// AgentPausedInDeploy is ours, not Teletraan's: a person holds the host at its current
	// step. Unlike PAUSED_BY_USER (Teletraan's "pause host", which excludes the host from
	// deploys), the deploy keeps counting the host as in flight: it waits for it, and the
	// host turns stuck after the stuck timeout. Only the server reads it.
	AgentPausedInDeploy = "PAUSED_IN_DEPLOY"
)

// Agent is the deploy status of one host in one stage: the agents table's row, as the
// ping decision reads and writes it. Its columns are named after its fields (host_id,
// stage_id, ...), so the store reads it without a mapping; the store's tests on both
// databases hold that naming to the migrations.
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

// AgentError holds the tail of the last failing script's output of a host in a stage.
type AgentError struct {
	HostID       string    `json:"hostId"`
	StageID      string    `json:"stageId"`
	HostName     string    `json:"hostName"`
	ErrorMessage string    `json:"errorMessage"`
	UpdatedAt    time.Time `json:"updatedAt"`
}

// IsStaleError reports whether a host's last error e is from an attempt it has since got
// past: the agent serves a build (SERVING_BUILD, SUCCEEDED) and reported that no earlier
// than the error. Pages show such an error as stale rather than as the host's trouble.
func IsStaleError(agent *Agent, e *AgentError) bool {
	return agent != nil && e != nil && agent.DeployStage == protocol.StageServingBuild && agent.Status == protocol.StatusSucceeded &&
		!agent.UpdatedAt.Before(e.UpdatedAt)
}
