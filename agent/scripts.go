package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// scriptSpec is one run of one lifecycle script.
type scriptSpec struct {
	path      string
	dir       string
	env       []string
	logPath   string
	timeout   time.Duration
	grace     time.Duration
	tailBytes int
	// maxLogBytes rotates the log before the run once it is this large.
	maxLogBytes int64
	// exitFile is where the wrapper leaves the script's exit status.
	exitFile string
	// record makes the started script durable; the script runs only once it returned nil.
	record func(*RunningScript) error
}

// findScript returns the executable for stage, preferring teletraan/<env>/ over
// teletraan/ (one build serving several environments), or "" when there is none.
func findScript(target, env, stage string) (string, error) {
	dir := filepath.Join(target, "teletraan", env)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		dir = filepath.Join(target, "teletraan")
	}
	p := filepath.Join(dir, stage)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look for script %s: %w", p, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", permanent(fmt.Errorf("script %s exists but is not executable; chmod +x it in the build", p))
	}
	return p, nil
}

// runScript runs s in its own process group with output appended to the env's log. The
// group matters: scripts start children (services, sleeps, pipelines), and a timeout or
// abort must not leave them behind.
func runScript(ctx context.Context, s scriptSpec) error {
	if err := os.MkdirAll(filepath.Dir(s.logPath), 0o755); err != nil {
		return fmt.Errorf("create log dir: %w", err)
	}
	if s.maxLogBytes > 0 {
		if err := rotateLog(s.logPath, s.maxLogBytes); err != nil {
			return err
		}
	}
	logf, err := os.OpenFile(s.logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open script log: %w", err)
	}
	defer logf.Close()
	start, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("open script log: %w", err)
	}
	fmt.Fprintf(logf, "=== %s running %s\n", time.Now().UTC().Format(time.RFC3339), s.path)

	if err := removeExitFile(s.exitFile); err != nil {
		return err
	}
	goPipe, goWriter, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start script %s: %w", s.path, err)
	}
	defer goWriter.Close()
	// The wrapper leads the script's process group and outlives the agent if the agent
	// dies, so that the script is never orphaned without someone writing its status.
	cmd := exec.Command("/bin/sh", "-c", wrapperScript, s.path, s.exitFile)
	cmd.Dir = s.dir
	cmd.Env = s.env
	cmd.Stdin = goPipe
	// A file, not a pipe: with a pipe, Wait would also wait for every background child
	// that inherited it, and a RESTARTING script that starts a daemon would never end.
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	goPipe.Close()
	if err != nil {
		return permanent(fmt.Errorf("start script %s: %w", s.path, err))
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	rec := &RunningScript{Script: s.path, PID: pgid, BootID: bootID(), StartedAt: time.Now().UTC(),
		Deadline: time.Now().Add(s.timeout).UTC(), GraceSeconds: s.grace.Seconds(),
		ExitFile: s.exitFile, LogPath: s.logPath, LogOffset: start}
	rec.ProcStart, _ = procStart(pgid)
	if s.record != nil {
		if err := s.record(rec); err != nil {
			goWriter.Close() // the wrapper reads EOF and exits without running the script
			<-done
			return fmt.Errorf("cannot record the start of %s, so it was not run: %w", s.path, err)
		}
	}
	if _, err := goWriter.WriteString("go\n"); err != nil {
		killGroup(pgid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("start script %s: %w", s.path, err)
	}
	goWriter.Close()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()

	var waitErr error
	select {
	case waitErr = <-done:
	case <-timer.C:
		killGroup(pgid, syscall.SIGKILL)
		<-done
		return &scriptTimeout{script: s.path, after: s.timeout, tail: readTail(s.logPath, start, s.tailBytes)}
	case <-ctx.Done():
		killGroup(pgid, syscall.SIGTERM)
		grace := time.NewTimer(s.grace)
		exited := false
		select {
		case <-done:
			exited = true
		case <-grace.C:
		}
		grace.Stop()
		killGroup(pgid, syscall.SIGKILL) // children that ignored SIGTERM
		if !exited {
			<-done
		}
		fmt.Fprintf(logf, "=== aborted %s: %v\n", s.path, context.Cause(ctx))
		return fmt.Errorf("script %s aborted: %w", s.path, ctx.Err())
	}
	if waitErr == nil {
		return nil
	}
	var exitErr *exec.ExitError
	if !errors.As(waitErr, &exitErr) {
		return fmt.Errorf("wait for script %s: %w", s.path, waitErr)
	}
	code := exitErr.ExitCode()
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal()) // what a shell would report
	}
	return scriptExit(s.path, code, readTail(s.logPath, start, s.tailBytes))
}

// scriptExit is the stage error for a script that exited with code.
func scriptExit(path string, code int, tail string) error {
	if code == 0 {
		return nil
	}
	return &scriptFailure{script: path, exitCode: code, tail: tail}
}

// killGroup signals every process in the group; ESRCH just means they are all gone.
func killGroup(pgid int, sig syscall.Signal) {
	_ = syscall.Kill(-pgid, sig)
}

// readTail returns the last max bytes a script wrote, as printable ASCII: the server
// stores it as errorMessage and Teletraan strips anything else.
func readTail(logPath string, from int64, max int) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	if off := fi.Size() - int64(max); off > from {
		from = off
	}
	data, err := io.ReadAll(io.NewSectionReader(f, from, fi.Size()-from))
	if err != nil {
		return ""
	}
	return asciiOnly(string(data))
}

// asciiOnly drops bytes outside printable ASCII, keeping line structure.
func asciiOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f) {
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
