package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrapperScript runs a lifecycle script on behalf of the agent and outlives it: it
// waits for the agent's "go" on stdin, which the agent sends only once the script's
// start is durably recorded (so no script ever runs unrecorded), then runs the script
// and writes its exit status to a file (so that a restarted agent learns how a script
// it could not wait for ended). $0 is the script, $1 the exit file. A wrapper whose agent
// died before the go-ahead reads EOF and exits without running anything. The wrapper
// traps SIGTERM and SIGINT with a no-op so that a stop signalled to the whole group
// leaves it waiting for the script's own shutdown (the grace period); a trap, unlike
// an ignored signal, is not inherited by the script.
const wrapperScript = `trap : TERM INT
IFS= read -r go || exit 125
[ "$go" = go ] || exit 125
"$0" </dev/null
code=$?
printf '%s\n' "$code" > "$1.tmp" && mv -f "$1.tmp" "$1"
exit "$code"`

// exitNotStarted is the wrapper's status when it was told not to run the script.
const exitNotStarted = 125

// pollInterval is how often the agent looks at a script it did not start itself (so
// cannot wait(2) for): a restarted agent's view of its predecessor's script.
const pollInterval = 50 * time.Millisecond

// bootID identifies the running kernel boot; "" when unknown (non-Linux).
func bootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// procStart returns pid's start time in clock ticks since boot and whether the process
// exists and is not a zombie.
func procStart(pid int) (uint64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces and parentheses; fields after the
	// last ')' are plain.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 || fields[0] == "Z" || fields[0] == "X" {
		return 0, false
	}
	start, err := strconv.ParseUint(fields[19], 10, 64) // field 22 of the whole line
	if err != nil {
		return 0, false
	}
	return start, true
}

// alive reports whether the recorded wrapper still runs: same boot, same pid, same
// start time, so that a recycled pid is never mistaken for (or signalled as) ours.
func (r *RunningScript) alive() bool {
	if r.PID <= 0 || r.BootID != bootID() {
		return false
	}
	start, ok := procStart(r.PID)
	return ok && start == r.ProcStart
}

// exitStatus is what the wrapper wrote: the script's exit code, and false when it never
// wrote one (the host rebooted, or the wrapper was killed before the script ended).
func (r *RunningScript) exitStatus() (int, bool) {
	data, err := os.ReadFile(r.ExitFile)
	if err != nil {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, false
	}
	return code, true
}

// waitGone polls until the recorded wrapper has exited or ctx ends.
func (r *RunningScript) waitGone(ctx context.Context) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for r.alive() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// stop ends the recorded script's process group as an abort does: SIGTERM, then SIGKILL
// after the grace period, and returns once the wrapper is gone. The group is signalled
// only while its leader is provably ours.
func (r *RunningScript) stop(grace time.Duration) {
	if !r.alive() {
		return
	}
	killGroup(r.PID, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	r.waitGone(ctx)
	cancel()
	// Even when the leader is gone its children may not be; a pgid is not reused while
	// any member lives, so this reaches only the script's own leftovers.
	killGroup(r.PID, syscall.SIGKILL)
	r.waitGone(context.Background())
}

// removeExitFile clears a previous run's status so that it cannot be read as this run's.
func removeExitFile(p string) error {
	for _, f := range []string{p, p + ".tmp"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove old exit status %s: %w", f, err)
		}
	}
	return nil
}
