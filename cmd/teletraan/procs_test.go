package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// procGroup runs the real processes of a multi-process test (service, workers, Temporal,
// agents) by name, each one's output appended to its own log file, so that a test can
// kill one with SIGKILL and start it again where the others expect it.
type procGroup struct {
	logDir string
	procs  map[string]*chaosProc
}

// chaosProc is one started process; exited closes once it has been reaped.
type chaosProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// newProcGroup returns an empty group whose processes are killed when t ends, with the
// tail of every log printed when t failed.
func newProcGroup(t testing.TB) *procGroup {
	g := &procGroup{logDir: t.TempDir(), procs: map[string]*chaosProc{}}
	t.Cleanup(func() {
		for name := range g.procs {
			g.kill(t, name)
		}
		if t.Failed() {
			g.dumpLogs(t)
		}
	})
	return g
}

// teletraanCommand is the teletraan command with args, run as this test binary (see
// TestMain), so that the test starts real service processes without building the binary
// and without linking a second copy of the embedded Temporal server.
func teletraanCommand(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), chaosExecEnv+"=1")
	return cmd
}

// start starts cmd as the process called name, replacing a dead one of that name.
func (g *procGroup) start(t testing.TB, name string, cmd *exec.Cmd) {
	t.Helper()
	out, err := os.OpenFile(filepath.Join(g.logDir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(out, "---- started at %s\n", time.Now().Format(time.RFC3339Nano))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &chaosProc{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); out.Close(); close(p.exited) }()
	g.procs[name] = p
}

// pid is the process id of the running process called name, 0 if none.
func (g *procGroup) pid(name string) int {
	if p := g.procs[name]; p != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

// kill sends SIGKILL to the named process and waits until it is gone. A script an agent
// was running is in its own process and outlives it, as on a real host.
func (g *procGroup) kill(t testing.TB, name string) {
	t.Helper()
	p := g.procs[name]
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	delete(g.procs, name)
}

// dumpLogs prints the tail of every process's log.
func (g *procGroup) dumpLogs(t testing.TB) {
	entries, _ := os.ReadDir(g.logDir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(g.logDir, e.Name()))
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		t.Logf("---- %s (tail)\n%s", e.Name(), b)
	}
}

// buildAgent builds the real agent binary into a temp dir and returns its path.
func buildAgent(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "teletraan-agent")
	if out, err := exec.Command("go", "build", "-o", bin, "../teletraan-agent").CombinedOutput(); err != nil {
		t.Fatalf("build the agent: %v\n%s", err, out)
	}
	return bin
}
