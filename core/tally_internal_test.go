package core

import "testing"

func TestFailureTextPrefersTheAgentsErrorText(t *testing.T) {
	agent := &Agent{DeployStage: "DOWNLOADING", Status: "TOO_MANY_RETRY"}
	tests := []struct {
		name string
		host StageHost
		want string
	}{
		{"error text", StageHost{Agent: agent, LastError: &AgentError{ErrorMessage: "exit 7"}}, "exit 7"},
		{"empty error text", StageHost{Agent: agent, LastError: &AgentError{}}, "paused by the system at DOWNLOADING with status TOO_MANY_RETRY; the agent sent no error text"},
		{"no error row", StageHost{Agent: agent}, "paused by the system at DOWNLOADING with status TOO_MANY_RETRY; the agent sent no error text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failureText(tt.host); got != tt.want {
				t.Fatalf("failureText = %q, want %q", got, tt.want)
			}
		})
	}
}
