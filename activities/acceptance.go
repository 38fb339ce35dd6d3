package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// LoadAcceptanceInput names the deploy whose stage's acceptance to load.
type LoadAcceptanceInput struct {
	StageID  string
	DeployID string
}

// LoadAcceptanceResult is a stage's acceptance config as the deploy's qualification runs
// it (frozen at its start, so that an edit does not change a running qualification), with
// what the checks' placeholders and environment need.
type LoadAcceptanceResult struct {
	// Acceptance is nil when the stage has none.
	Acceptance *core.Acceptance `json:",omitempty"`
	OnFailure  string
	BuildName  string
	Commit     string
}

// LoadAcceptance reads the stage's acceptance config and the deploy's build.
func (a *Activities) LoadAcceptance(ctx context.Context, in LoadAcceptanceInput) (LoadAcceptanceResult, error) {
	st, err := a.Store.GetStageByID(ctx, in.StageID)
	if err != nil {
		return LoadAcceptanceResult{}, permanent(err)
	}
	out := LoadAcceptanceResult{OnFailure: st.OnFailure, BuildName: st.BuildName}
	if st.Acceptance.HasChecks() {
		out.Acceptance = st.Acceptance
	}
	if d, err := a.Store.GetDeploy(ctx, in.DeployID); err == nil {
		if b, err := a.Store.GetBuild(ctx, d.BuildID); err == nil {
			out.Commit = b.Commit
		}
	}
	return out, nil
}

// SetAcceptanceInput records a deploy's acceptance status.
type SetAcceptanceInput struct {
	DeployID string
	Status   string
	Reason   string
	Evidence []core.AcceptanceEvidence `json:",omitempty"`
	By       string                    `json:",omitempty"`
}

// SetAcceptance records a deploy's acceptance status, reason and evidence.
func (a *Activities) SetAcceptance(ctx context.Context, in SetAcceptanceInput) error {
	before, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return permanent(err)
	}
	after, err := a.Store.SetAcceptance(ctx, in.DeployID, in.Status, in.Reason, in.Evidence, in.By)
	if err != nil {
		return permanent(err)
	}
	a.recordVerdict(ctx, before, after)
	return nil
}

// HTTPCheckInput is one HTTP acceptance check of a deploy.
type HTTPCheckInput struct {
	DeployID, EnvName, StageName string
	Index                        int
	Check                        core.HTTPCheck
	Vars                         core.AcceptanceVars
}

// maxCheckBody bounds what a check reads of an answer.
const maxCheckBody = 1 << 20

// heartbeatEvery is how often a running HTTP check heartbeats, well inside the
// qualification's heartbeat timeout of a minute.
const heartbeatEvery = 10 * time.Second

// RunHTTPCheck asks the check's URL (or each host serving the deploy) every EverySeconds
// for ForSeconds, retrying a failed attempt Retries times; every round must pass. It
// heartbeats the round it is in, so that a lost worker is noticed and a cancelled
// qualification stops at once. The result is the evidence: passed, or the first failure.
func (a *Activities) RunHTTPCheck(ctx context.Context, in HTTPCheckInput) (core.AcceptanceEvidence, error) {
	h := in.Check.WithDefaults()
	name := h.CheckName(in.Index)
	ev := core.AcceptanceEvidence{Kind: core.EvidenceHTTP, Name: name}
	var re *regexp.Regexp
	if h.BodyRegexp != "" {
		var err error
		if re, err = regexp.Compile(h.BodyRegexp); err != nil {
			ev.Detail = fmt.Sprintf("bodyRegexp does not compile: %v", err)
			ev.At = a.now()
			return ev, nil
		}
	}
	client := a.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	rounds, asked := h.Rounds(), 0
	start := a.now()
	// Rounds may be minutes apart and one attempt may wait its timeout: heartbeat all the
	// while, so that the heartbeat timeout only ever catches a lost worker.
	var round atomic.Int64
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(heartbeatEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx, round.Load())
			}
		}
	}()
	for r := 1; r <= rounds; r++ {
		round.Store(int64(r))
		if r > 1 {
			wait := start.Add(time.Duration((r-1)*h.EverySeconds) * time.Second).Sub(a.now())
			if err := sleepCtx(ctx, wait); err != nil {
				return ev, err
			}
		}
		activity.RecordHeartbeat(ctx, r)
		targets, err := a.checkTargets(ctx, in, h)
		if err != nil {
			return ev, err
		}
		if len(targets) == 0 {
			ev.Detail = fmt.Sprintf("round %d of %d: no host of %s/%s serves deploy %s, so there is nothing to ask", r, rounds, in.EnvName, in.StageName, in.DeployID)
			ev.At = a.now()
			return ev, nil
		}
		for _, target := range targets {
			asked++
			if why := askWithRetries(ctx, client, h, target, re); why != "" {
				if err := ctx.Err(); err != nil {
					return ev, err
				}
				ev.Detail = fmt.Sprintf("round %d of %d: %s %s: %s", r, rounds, h.Method, core.RedactURL(target), why)
				ev.At = a.now()
				return ev, nil
			}
		}
	}
	ev.Passed = true
	ev.Detail = fmt.Sprintf("%d of %d rounds passed (%d requests): %s answered %d", rounds, rounds, asked, h.Method, h.ExpectStatus)
	ev.At = a.now()
	return ev, nil
}

