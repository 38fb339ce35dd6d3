package fleetsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// errorBackoff is the pause after a ping that failed, so that a server in trouble is not
// hammered by thousands of hosts at once.
const errorBackoff = time.Second

// pingHeadroom is added to a long-poll's wait for the request's deadline.
const pingHeadroom = 30 * time.Second

// hostState is what a simulated host is doing, as the fleet's counts see it.
type hostState int32

const (
	stateEnrolling hostState = iota // no ping answered yet
	stateIdle                       // nothing to do: serving its build, or never deployed
	stateWorking                    // running a goal's stage
	stateFailed                     // its last stage failed for good (TOO_MANY_RETRY)
	stateRefused                    // the server refused its credential: it stopped
)

// refusal is a ping the server refused (401 or 403): trying again cannot help.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

// host is one simulated agent.
type host struct {
	name  string
	cfg   *Config
	http  *http.Client
	fleet *Fleet

	state  atomic.Int32
	secret string
	// reports holds the last report per environment, sent with every ping as the agent does.
	reports map[string]*protocol.PingReport
	// goalsSeen marks the deploys this host already got a goal of.
	goalsSeen map[string]bool
}

// run pings until ctx ends, carrying out every goal the server gives.
func (h *host) run(ctx context.Context) {
	idle := false
	for ctx.Err() == nil {
		wait := time.Duration(0)
		if idle && h.cfg.LongPoll > 0 {
			wait = h.cfg.LongPoll
		}
		resp, err := h.ping(ctx, wait)
		var refused *refusal
		if errors.As(err, &refused) {
			h.state.Store(int32(stateRefused))
			h.fleet.pingFailed(err)
			return
		}
		if err != nil {
			h.fleet.pingFailed(err)
			if pause(ctx, errorBackoff) != nil {
				return
			}
			continue
		}
		if hostState(h.state.Load()) == stateEnrolling {
			h.state.Store(int32(stateIdle))
		}
		idle = !h.follow(ctx, resp)
		if idle && h.cfg.LongPoll == 0 && pause(ctx, h.cfg.PingInterval) != nil {
			return
		}
	}
}

// follow acts on one answer and reports whether it gave the host work.
func (h *host) follow(ctx context.Context, resp *protocol.PingResponse) bool {
	if stop := resp.StopWork; stop != nil {
		h.stopped(stop)
	}
	g := resp.DeployGoal
	if g == nil || resp.OpCode == protocol.OpNoop || resp.OpCode == protocol.OpWait {
		if hostState(h.state.Load()) == stateWorking {
			h.state.Store(int32(stateIdle))
		}
		return false
	}
	h.fleet.goals.Add(1)
	if !h.goalsSeen[g.DeployID] {
		h.goalsSeen[g.DeployID] = true
		h.fleet.firstGoal(g.DeployID, h.name)
	}
	if resp.OpCode == protocol.OpDelete {
		delete(h.reports, g.EnvID)
		return true
	}
	h.state.Store(int32(stateWorking))
	h.runStage(ctx, g)
	return true
}

// stopped marks the host's report of a deploy the service no longer wants as aborted,
// as the agent does when it stops a script on StopWork.
func (h *host) stopped(stop *protocol.StopWork) {
	for _, r := range h.reports {
		if (r.EnvID == stop.EnvID || stop.EnvID == "") && (stop.DeployID == "" || r.DeployID == stop.DeployID) &&
			r.AgentStatus != protocol.StatusSucceeded {
			r.AgentStatus, r.ErrorCode, r.ErrorMessage = protocol.StatusAbortedByService, 0, stop.Reason
		}
	}
}

