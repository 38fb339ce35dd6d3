package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// StatusFileName is the agent's memory across restarts, inside Config.AgentDir.
const StatusFileName = "env_status"

// EnvStatus is one environment's entry in the status file; its JSON keys follow
// Teletraan's deploy-agent so that its tools (and operators) can read it.
type EnvStatus struct {
	// Report is the last result, sent as this environment's PingReport.
	Report StatusReport `json:"report"`
	// Build is the build being deployed, remembered from the DOWNLOADING goal (the only
	// goal that carries it) for STAGING and the scripts' BUILD_* variables.
	Build *BuildInfo `json:"build_info,omitempty"`
	// RuntimeConfig is the goal's agentConfigs for the stage in Report.
	RuntimeConfig map[string]string `json:"runtime_config,omitempty"`
	// OpCode is the opcode of the goal in Report.
	OpCode string `json:"op_code"`
	// DeployType is the goal's deploy type.
	DeployType string `json:"deploy_type,omitempty"`
	// FirstDeploy is true while the host installs this environment for the first time.
	FirstDeploy bool `json:"first_deploy"`
	// IsDocker mirrors the goal's isDocker.
	IsDocker bool `json:"is_docker"`
	// ScriptVariables is the path of the environment's script-config file.
	ScriptVariables string `json:"script_variables,omitempty"`
	// Running is the lifecycle script this environment started and whose end the
	// agent has not recorded yet; after a crash it is how the next agent process
	// finds the script, to wait for it or stop it, instead of starting a second copy.
	Running *RunningScript `json:"running_script,omitempty"`
}

// RunningScript is the durable record of a started lifecycle script, written before
// the script may begin (its wrapper waits for the agent's go-ahead).
type RunningScript struct {
	// DeployID, DeployStage and OpCode are the goal the script runs for.
	DeployID string `json:"deployId"`
	// DeployStage is the stage the script runs in.
	DeployStage string `json:"deployStage"`
	// OpCode is the goal's opcode.
	OpCode string `json:"opCode"`
	// Attempt is the attempt number of the stage (1 for the first run).
	Attempt int `json:"attempt"`
	// Script is the script's path.
	Script string `json:"script"`
	// PID is the wrapper's pid, which is also the script's process group id.
	PID int `json:"pid"`
	// ProcStart is the wrapper's start time in clock ticks since boot (/proc/<pid>/stat),
	// which tells it from a later process that reuses the pid.
	ProcStart uint64 `json:"procStart"`
	// BootID is the kernel's boot id when the script started: after a reboot the
	// script is certainly gone.
	BootID string `json:"bootId"`
	// StartedAt is when the script started.
	StartedAt time.Time `json:"startedAt"`
	// Deadline is when the script's timeout kills it.
	Deadline time.Time `json:"deadline"`
	// GraceSeconds is the SIGTERM-to-SIGKILL grace for stopping it.
	GraceSeconds float64 `json:"graceSeconds"`
	// ExitFile is where the wrapper writes the script's exit status.
	ExitFile string `json:"exitFile"`
	// LogPath and LogOffset locate the script's output, for the error tail.
	LogPath string `json:"logPath"`
	// LogOffset is where this run's output starts in LogPath.
	LogOffset int64 `json:"logOffset"`
}

// StatusReport is the persisted form of a PingReport plus the names it refers to.
type StatusReport struct {
	// DeployID is the deploy the report is about.
	DeployID string `json:"deployId"`
	// EnvID is the environment's id.
	EnvID string `json:"envId"`
	// EnvName is the environment's name (also the status file key).
	EnvName string `json:"envName"`
	// StageName is the environment's stage (e.g. prod, canary).
	StageName string `json:"stageName"`
	// StageType is the stage's type, exported as COMPUTE_ENV_TYPE.
	StageType string `json:"stageType,omitempty"`
	// DeployStage is the stage the agent ran last or is running.
	DeployStage string `json:"deployStage"`
	// Status is the result of DeployStage; UNKNOWN while it runs.
	Status string `json:"status"`
	// ErrorCode is the failing script's exit code.
	ErrorCode int `json:"errorCode"`
	// ErrorMessage is the tail of the failing script's output.
	ErrorMessage string `json:"errorMessage,omitempty"`
	// FailCount is how many attempts of DeployStage failed.
	FailCount int `json:"failCount"`
	// DeployAlias is the goal's deploy alias (rollbacks).
	DeployAlias string `json:"deployAlias,omitempty"`
	// ContainerHealthStatus is reported as is (unused by this agent).
	ContainerHealthStatus string `json:"containerHealthStatus,omitempty"`
	// State is the agentState to report (RESET_BY_SYSTEM asks for a redeploy).
	State string `json:"state,omitempty"`
}

