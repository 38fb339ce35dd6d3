package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// goalRun is one goal being carried out: the goal, the settings in force for its
// stage and the script variables its scripts see.
type goalRun struct {
	env      string
	goal     *protocol.DeployGoal
	opCode   string
	status   *EnvStatus
	settings stageSettings
	vars     map[string]string
	// attempt is the number of the attempt being run, from 1.
	attempt int
	// record makes a started script durable (set by supervise, which owns d.status).
	record func(*RunningScript) error
}

// recordRequest asks the supervisor to save a started script's record.
type recordRequest struct {
	rec *RunningScript
	ack chan error
}

// stageOutcome is how a stage ended: a report, or the next goal if it was abandoned.
type stageOutcome struct {
	status    string
	code      int
	message   string
	failCount int
	next      *protocol.PingResponse
}

// safeName guards names that become file names: a goal comes from the network.
var safeName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$`)

func checkName(kind, s string) error {
	if !safeName.MatchString(s) {
		return fmt.Errorf("%s %q must match %s to be used in file names", kind, s, safeName)
	}
	return nil
}

func (d *daemon) newGoalRun(goal *protocol.DeployGoal, opCode string, st *EnvStatus) (*goalRun, error) {
	settings, err := d.cfg.settingsFor(goal.EnvName, goal.AgentConfigs)
	if err != nil {
		return nil, err
	}
	r := &goalRun{env: goal.EnvName, goal: goal, opCode: opCode, status: st, settings: settings}
	if goal.DeployStage == protocol.StagePreDownload {
		r.vars = goal.ScriptVariables // saved by the stage itself
	} else if r.vars, err = d.loadScriptVars(goal.EnvName); err != nil {
		return nil, err
	}
	return r, nil
}

// runGoal runs the goal's stage, retrying failures with backoff and reporting each one
// to the service (which may answer with a different goal, ending the retries).
func (d *daemon) runGoal(ctx context.Context, r *goalRun) stageOutcome {
	backoff := r.settings.retryInterval
	for attempt := 1; ; attempt++ {
		r.attempt = attempt
		next, err := d.supervise(ctx, r)
		if next != nil {
			return stageOutcome{next: next}
		}
		if ctx.Err() != nil {
			return stageOutcome{}
		}
		if err == nil {
			return stageOutcome{status: protocol.StatusSucceeded}
		}
		status, code, msg, retry := classify(err)
		d.log.Warn("stage attempt failed", "env", r.env, "stage", r.goal.DeployStage, "attempt", attempt,
			"status", status, "err", err)
		if !retry {
			return stageOutcome{status: status, code: code, message: msg, failCount: attempt}
		}
		if attempt >= r.settings.maxRetries {
			return stageOutcome{status: protocol.StatusTooManyRetry, code: code, message: msg, failCount: attempt}
		}
		d.setReport(r.status, status, code, msg, attempt)
		if err := d.status.save(); err != nil {
			d.log.Error("cannot record failed attempt", "err", err)
		}
		if resp, err := d.ping(ctx, 0); err == nil && stopFor(r, resp) != nil {
			status, code, msg, _ := classify(&stoppedByService{reason: stopFor(r, resp).Reason})
			return stageOutcome{status: status, code: code, message: msg, failCount: attempt}
		} else if err == nil && goalChanged(r, resp) {
			return stageOutcome{next: resp}
		}
		if sleep(ctx, backoff) != nil {
			return stageOutcome{}
		}
		backoff = min(backoff*2, r.settings.maxRetryInterval)
		d.setReport(r.status, protocol.StatusUnknown, code, msg, attempt)
		if err := d.status.save(); err != nil {
			d.log.Error("cannot record retry", "err", err)
		}
	}
}

// supervise runs one attempt of the stage while pinging every MinRunningTime, so that
// the service sees the host alive and can redirect it: a changed goal cancels the
// attempt (killing its scripts) and is returned.
func (d *daemon) supervise(ctx context.Context, r *goalRun) (*protocol.PingResponse, error) {
	workCtx, cancelCause := context.WithCancelCause(ctx)
	cancel := func() { cancelCause(nil) }
	defer cancel()
	records := make(chan recordRequest)
	r.record = func(rec *RunningScript) error {
		rec.DeployID, rec.DeployStage, rec.OpCode, rec.Attempt = r.goal.DeployID, r.goal.DeployStage, r.opCode, r.attempt
		ack := make(chan error, 1)
		select {
		case records <- recordRequest{rec: rec, ack: ack}:
			return <-ack
		case <-workCtx.Done():
			return workCtx.Err()
		}
	}
	done := make(chan error, 1)
	go func() { done <- d.step(workCtx, r) }()
	var tick <-chan time.Time
	if d.cfg.MinRunningTime > 0 {
		ticker := time.NewTicker(d.cfg.MinRunningTime)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		select {
		case err := <-done:
			// The attempt is over and its result is in hand; the caller saves it with
			// the record cleared, and until then the record still finds the script's
			// exit status should the agent die.
			r.status.Running = nil
			return nil, err
		case req := <-records:
			r.status.Running = req.rec
			req.ack <- d.status.save()
		case <-tick:
			resp, err := d.ping(ctx, 0)
			if err != nil {
				d.log.Warn("progress ping failed; the stage goes on", "err", err)
				continue
			}
			if stop := stopFor(r, resp); stop != nil {
				// Stopping a script takes its grace period; a download stops at once.
				cause := &stoppedByService{reason: stop.Reason}
				cancelCause(cause)
				<-done
				r.status.Running = nil
				return nil, cause
			}
			if goalChanged(r, resp) {
				cancel()
				<-done
				r.status.Running = nil
				return resp, nil
			}
		}
	}
}

// stopFor returns resp's StopWork when it is about r's environment and deploy.
func stopFor(r *goalRun, resp *protocol.PingResponse) *protocol.StopWork {
	s := resp.StopWork
	if s == nil || (s.EnvID != r.goal.EnvID && s.EnvName != r.env) || (s.DeployID != "" && s.DeployID != r.goal.DeployID) {
		return nil
	}
	return s
}

// goalChanged reports whether resp asks for something other than what r is doing. A
// NOOP is not a change: it is how the service says "nothing new"; the service says
// "stop" explicitly, with StopWork (see stopFor).
func goalChanged(r *goalRun, resp *protocol.PingResponse) bool {
	g := resp.DeployGoal
	if g == nil || resp.OpCode == protocol.OpNoop || resp.OpCode == protocol.OpWait {
		return false
	}
	return g.EnvName != r.env || g.DeployID != r.goal.DeployID || g.DeployStage != r.goal.DeployStage ||
		resp.OpCode != r.opCode
}

// step is one attempt of the goal's stage. It runs on its own goroutine while the
// supervisor pings, so it may read d.status but must not change it.
func (d *daemon) step(ctx context.Context, r *goalRun) error {
	switch stage := r.goal.DeployStage; stage {
	case protocol.StagePreDownload:
		if err := d.saveScriptVars(r.env, r.vars); err != nil {
			return err
		}
		return d.runStageScript(ctx, r, false)
	case protocol.StageDownloading:
		return d.downloadBuild(ctx, r)
	case protocol.StageStaging:
		return d.stageBuild(r)
	case protocol.StageRestarting:
		return d.runStageScript(ctx, r, true)
	case protocol.StageStopped, protocol.StageUnknown:
		return nil
	default:
		return d.runStageScript(ctx, r, false)
	}
}

func (d *daemon) buildOf(r *goalRun) (*BuildInfo, string, error) {
	b := r.status.Build
	if b == nil {
		return nil, "", permanent(fmt.Errorf("no build recorded for deploy %s; the service must send DOWNLOADING with a build first",
			r.goal.DeployID))
	}
	if err := checkName("build id", b.ID); err != nil {
		return nil, "", permanent(err)
	}
	u, err := url.Parse(b.URL)
	if err != nil {
		return nil, "", permanent(fmt.Errorf("artifact URL %q: %w", b.URL, err))
	}
	suffix, err := archiveSuffix(u.Path)
	if err != nil {
		return nil, "", err
	}
	archive := filepath.Join(d.cfg.BuildsDir, r.env+"-"+b.ID+suffix)
	return b, archive, nil
}

// downloadBuild fetches the artifact unless the build is already extracted (a rollback
// or restart of a build this host has).
func (d *daemon) downloadBuild(ctx context.Context, r *goalRun) error {
	b, archive, err := d.buildOf(r)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(d.cfg.BuildsDir, b.ID+extractedSuffix)); err == nil {
		return nil
	}
	return d.dl.download(ctx, b, archive)
}

// stageBuild extracts the build, renders its templates and only then swaps the target
// symlink: every failure before the swap leaves the running build as it was.
func (d *daemon) stageBuild(r *goalRun) error {
	b, archive, err := d.buildOf(r)
	if err != nil {
		return err
	}
	buildDir := filepath.Join(d.cfg.BuildsDir, b.ID)
	if _, err := os.Stat(buildDir + extractedSuffix); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(archive); err != nil {
			return permanent(fmt.Errorf("build %s is neither extracted nor downloaded (%v); redeploy to download it again", b.ID, err))
		}
	}
	lim := archiveLimits{maxBytes: d.cfg.MaxArchiveBytes, maxFiles: d.cfg.MaxArchiveFiles}
	if err := extractBuild(archive, buildDir, lim); err != nil {
		return err
	}
	if err := renderTemplates(filepath.Join(buildDir, "teletraan"), r.vars); err != nil {
		return permanent(fmt.Errorf("render templates of build %s: %w", b.ID, err))
	}
	now := time.Now()
	if err := os.Chtimes(buildDir, now, now); err != nil { // retention keeps recently used builds
		return fmt.Errorf("touch %s: %w", buildDir, err)
	}
	if err := swapSymlink(r.settings.target, buildDir); err != nil {
		return err
	}
	removed, err := retainBuilds(d.cfg.BuildsDir, retention{
		keep: r.settings.buildsToRetain, maxBytes: d.cfg.MaxBuildsBytes, protected: d.protectedBuilds(r)})
	if err != nil {
		d.log.Warn("build retention", "err", err) // disk hygiene must not fail a deploy
	}
	if len(removed) > 0 {
		d.log.Info("removed old builds", "builds", removed)
	}
	return nil
}

// protectedBuilds are the builds retention must never delete: what some environment's
// target points at, and the build each environment is deploying (another environment
// may be between its DOWNLOADING and STAGING).
func (d *daemon) protectedBuilds(r *goalRun) []string {
	out := []string{currentBuildDir(r.settings.target)}
	for env, st := range d.status.envs {
		target := d.cfg.targetFor(env)
		if t, ok := st.RuntimeConfig[keyTarget]; ok {
			target = t
		}
		out = append(out, currentBuildDir(target))
		if st.Build != nil && checkName("build id", st.Build.ID) == nil {
			out = append(out, filepath.Join(d.cfg.BuildsDir, st.Build.ID))
		}
	}
	return out
}

// runStageScript runs the build's script named like the stage, if the build has one.
func (d *daemon) runStageScript(ctx context.Context, r *goalRun, required bool) error {
	stage := r.goal.DeployStage
	script, err := findScript(r.settings.target, r.env, stage)
	if err != nil {
		return err
	}
	if script == "" {
		if required {
			return permanent(fmt.Errorf("build has no %s script in %s/teletraan/%s/ or %s/teletraan/; it is required to start the service",
				stage, r.settings.target, r.env, r.settings.target))
		}
		return nil
	}
	return runScript(ctx, scriptSpec{
		path: script, dir: r.settings.target, env: d.scriptEnv(r),
		logPath: filepath.Join(d.cfg.AgentDir, "logs", r.env+".log"),
		timeout: r.settings.scriptTimeout, grace: r.settings.terminationGrace, tailBytes: d.cfg.MaxTailBytes,
		maxLogBytes: d.cfg.MaxLogBytes, exitFile: d.exitFilePath(r.env), record: r.record,
	})
}

// exitFilePath is where env's script wrapper writes the exit status.
func (d *daemon) exitFilePath(env string) string {
	return filepath.Join(d.cfg.AgentDir, env+".exit")
}

// inheritedEnv is the part of the agent's environment its scripts inherit: all of it but
// the agent's own settings (TELETRAAN_*, its token among them), which a script that prints
// its environment and fails would otherwise put on the board.
func inheritedEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TELETRAAN_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// scriptEnv is the agent's inherited environment plus Teletraan's variables plus the script
// variables, later entries winning, so that scripts written for Teletraan run unchanged.
func (d *daemon) scriptEnv(r *goalRun) []string {
	g := r.goal
	computeType := g.StageType
	if computeType == "" {
		computeType = "DEFAULT"
	}
	env := append(inheritedEnv(os.Environ()),
		"DEPLOY_ID="+g.DeployID,
		"DEPLOY_STEP="+g.DeployStage,
		"OPCODE="+r.opCode,
		"DEPLOY_TYPE="+deployType(r.opCode, g.DeployType),
		"ENV_NAME="+r.env,
		"STAGE_NAME="+g.StageName,
		"COMPUTE_ENV_TYPE="+computeType,
		"FIRST_DEPLOY="+pyBool(g.FirstDeploy),
		"IS_DOCKER="+pyBool(g.IsDocker),
		"TARGET="+r.settings.target,
		"PWD="+r.settings.target, // so that pwd shows the target, not the build it points at
		"BUILDS_DIR="+d.cfg.BuildsDir,
	)
	if b := r.status.Build; b != nil {
		env = append(env, "BUILD_COMMIT="+b.Commit, "BUILD_NAME="+b.Name, "BUILD_REPO="+b.Repo,
			"BUILD_BRANCH="+b.Branch, "BUILD_ID="+b.ID, "BUILD_URL="+b.URL)
	}
	keys := make([]string, 0, len(r.vars))
	for k := range r.vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+r.vars[k])
	}
	return env
}

// deployType maps the opcode as Teletraan's agent does; the goal's own value covers
// opcodes it does not map.
func deployType(opCode, fallback string) string {
	switch opCode {
	case protocol.OpDeploy:
		return "REGULAR"
	case protocol.OpRestart, protocol.OpRollback, protocol.OpStop:
		return opCode
	}
	return fallback
}

// pyBool spells booleans like Python's str(bool), which Teletraan scripts compare to.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func (d *daemon) scriptConfigPath(env string) string {
	return filepath.Join(d.cfg.AgentDir, env+"_SCRIPT_CONFIG")
}

// saveScriptVars keeps PRE_DOWNLOAD's variables for the later stages, which are sent
// without them; an empty set deletes the file, as Teletraan's agent does.
func (d *daemon) saveScriptVars(env string, vars map[string]string) error {
	p := d.scriptConfigPath(env)
	if len(vars) == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete script config: %w", err)
		}
		return nil
	}
	data, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return fmt.Errorf("encode script config: %w", err)
	}
	// 0600: script variables often carry secrets.
	return writeFileAtomic(p, data, 0o600)
}

func (d *daemon) loadScriptVars(env string) (map[string]string, error) {
	data, err := os.ReadFile(d.scriptConfigPath(env))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read script config: %w", err)
	}
	vars := map[string]string{}
	if err := json.Unmarshal(data, &vars); err != nil {
		return nil, fmt.Errorf("script config %s is corrupt (%v); redeploy from PRE_DOWNLOAD to rewrite it",
			d.scriptConfigPath(env), err)
	}
	return vars, nil
}
