package agent

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFileName guards AgentDir: two agents sharing a status file would undo each
// other's work, so the second one refuses to start.
const lockFileName = "env_status.lock"

// dirLock is an exclusive flock; the kernel drops it when the process dies, so a crash
// never leaves a stale lock behind.
type dirLock struct{ f *os.File }

// acquireLock takes the lock without waiting.
func acquireLock(path string) (*dirLock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another agent holds %s; stop it or use a different agent dir", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &dirLock{f: f}, nil
}

// release gives the lock up.
func (l *dirLock) release() error {
	return l.f.Close()
}
