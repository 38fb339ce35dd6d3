package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// daemon is one running agent: its settings, its connection to the service and its
// status file. Everything but the supervised stage work runs on one goroutine.
type daemon struct {
	cfg    Config
	log    *slog.Logger
	client *pingClient
	dl     *downloader
	status *statusFile
	lock   *dirLock
}

// Run is the daemon: it runs cycles (ping, act on goals until NOOP) for ever, long-polling
// or sleeping between them, and returns nil once ctx ends. Errors of one cycle (the
// service being down) are logged and retried on the next; only setup errors return.
func Run(ctx context.Context, cfg Config) error {
	d, err := newDaemon(cfg)
	if err != nil {
		return err
	}
	defer d.close()
	for {
		start := time.Now()
		worked, err := d.cycle(ctx, true)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("cycle failed; trying again after the ping interval", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil && !idleSleepNeeded(worked, time.Since(start), d.cfg.LongPollWait) {
			continue
		}
		// The interval bounds the idle ping rate against a server that ignores ?wait and
		// answers at once, and after errors.
		if sleep(ctx, d.cfg.PingInterval-time.Since(start)) != nil {
			return nil
		}
	}
}

// idleSleepNeeded reports whether the daemon must pause before its next cycle. After a
// cycle that carried out goals it pings again at once (long-polling), or the host would
// sit out the ping interval unreachable just when the next wave may admit it; after a
// held ping the server already paced it. Only a quick NOOP from a server that did not
// hold the ping calls for the interval.
func idleSleepNeeded(worked bool, took, longPoll time.Duration) bool {
	if worked {
		return false
	}
	return longPoll <= 0 || took < longPoll/2
}

// RunOnce runs one cycle without long-polling and returns when the service answers
// NOOP: Teletraan's cron mode. A failed ping is returned so that cron can report it.
func RunOnce(ctx context.Context, cfg Config) error {
	d, err := newDaemon(cfg)
	if err != nil {
		return err
	}
	defer d.close()
	_, err = d.cycle(ctx, false)
	return err
}

func newDaemon(cfg Config) (*daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid agent config: %w", err)
	}
	for _, dir := range []string{cfg.AgentDir, cfg.BuildsDir, filepath.Join(cfg.AgentDir, "logs")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	lock, err := acquireLock(filepath.Join(cfg.AgentDir, lockFileName))
	if err != nil {
		return nil, err
	}
	for _, dir := range []string{cfg.AgentDir, cfg.BuildsDir} {
		if err := removeTempFiles(dir); err != nil {
			cfg.Logger.Warn("cannot remove temp files of an earlier run", "err", err)
		}
	}
	if len(cfg.DownloadAllowlist) == 0 {
		cfg.Logger.Warn("no download allowlist: artifacts may come from any host or local path the service names; set --download-allowlist")
	}
	status, err := loadStatus(filepath.Join(cfg.AgentDir, StatusFileName))
	if status == nil {
		lock.release()
		return nil, err
	}
	if err != nil {
		cfg.Logger.Warn("status file reset", "err", err)
	}
	client := &pingClient{
		url: cfg.ServerURL + protocol.PingPath, token: cfg.Token, http: cfg.HTTPClient,
		retries: cfg.PingRetries, retryDelay: cfg.PingRetryDelay,
		secretPath: filepath.Join(cfg.AgentDir, HostSecretFileName), log: cfg.Logger,
	}
	if err := client.loadSecret(); err != nil {
		lock.release()
		return nil, err
	}
	return &daemon{
		cfg:    cfg,
		log:    cfg.Logger,
		client: client,
		dl:     newDownloader(&cfg),
		status: status,
		lock:   lock,
	}, nil
}

func (d *daemon) close() {
	if err := d.lock.release(); err != nil {
		d.log.Warn("release lock", "err", err)
	}
}

// cycle pings and carries out goals, one per round trip, until the service answers
// NOOP, and reports whether it carried out any. Only the first ping may long-poll: after
// a goal the service expects the result at once.
func (d *daemon) cycle(ctx context.Context, mayWait bool) (bool, error) {
	var wait time.Duration
	if mayWait && !d.status.inFlight() {
		wait = d.cfg.LongPollWait
	}
	worked := false
	resp, err := d.ping(ctx, wait)
	if err == nil && len(d.status.orphans()) > 0 {
		worked = true
		resp, err = d.settleOrphans(ctx, resp)
	}
	for {
		if err != nil {
			return worked, err
		}
		if resp.DeployGoal == nil || resp.OpCode == protocol.OpNoop || resp.OpCode == protocol.OpWait {
			return worked, nil
		}
		worked = true
		// Assigned, not declared: the ping's error below must reach the check above on
		// the next turn, not die with a variable of this block.
		var next *protocol.PingResponse
		if next, err = d.execute(ctx, resp); err != nil {
			return worked, err
		}
		if next != nil {
			resp = next // the goal changed mid-stage; the new one is already in hand
			continue
		}
		resp, err = d.ping(ctx, 0)
	}
}

// ping reports every environment's status and returns the service's goal.
func (d *daemon) ping(ctx context.Context, wait time.Duration) (*protocol.PingResponse, error) {
	req := protocol.PingRequest{
		HostID: d.cfg.HostID, HostName: d.cfg.HostName, HostIP: d.cfg.HostIP,
		AvailabilityZone: d.cfg.AvailabilityZone, AgentVersion: d.cfg.AgentVersion,
		Groups: d.cfg.Groups, Reports: d.status.reports(),
	}
	return d.client.ping(ctx, req, wait)
}

// execute carries out one goal and records its result. It returns the next goal when
// the service changed its mind while the stage ran, and an error only when the agent
// must stop (ctx ended, or the goal cannot even be recorded).
func (d *daemon) execute(ctx context.Context, resp *protocol.PingResponse) (*protocol.PingResponse, error) {
	goal := resp.DeployGoal
	if err := checkName("environment name", goal.EnvName); err != nil {
		return nil, fmt.Errorf("server sent an unusable goal: %w", err)
	}
	log := d.log.With("env", goal.EnvName, "deploy", goal.DeployID, "stage", goal.DeployStage, "opcode", resp.OpCode)
	if resp.OpCode == protocol.OpDelete || resp.OpCode == protocol.OpTerminate {
		log.Info("dropping environment")
		return nil, d.dropEnv(goal.EnvName)
	}

	st := d.begin(goal, resp.OpCode)
	// The record of "stage X started" must reach the disk before stage X touches
	// anything, or a crash could skip it; when it cannot, do nothing and say so.
	if err := d.status.save(); err != nil {
		log.Error("cannot record stage start", "err", err)
		st.Report.Status = protocol.StatusAgentFailed
		st.Report.ErrorMessage = fmt.Sprintf("agent cannot write its status file: %v", err)
		return nil, nil
	}
	log.Info("stage started")
	run, err := d.newGoalRun(goal, resp.OpCode, st)
	var out stageOutcome
	if err != nil {
		status, code, msg, _ := classify(permanent(err))
		out = stageOutcome{status: status, code: code, message: msg, failCount: 1}
	} else {
		out = d.runGoal(ctx, run)
	}
	switch {
	case out.next != nil:
		log.Info("goal changed while the stage ran; switching", "new_stage", out.next.DeployGoal.DeployStage)
		d.setReport(st, protocol.StatusUnknown, 0, "", st.Report.FailCount)
		return out.next, d.status.save()
	case ctx.Err() != nil:
		return nil, ctx.Err() // the on-disk UNKNOWN makes the next start redo the stage
	}
	d.setReport(st, out.status, out.code, out.message, out.failCount)
	log.Info("stage ended", "status", out.status, "fail_count", out.failCount)
	if err := d.status.save(); err != nil {
		log.Error("cannot record stage result", "err", err)
		d.setReport(st, protocol.StatusAgentFailed, 1, fmt.Sprintf("agent cannot write its status file: %v", err), out.failCount)
	}
	return nil, nil
}

// begin points env's status at the goal's stage, UNKNOWN until it ends.
func (d *daemon) begin(goal *protocol.DeployGoal, opCode string) *EnvStatus {
	st := d.status.envs[goal.EnvName]
	if st == nil {
		st = &EnvStatus{}
		d.status.envs[goal.EnvName] = st
	}
	if st.Report.DeployID != goal.DeployID {
		st.Build = nil // the old deploy's build would mislabel BUILD_* until DOWNLOADING
	}
	st.Report = StatusReport{
		DeployID: goal.DeployID, EnvID: goal.EnvID, EnvName: goal.EnvName, StageName: goal.StageName,
		StageType: goal.StageType, DeployStage: goal.DeployStage, Status: protocol.StatusUnknown,
		DeployAlias: goal.DeployAlias,
	}
	if b := goal.Build; b != nil {
		st.Build = &BuildInfo{ID: b.ID, Name: b.Name, URL: b.ArtifactURL, Repo: b.Repo, Branch: b.Branch,
			Commit: b.Commit, Checksum: b.Checksum}
	}
	st.OpCode, st.DeployType = opCode, goal.DeployType
	st.FirstDeploy, st.IsDocker = goal.FirstDeploy, goal.IsDocker
	st.RuntimeConfig = goal.AgentConfigs
	st.ScriptVariables = d.scriptConfigPath(goal.EnvName)
	return st
}

func (d *daemon) setReport(st *EnvStatus, status string, code int, message string, failCount int) {
	st.Report.Status, st.Report.ErrorCode = status, code
	st.Report.ErrorMessage, st.Report.FailCount = message, failCount
}

// dropEnv forgets an environment the host left; its build stays until retention.
func (d *daemon) dropEnv(env string) error {
	delete(d.status.envs, env)
	if err := d.status.save(); err != nil {
		return fmt.Errorf("drop %s: %w", env, err)
	}
	if err := os.Remove(d.scriptConfigPath(env)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove script config of %s: %w", env, err)
	}
	return nil
}
