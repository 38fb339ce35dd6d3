package agent

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// orphans lists the environments whose status records a script that an earlier agent
// process started and never saw end, in a stable order.
func (s *statusFile) orphans() []string {
	var out []string
	for env, st := range s.envs {
		if st.Running != nil {
			out = append(out, env)
		}
	}
	slices.Sort(out)
	return out
}

// settleOrphans makes sure no script of an earlier agent process is left unaccounted
// for before this one starts anything: given the service's answer to the first ping,
// it waits for a recorded script that still runs the goal the service still wants (or
// when the service has nothing new), stops one whose goal changed, and records the real
// result of one that ended while no agent watched. It returns the goal to carry out
// next: resp itself, or the answer to a fresh ping when it reported a result.
func (d *daemon) settleOrphans(ctx context.Context, resp *protocol.PingResponse) (*protocol.PingResponse, error) {
	reported := false
	for _, env := range d.status.orphans() {
		st := d.status.envs[env]
		rec := st.Running
		log := d.log.With("env", env, "deploy", rec.DeployID, "stage", rec.DeployStage, "pid", rec.PID)
		if rec.alive() {
			if orphanGoalChanged(env, rec, resp) {
				log.Info("stopping a script an earlier agent started: the goal changed meanwhile")
				rec.stop(time.Duration(rec.GraceSeconds * float64(time.Second)))
				st.Running = nil
				d.reportOrphanStopped(st, resp, "stopped: the goal changed while the agent was down")
				if err := d.status.save(); err != nil {
					return nil, fmt.Errorf("record stopped script: %w", err)
				}
				continue
			}
			log.Info("waiting for a script an earlier agent started")
			next, stopped, err := d.waitOrphan(ctx, env, rec)
			if err != nil {
				return nil, err
			}
			if stopped {
				if next.StopWork != nil {
					reported = true // the stop's report goes with a fresh ping
				} else {
					resp = next // the changed goal is the next one to run
				}
				continue
			}
		}
		d.finishOrphan(st, rec)
		log.Info("recorded the result of a script an earlier agent started", "status", st.Report.Status)
		if err := d.status.save(); err != nil {
			return nil, fmt.Errorf("record result of an earlier agent's script: %w", err)
		}
		reported = true
	}
	if reported {
		return d.ping(ctx, 0)
	}
	return resp, nil
}

// orphanGoalChanged reports whether resp asks env for something else than the recorded
// script's stage. An answer about another environment, or none, is no change.
func orphanGoalChanged(env string, rec *RunningScript, resp *protocol.PingResponse) bool {
	if s := resp.StopWork; s != nil && s.EnvName == env && (s.DeployID == "" || s.DeployID == rec.DeployID) {
		return true
	}
	g := resp.DeployGoal
	if g == nil || resp.OpCode == protocol.OpNoop || resp.OpCode == protocol.OpWait || g.EnvName != env {
		return false
	}
	return g.DeployID != rec.DeployID || g.DeployStage != rec.DeployStage || resp.OpCode != rec.OpCode
}

// reportOrphanStopped records why an earlier agent's script was stopped: the service's
// StopWork reason, or a changed goal (UNKNOWN, as Teletraan's agent reports an abort).
func (d *daemon) reportOrphanStopped(st *EnvStatus, resp *protocol.PingResponse, changed string) {
	if s := resp.StopWork; s != nil {
		status, code, msg, _ := classify(&stoppedByService{reason: s.Reason})
		d.setReport(st, status, code, msg, st.Report.FailCount)
		return
	}
	d.setReport(st, protocol.StatusUnknown, 0, changed, st.Report.FailCount)
}

// waitOrphan waits for a recorded script to end, pinging every MinRunningTime as for a
// script of its own (the service sees the host alive and may change the goal, which
// stops the script and is returned), and enforcing the script's recorded deadline.
func (d *daemon) waitOrphan(ctx context.Context, env string, rec *RunningScript) (*protocol.PingResponse, bool, error) {
	grace := time.Duration(rec.GraceSeconds * float64(time.Second))
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	var tick <-chan time.Time
	if d.cfg.MinRunningTime > 0 {
		t := time.NewTicker(d.cfg.MinRunningTime)
		defer t.Stop()
		tick = t.C
	}
	for rec.alive() {
		select {
		case <-ctx.Done():
			// Stopping the agent stops its scripts, adopted ones included, as for its own.
			rec.stop(grace)
			return nil, false, ctx.Err()
		case <-poll.C:
			if time.Now().After(rec.Deadline) {
				rec.stop(0)
			}
		case <-tick:
			resp, err := d.ping(ctx, 0)
			if err != nil {
				d.log.Warn("progress ping failed; still waiting for the script", "err", err)
				continue
			}
			if orphanGoalChanged(env, rec, resp) {
				rec.stop(grace)
				st := d.status.envs[env]
				st.Running = nil
				d.reportOrphanStopped(st, resp, "stopped: the goal changed")
				return resp, true, d.status.save()
			}
		}
	}
	return nil, false, nil
}

// finishOrphan turns a recorded script that has ended into the stage's report: its
// exit status as the wrapper wrote it, or, when there is none (the host rebooted, or
// the wrapper was killed), UNKNOWN so that the service repeats the stage as a new
// attempt — the script is known not to be running any more.
func (d *daemon) finishOrphan(st *EnvStatus, rec *RunningScript) {
	st.Running = nil
	code, ok := rec.exitStatus()
	tail := readTail(rec.LogPath, rec.LogOffset, d.cfg.MaxTailBytes)
	switch {
	case !ok:
		d.setReport(st, protocol.StatusUnknown, 0,
			fmt.Sprintf("script %s (attempt %d) was interrupted before it finished (host reboot?); it will run again", rec.Script, rec.Attempt),
			rec.Attempt)
	case time.Now().After(rec.Deadline) && code >= 128:
		err := &scriptTimeout{script: rec.Script, after: rec.Deadline.Sub(rec.StartedAt).Round(time.Second), tail: tail}
		status, code, msg, _ := classify(err)
		d.setReport(st, status, code, msg, rec.Attempt)
	case code == 0:
		d.setReport(st, protocol.StatusSucceeded, 0, "", 0)
	default:
		status, code, msg, _ := classify(scriptExit(rec.Script, code, tail))
		d.setReport(st, status, code, msg, rec.Attempt)
	}
}
