package board

import (
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Host colours of the grid, used as CSS classes: one per host phase, except that a
// never-seen host looks like an unreachable one (neither answers). Excluded and paused
// hosts differ, as the actions that made them do.
const (
	colorServing     = string(core.PhaseServing)     // green
	colorDeploying   = string(core.PhaseDeploying)   // blue
	colorFailed      = string(core.PhaseFailed)      // red
	colorPaused      = string(core.PhasePaused)      // grey: paused at its step, stopped or leaving
	colorExcluded    = string(core.PhaseExcluded)    // pink: excluded from deploys
	colorOther       = string(core.PhaseOtherBuild)  // white
	colorUnreachable = string(core.PhaseUnreachable) // black: never pinged, or silent
)

// phaseColor is the grid colour of a host phase. static/board.js paints the phases the API
// computes with the same one-entry table.
func phaseColor(p core.HostPhase) string {
	switch p {
	case core.PhaseNeverSeen:
		return colorUnreachable
	}
	return string(p)
}

// hostColor is the grid colour of one host of a stage against the stage's current deploy
// (nil when the stage was never deployed): the colour of its core.PhaseOf.
func hostColor(h schema.StageHost, current *schema.Deploy, now time.Time) string {
	return phaseColor(core.PhaseOf(h.Agent, h.LastPingAt, deployIDOf(current), now))
}

// deployIDOf is d's id, "" for none.
func deployIDOf(d *schema.Deploy) string {
	if d == nil {
		return ""
	}
	return d.ID
}

// boardHostActions are the host actions the board offers: those that apply (core.HostActionsFor)
// but stop, which ends the host's service. Stopping is what automation does before a
// machine is terminated (the API and teletraan's CLI offer it); a one-click service stop
// beside every host of a production stage is a button people press by mistake.
func boardHostActions(agent *core.Agent, p core.HostPhase) []string {
	var out []string
	for _, a := range core.HostActionsFor(agent, p) {
		if a != core.HostStop {
			out = append(out, a)
		}
	}
	return out
}
