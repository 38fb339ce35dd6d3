package core

import "time"

// Agent states: the server's control of one host in one stage, as in Teletraan.
const (
	AgentNormal         = "NORMAL"
	AgentPausedBySystem = "PAUSED_BY_SYSTEM"
	AgentPausedByUser   = "PAUSED_BY_USER"
	AgentReset          = "RESET"
	AgentDelete         = "DELETE"
	AgentUnreachable    = "UNREACHABLE"
	AgentStop           = "STOP"
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