// BuildInfo is the build an environment is deploying.
type BuildInfo struct {
	// ID is the build id; it names the build's directory under the builds dir.
	ID string `json:"build_id"`
	// Name is the build's name.
	Name string `json:"build_name,omitempty"`
	// URL is the artifact URL.
	URL string `json:"build_url"`
	// Repo is the source repository.
	Repo string `json:"build_repo,omitempty"`
	// Branch is the source branch.
	Branch string `json:"build_branch,omitempty"`
	// Commit is the source commit.
	Commit string `json:"build_commit,omitempty"`
	// Checksum is the artifact's hex SHA-256, when the service knows it.
	Checksum string `json:"checksum,omitempty"`
}

// statusFile is the in-memory copy of the status file; only the daemon's goroutine
// touches it, and every change is saved before anything depends on it.
type statusFile struct {
	path string
	envs map[string]*EnvStatus
}

// loadStatus reads the status file; a missing file is an agent with nothing installed. An
// unreadable one is kept aside rather than deleted, so that nothing is lost for an
// operator, and the agent starts afresh (the server then reinstalls from PRE_DOWNLOAD).
func loadStatus(path string) (*statusFile, error) {
	s := &statusFile{path: path, envs: map[string]*EnvStatus{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read status file: %w", err)
	}
	if err := json.Unmarshal(data, &s.envs); err != nil {
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("status file %s is corrupt (%v) and could not be moved aside: %w", path, err, rerr)
		}
		s.envs = map[string]*EnvStatus{}
		pruneCorruptCopies(path, keptCorruptCopies)
		return s, fmt.Errorf("status file was corrupt (%v); moved to %s and starting afresh", err, aside)
	}
	for name, st := range s.envs {
		if st == nil {
			delete(s.envs, name)
		}
	}
	return s, nil
}

// keptCorruptCopies is how many set-aside corrupt status files stay for an operator: enough
// to look into a recurring problem, few enough that a disk that keeps corrupting the file
// does not fill up with copies.
const keptCorruptCopies = 3

// pruneCorruptCopies removes all but the newest keep set-aside copies of the status file.
// Their names end in the Unix second they were set aside, so the newest sort last.
func pruneCorruptCopies(path string, keep int) {
	copies, err := filepath.Glob(path + ".corrupt-*")
	if err != nil || len(copies) <= keep {
		return
	}
	sort.Slice(copies, func(i, j int) bool {
		a, _ := strconv.ParseInt(copies[i][strings.LastIndex(copies[i], "-")+1:], 10, 64)
		b, _ := strconv.ParseInt(copies[j][strings.LastIndex(copies[j], "-")+1:], 10, 64)
		return a < b
	})
	for _, c := range copies[:len(copies)-keep] {
		_ = os.Remove(c)
	}
}

// save writes the whole file atomically (temp file, fsync, rename, fsync dir) so that a
// crash leaves either the old or the new content, never a torn one.
func (s *statusFile) save() error {
	data, err := json.MarshalIndent(s.envs, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	return writeFileAtomic(s.path, data, 0o600)
}

// reports is one PingReport per environment, in a stable order.
func (s *statusFile) reports() []protocol.PingReport {
	names := make([]string, 0, len(s.envs))
	for name := range s.envs {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]protocol.PingReport, 0, len(names))
	for _, name := range names {
		r := s.envs[name].Report
		out = append(out, protocol.PingReport{
			DeployID: r.DeployID, EnvID: r.EnvID, DeployStage: r.DeployStage, AgentStatus: r.Status,
			ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage, FailCount: r.FailCount,
			DeployAlias: r.DeployAlias, ContainerHealthStatus: r.ContainerHealthStatus, AgentState: r.State,
		})
	}
	return out
}

// inFlight reports whether some environment is mid-deploy, in which case the server has
// work for us and long-polling would only delay it.
func (s *statusFile) inFlight() bool {
	for _, st := range s.envs {
		r := st.Report
		if protocol.IsFatalStatus(r.Status) {
			continue
		}
		if r.Status != protocol.StatusSucceeded {
			return true
		}
		if r.DeployStage != protocol.StageServingBuild && r.DeployStage != protocol.StageStopped {
			return true
		}
	}
	return false
}

// atomicTempInfix marks writeFileAtomic's temp files (".<name>.tmp-<random>").
const atomicTempInfix = ".tmp-"

// writeFileAtomic replaces path with data so that readers and crashes see all or nothing.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+atomicTempInfix+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename durable: without it the new name may vanish on power loss.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
