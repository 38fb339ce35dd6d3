package protocol_test

import (
	"testing"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

func TestNextStage(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{protocol.StagePreDownload, protocol.StageDownloading, true},
		{protocol.StageStaging, protocol.StagePreRestart, true},
		{protocol.StagePostRestart, protocol.StageServingBuild, true},
		{protocol.StageServingBuild, "", false},
		{protocol.StageStopping, "", false},
		{"NONSENSE", "", false},
	} {
		got, ok := protocol.NextStage(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NextStage(%s) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFatalStatuses(t *testing.T) {
	for status, fatal := range map[string]bool{
		protocol.StatusScriptTimeout: true, protocol.StatusTooManyRetry: true, protocol.StatusAgentFailed: true,
		protocol.StatusRuntimeMismatch: true, protocol.StatusScriptFailed: false, protocol.StatusSucceeded: false,
		protocol.StatusUnknown: false, protocol.StatusRetryableAgentFailed: false,
	} {
		if protocol.IsFatalStatus(status) != fatal {
			t.Errorf("IsFatalStatus(%s) != %v", status, fatal)
		}
	}
}
