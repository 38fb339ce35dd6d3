package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// SupersededReasonPrefix starts the reason of the AbortDeploySignal a stage workflow sends
// to a deploy that a newer one replaces; the deploy tells supersession from an abort by it.
const SupersededReasonPrefix = "superseded by deploy "

// WavesPerRun bounds the waves of one deploy workflow run; the workflow continues-as-new
// after that many (or earlier, when the server suggests it) so its history stays small.
const WavesPerRun = 500

// RegularBlockedBy is the rejection of a REGULAR deploy request while cur, a HOTFIX or
// ROLLBACK deploy, is still running (Teletraan: a hotfix or rollback must not be undone
// by a routine deploy by accident); "" when nothing blocks it. force overrides it.
func RegularBlockedBy(reqType string, force bool, cur *DeployRef) string {
	if reqType != core.TypeRegular || force || cur == nil || cur.Aborting {
		return ""
	}
	if cur.Type != core.TypeHotfix && cur.Type != core.TypeRollback {
		return ""
	}
	if cur.State != "" && cur.State != core.StateRunning {
		return ""
	}
	return fmt.Sprintf("a %s deploy is running; abort it first or wait (or send \"force\": true to replace it)", cur.Type)
}

// IsSupersession reports whether an abort request is the stage workflow replacing the
// deploy with a newer one rather than a person stopping it.
func IsSupersession(req AbortRequest) bool {
	return strings.HasPrefix(req.Reason, SupersededReasonPrefix)
}

// FinalState is the state a deploy in state ends in when req stops it: a SUCCEEDING
// deploy that a newer one supersedes has SUCCEEDED (Teletraan makes deploys final only
// when replaced); everything else, and every explicit abort, is ABORTED.
func FinalState(state string, req AbortRequest) string {
	if state == core.StateSucceeding && IsSupersession(req) {
		return core.StateSucceeded
	}
	return core.StateAborted
}

// verdictReason explains a SUCCEEDING or FAILING verdict to the person reading the deploy.
func verdictReason(state string, c core.WaveCounts, threshold int, buildID, env, stage string) string {
	switch {
	case state == core.StateSucceeding:
		return fmt.Sprintf("%d of %d hosts serving build %s", c.Succeeded, c.Total, buildID)
	case c.Total <= 0:
		return noHostsReason(env, stage)
	case core.IsFailing(c.Failed+c.Stuck, c.Total, threshold):
		return fmt.Sprintf("%d of %d hosts failed (%d with a fatal error, %d stuck): the success threshold of %d%% can no longer be met; abort, or deploy again after fixing the hosts",
			c.Failed+c.Stuck, c.Total, c.Failed, c.Stuck, threshold)
	default:
		held := c.Total - c.Succeeded - c.Failed - c.InFlight - c.Remaining
		return fmt.Sprintf("only %d of %d hosts serve build %s and none is left to deploy (%d failed, %d paused or stopped): the success threshold of %d%% is not met",
			c.Succeeded, c.Total, buildID, c.Failed, held, threshold)
	}
}

// noHostsReason is the FAILING reason of a deploy to a stage without hosts.
func noHostsReason(env, stage string) string {
	return fmt.Sprintf("stage %s/%s has no hosts: add hosts or groups to its capacity", env, stage)
}

// progressSummary is the one-line description shown in the Temporal UI.
func progressSummary(p DeployProgress) string {
	if p.BakingUntil != nil {
		return fmt.Sprintf("%s: BAKING until %s after wave %d: %d of %d hosts serving, %d failed, %d to go",
			p.State, p.BakingUntil.UTC().Format(time.RFC3339), p.Wave, p.Succeeded, p.TotalHosts, p.Failed, p.Remaining)
	}
	return fmt.Sprintf("%s: wave %d, window %d: %d of %d hosts serving, %d failed, %d in flight (%d stuck), %d to go",
		p.State, p.Wave, p.Window, p.Succeeded, p.TotalHosts, p.Failed, p.InFlight, p.Stuck, p.Remaining)
}
