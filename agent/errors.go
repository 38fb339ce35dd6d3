package agent

import (
	"errors"
	"fmt"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// permanentError marks a failure that retrying cannot fix (a hostile archive, a refused
// host, a missing RESTARTING script): the stage ends at once with AGENT_FAILED.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth retrying; nil stays nil.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// permanentf is permanent(fmt.Errorf(...)).
func permanentf(format string, args ...any) error {
	return permanent(fmt.Errorf(format, args...))
}

// scriptFailure is a script that ran and exited non-zero; it is retried.
type scriptFailure struct {
	script   string
	exitCode int
	tail     string
}

func (e *scriptFailure) Error() string {
	return fmt.Sprintf("script %s exited with code %d", e.script, e.exitCode)
}

// scriptTimeout is a script killed for running longer than its timeout; like Teletraan,
// it is not retried, because a hung script usually hangs again.
type scriptTimeout struct {
	script string
	after  time.Duration
	tail   string
}

func (e *scriptTimeout) Error() string {
	return fmt.Sprintf("script %s ran longer than %s; killed its process group (raise process_timeout if it is legitimately slow)",
		e.script, e.after)
}

// stoppedByService is a stage the service told the agent to stop (StopWork): its
// deploy was aborted or the host taken out of it. It is not retried.
type stoppedByService struct{ reason string }

func (e *stoppedByService) Error() string { return "stopped by the service: " + e.reason }

// classify turns a stage error into the report Teletraan expects and says whether
// another attempt may help.
func classify(err error) (status string, code int, message string, retry bool) {
	var sf *scriptFailure
	var st *scriptTimeout
	var pe *permanentError
	var sbs *stoppedByService
	switch {
	case errors.As(err, &sbs):
		return protocol.StatusAbortedByService, 0, sbs.Error(), false
	case errors.As(err, &sf):
		return protocol.StatusScriptFailed, sf.exitCode, sf.tail, true
	case errors.As(err, &st):
		msg := st.Error()
		if st.tail != "" {
			msg = st.tail + "\n" + msg
		}
		return protocol.StatusScriptTimeout, -1, msg, false
	case errors.As(err, &pe):
		return protocol.StatusAgentFailed, 1, err.Error(), false
	default:
		return protocol.StatusRetryableAgentFailed, 1, err.Error(), true
	}
}
