package core

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
