package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// CommandTaskQueue is the task queue of RunAcceptanceCommand: only workers started with
// --allow-acceptance-commands poll it, so a command acceptance never runs on a worker
// that was not allowed to run commands.
const CommandTaskQueue = "teletraan-commands"

// AllowCommandsFlag is the flag of teletraan worker and teletraan dev that lets a worker
// run acceptance commands; errors name it.
const AllowCommandsFlag = "--allow-acceptance-commands"

// CommandRunner runs acceptance commands; it is registered only on workers started with
// AllowCommandsFlag, on CommandTaskQueue.
type CommandRunner struct {
	// Dir is where commands run; "" means the worker's working directory.
	Dir string
	// HeartbeatEvery is how often a running command heartbeats (default 5 s).
	HeartbeatEvery time.Duration
}

// CommandInput is one command acceptance of a deploy.
type CommandInput struct {
	Check core.CommandCheck
	// Env describes the deploy (TELETRAAN_DEPLOY_ID, ...), added to the worker's own.
	Env map[string]string
}

// maxOutputTail is how much of a command's output the evidence keeps: its end.
const maxOutputTail = 4096

// tailBuffer keeps the last maxOutputTail bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > maxOutputTail {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-maxOutputTail:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return core.CleanText(string(bytes.ToValidUTF8(t.buf, []byte("?"))))
}

// RunAcceptanceCommand runs the command with sh -c in its own process group, with the
// deploy's environment, until it exits or its timeout; it heartbeats while it runs. When
// the qualification is cancelled (a newer deploy superseded it) or the timeout passes, the
// whole process group is killed. Exit 0 passes; the evidence keeps the exit code and the
// tail of the output.
func (r *CommandRunner) RunAcceptanceCommand(ctx context.Context, in CommandInput) (core.AcceptanceEvidence, error) {
	ev := core.AcceptanceEvidence{Kind: core.EvidenceCommand, Name: "command"}
	timeout := time.Duration(in.Check.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 600 * time.Second
	}
	every := r.HeartbeatEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	cmd := exec.Command("/bin/sh", "-c", in.Check.Run)
	cmd.Dir = r.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	env := os.Environ()
	keys := make([]string, 0, len(in.Env))
	for k := range in.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+in.Env[k])
	}
	cmd.Env = env
	out := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		ev.Detail = fmt.Sprintf("could not start %q: %v", in.Check.Run, err)
		ev.At = time.Now()
		return ev, nil
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	kill := func() {
		// The negative pid is the process group: the shell and everything it started.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	started := time.Now()
	for {
		select {
		case err := <-done:
			ev.At = time.Now()
			ev.Output = out.String()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				ev.Detail = fmt.Sprintf("the command failed: %v", err)
				return ev, nil
			}
			ev.ExitCode = &code
			ev.Passed = code == 0
			ev.Detail = fmt.Sprintf("exited %d after %s", code, time.Since(started).Round(time.Millisecond))
			return ev, nil
		case <-deadline.C:
			kill()
			ev.At = time.Now()
			ev.Output = out.String()
			ev.Detail = fmt.Sprintf("did not finish within its timeout of %s: killed", timeout)
			return ev, nil
		case <-ctx.Done():
			kill()
			return ev, ctx.Err()
		case <-tick.C:
			activity.RecordHeartbeat(ctx, time.Since(started).String())
		}
	}
}