// checkTargets are the URLs one round asks: the check's URL, or one per host serving the
// deploy.
func (a *Activities) checkTargets(ctx context.Context, in HTTPCheckInput, h core.HTTPCheck) ([]string, error) {
	if !h.EachHost {
		return []string{core.ExpandURL(h.URL, in.Vars)}, nil
	}
	hosts, err := a.Store.ListStageHosts(ctx, in.EnvName, in.StageName)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, host := range hosts {
		if host.Agent == nil || host.Agent.DeployID != in.DeployID || host.Agent.DeployStage != "SERVING_BUILD" {
			continue
		}
		v := in.Vars
		v.Host = host.HostName
		out = append(out, core.ExpandURL(h.URL, v))
	}
	return out, nil
}

// askWithRetries asks target up to 1+Retries times and returns "" once an answer passes,
// or why the last attempt failed.
func askWithRetries(ctx context.Context, client *http.Client, h core.HTTPCheck, target string, re *regexp.Regexp) string {
	why := ""
	for attempt := 0; attempt <= h.Retries; attempt++ {
		if attempt > 0 && sleepCtx(ctx, time.Second) != nil {
			return why
		}
		if why = askOnce(ctx, client, h, target, re); why == "" {
			return ""
		}
	}
	if h.Retries > 0 {
		why += fmt.Sprintf(" (after %d attempts)", h.Retries+1)
	}
	return why
}

// askOnce asks target once and says why the answer fails the check, "" when it passes.
func askOnce(ctx context.Context, client *http.Client, h core.HTTPCheck, target string, re *regexp.Regexp) string {
	actx, cancel := context.WithTimeout(ctx, time.Duration(h.TimeoutSeconds)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, h.Method, target, nil)
	if err != nil {
		return fmt.Sprintf("cannot build the request: %v", err)
	}
	req.Header.Set("User-Agent", "teletraan-acceptance")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Sprintf("no answer within %ds: %v", h.TimeoutSeconds, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCheckBody))
	if err != nil {
		return fmt.Sprintf("answered %d but the body could not be read: %v", resp.StatusCode, err)
	}
	if resp.StatusCode != h.ExpectStatus {
		return fmt.Sprintf("answered %d, want %d: %s", resp.StatusCode, h.ExpectStatus, snippet(body))
	}
	if h.BodyContains != "" && !strings.Contains(string(body), h.BodyContains) {
		return fmt.Sprintf("answered %d but the body does not contain %q: %s", resp.StatusCode, h.BodyContains, snippet(body))
	}
	if re != nil && !re.Match(body) {
		return fmt.Sprintf("answered %d but the body does not match /%s/: %s", resp.StatusCode, h.BodyRegexp, snippet(body))
	}
	return ""
}

// snippet is the start of a body for a failure's detail, cleaned of control characters.
func snippet(body []byte) string {
	s := core.CleanText(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
