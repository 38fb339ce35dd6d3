package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/uptrace/bun"
)

// SetAgentState applies an operator's per-host action in a stage: PAUSED_BY_USER
// (exclude), PAUSED_IN_DEPLOY (pause at the current step), NORMAL (resume), RESET (retry:
// the agent starts the stage's current deploy over from PRE_DOWNLOAD) or STOP (stop: the
// agent runs the build's STOPPING script and rests at STOPPED, as before a host is
// terminated). It locks the host row as a ping does, so that a concurrent ping
// of the host decides on the new state rather than overwriting it, and it touches the
// stage so that the host's held ping wakes up at once. It returns the agent row after the
// change, nil when a resume found nothing to resume.
func (s *Store) SetAgentState(ctx context.Context, stageID, hostID, state string) (*Agent, error) {
	switch state {
	case core.AgentPausedByUser, core.AgentPausedInDeploy, core.AgentNormal, core.AgentReset, core.AgentStop:
	default:
		return nil, core.Errorf(core.EINVALID, "agent state %q cannot be set by an operator: use %s, %s, %s, %s or %s", state,
			core.AgentPausedByUser, core.AgentPausedInDeploy, core.AgentNormal, core.AgentReset, core.AgentStop)
	}
	var out *Agent
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		host := new(Host)
		err := s.forUpdate(tx.NewSelect().Model(host).Where("id = ?", hostID)).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "host %s has never pinged", hostID)
		}
		if err != nil {
			return fmt.Errorf("lock host %s: %w", hostID, err)
		}
		now := s.now()
		ag := new(Agent)
		err = tx.NewSelect().Model(ag).Where("host_id = ? AND stage_id = ?", hostID, stageID).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			ag = nil
		case err != nil:
			return fmt.Errorf("read agent of host %s: %w", hostID, err)
		}
		next, insert, err := AgentTransition(ag, state)
		if err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		if insert {
			next.HostID, next.StageID, next.HostName = hostID, stageID, host.HostName
			next.StartedAt, next.StageStartedAt = now, now
		}
		if state == core.AgentReset {
			// The stuck timer restarts with the retry, or the host would count as stuck at once.
			next.StageStartedAt = now
		}
		next.UpdatedAt = now
		q := bumpChangeSeq(onConflictUpdate(tx.NewInsert().Model(next), s.dialect, "host_id, stage_id", "state", "fail_count", "error_code", "stage_started_at", "updated_at"))
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("set state of host %s: %w", hostID, err)
		}
		if _, err := tx.NewUpdate().Model((*Stage)(nil)).Set("updated_at = ?", now).Where("id = ?", stageID).Exec(ctx); err != nil {
			return fmt.Errorf("touch stage %s: %w", stageID, err)
		}
		out = next
		return nil
	})
	return out, err
}

// AgentTransition is the row an operator's state change turns ag (nil: the host has no
// row in the stage) into, and whether it is a new row; nil when nothing changes. A host
// may be excluded before it ever deployed (the new row keeps it out of every deploy), but
// only a host with a row can be paused at its step, a failed host is retried or excluded
// rather than paused, only a host paused, excluded or stopped by a person can be resumed,
// and only a host that started a deploy can retry it or be stopped. core.HostActionsFor
// offers exactly these.
func AgentTransition(ag *Agent, state string) (*Agent, bool, error) {
	if ag == nil {
		switch state {
		case core.AgentPausedByUser:
			return &Agent{State: core.AgentPausedByUser, FirstDeploy: true}, true, nil
		case core.AgentPausedInDeploy:
			return nil, false, core.Errorf(core.ECONFLICT, "the host has not started a deploy in this stage, so there is no step to hold it at: exclude it instead")
		case core.AgentNormal:
			return nil, false, core.Errorf(core.ECONFLICT, "the host is not paused: it has not deployed in this stage yet")
		case core.AgentStop:
			return nil, false, core.Errorf(core.ECONFLICT, "the host has not deployed in this stage, so there is no service to stop")
		default:
			return nil, false, core.Errorf(core.ECONFLICT, "the host has no deploy in this stage to retry; it installs the current deploy when admitted")
		}
	}
	next := *ag
	switch state {
	case core.AgentPausedByUser:
		if ag.State == core.AgentPausedByUser {
			return nil, false, nil
		}
	case core.AgentPausedInDeploy:
		switch ag.State {
		case core.AgentPausedInDeploy:
			return nil, false, nil
		case core.AgentPausedBySystem:
			return nil, false, core.Errorf(core.ECONFLICT, "the host failed and is already stopped (PAUSED_BY_SYSTEM): retry it, or exclude it from deploys")
		case core.AgentStop, core.AgentDelete:
			return nil, false, core.Errorf(core.ECONFLICT, "the host is leaving the stage (%s): there is nothing to pause", ag.State)
		}
	case core.AgentNormal:
		if ag.State != core.AgentPausedByUser && ag.State != core.AgentPausedInDeploy && ag.State != core.AgentStop {
			return nil, false, core.Errorf(core.ECONFLICT, "the host is not paused by a person or excluded, nor stopped (its state is %s); use retry to restart a failed host", ag.State)
		}
	case core.AgentStop:
		if ag.State == core.AgentStop {
			return nil, false, nil
		}
		if ag.DeployID == "" {
			return nil, false, core.Errorf(core.ECONFLICT, "the host has not deployed in this stage, so there is no service to stop")
		}
	case core.AgentReset:
		next.FailCount, next.ErrorCode = 0, 0
	}
	next.State = state
	return &next, false, nil
}