// runStage "runs" the goal's stage: it waits the stage's latency and succeeds, unless
// this host is one of the deploy's failing hosts and the stage is RESTARTING, which then
// fails MaxRetries times with a pause between and ends TOO_MANY_RETRY. Each failed
// attempt is reported, and a changed goal ends the retries, as with the agent.
func (h *host) runStage(ctx context.Context, g *protocol.DeployGoal) {
	report := &protocol.PingReport{DeployID: g.DeployID, EnvID: g.EnvID, DeployStage: g.DeployStage, AgentStatus: protocol.StatusSucceeded}
	h.reports[g.EnvID] = report
	if pause(ctx, h.latency(g.DeployStage)) != nil {
		return
	}
	if g.DeployStage != protocol.StageRestarting || !h.fails(g.DeployID) {
		return
	}
	h.fleet.failures.Add(1)
	for attempt := 1; ; attempt++ {
		report.FailCount = attempt
		report.ErrorCode = 1
		report.ErrorMessage = fmt.Sprintf("simulated failure: %s exited 1 (attempt %d of %d)", g.DeployStage, attempt, h.cfg.MaxRetries)
		if attempt >= h.cfg.MaxRetries {
			report.AgentStatus = protocol.StatusTooManyRetry
			h.state.Store(int32(stateFailed))
			return
		}
		report.AgentStatus = protocol.StatusScriptFailed
		resp, err := h.ping(ctx, 0)
		if err != nil {
			h.fleet.pingFailed(err)
		} else if next := resp.DeployGoal; next != nil && resp.OpCode != protocol.OpNoop && resp.OpCode != protocol.OpWait &&
			(next.DeployID != g.DeployID || next.DeployStage != g.DeployStage) {
			// The service moved the host on: the next loop turn pings again and takes it.
			return
		} else if resp.StopWork != nil {
			h.stopped(resp.StopWork)
			return
		}
		if pause(ctx, h.cfg.RetryInterval+h.latency(g.DeployStage)) != nil {
			return
		}
	}
}

// latency is how long stage takes on this fleet.
func (h *host) latency(stage string) time.Duration {
	switch stage {
	case protocol.StageDownloading:
		return h.cfg.DownloadLatency
	case protocol.StageServingBuild:
		return 0
	}
	return h.cfg.ScriptLatency
}

// fails reports whether this host's deploy deployID fails: a hash of seed, host and
// deploy below FailureRate, so the same hosts fail for a deploy however often it is run.
func (h *host) fails(deployID string) bool {
	return failureDraw(h.cfg.Seed, h.name, deployID) < h.cfg.FailureRate
}

// failureDraw maps seed, host and deploy to a number in [0, 1), evenly spread.
func failureDraw(seed int64, hostName, deployID string) float64 {
	f := fnv.New64a()
	fmt.Fprintf(f, "%d\x00%s\x00%s", seed, hostName, deployID)
	return float64(f.Sum64()>>11) / (1 << 53)
}

// ping sends the host's reports and returns the server's answer; wait > 0 asks it to
// hold the request until there is a goal.
func (h *host) ping(ctx context.Context, wait time.Duration) (*protocol.PingResponse, error) {
	req := protocol.PingRequest{HostID: h.name, HostName: h.name, HostIP: "127.0.0.1", Groups: h.cfg.Groups, AgentVersion: "fleetsim"}
	for _, r := range h.reports {
		req.Reports = append(req.Reports, *r)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode ping: %w", err)
	}
	target := h.cfg.Server + protocol.PingPath
	if secs := int(wait / time.Second); secs > 0 {
		target += "?" + url.Values{protocol.WaitParam: {strconv.Itoa(secs)}}.Encode()
	}
	ctx, cancel := context.WithTimeout(ctx, wait+pingHeadroom)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build ping request: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if h.cfg.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+h.cfg.Token)
	}
	if h.cfg.BindIdentity {
		hreq.Header.Set(protocol.HostBindingHeader, "1")
		if h.secret != "" {
			hreq.Header.Set(protocol.HostSecretHeader, h.secret)
		}
	}
	h.fleet.pings.Add(1)
	resp, err := h.http.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read ping response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		const max = 300
		if len(data) > max {
			data = data[:max]
		}
		err := fmt.Errorf("host %s: server answered %s: %s", h.name, resp.Status, bytes.TrimSpace(data))
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return nil, &refusal{msg: err.Error()}
		}
		return nil, err
	}
	var out protocol.PingResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("host %s: decode ping response: %w", h.name, err)
	}
	if out.HostSecret != "" && out.HostSecret != h.secret {
		h.secret = out.HostSecret
		h.fleet.issued(h.name, out.HostSecret)
	}
	return &out, nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
