package board

import (
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// unreachableAfter is how long a host may stay silent before the grid paints it black;
// agents ping every few seconds, so five minutes of silence means the host is gone.
const unreachableAfter = 5 * time.Minute

// Host colours of the grid, used as CSS classes. static/board.js repeats hostColor's rules
// (window.teletraan.hostColor) so that pages redraw without a round trip through the
// server's templates; TestStagePageInChromium checks that both agree.
const (
	colorServing     = "serving"     // green: serves the current deploy's build
	colorDeploying   = "deploying"   // blue: on its way to the current deploy's build
	colorFailed      = "failed"      // red: paused by the system or a failed status
	colorPaused      = "paused"      // grey: paused or excluded by a user
	colorOther       = "other"       // white: on another build
	colorUnreachable = "unreachable" // black: never pinged, or silent for five minutes
)

// hostColor classifies one host of a stage against the stage's current deploy (nil when
// the stage was never deployed). Unreachability wins because nothing else the row says can
// be trusted once the host stopped talking.
func hostColor(h schema.StageHost, current *schema.Deploy, now time.Time) string {
	if h.LastPingAt == nil || now.Sub(*h.LastPingAt) > unreachableAfter {
		return colorUnreachable
	}
	a := h.Agent
	if a == nil {
		return colorOther
	}
	switch a.State {
	case core.AgentPausedByUser, core.AgentStop, core.AgentDelete:
		return colorPaused
	case core.AgentPausedBySystem:
		return colorFailed
	}
	if a.Status != "" && a.Status != protocol.StatusSucceeded && a.Status != protocol.StatusUnknown {
		return colorFailed
	}
	if current == nil || a.DeployID != current.ID {
		return colorOther
	}
	if a.DeployStage == protocol.StageServingBuild && a.Status == protocol.StatusSucceeded {
		return colorServing
	}
	return colorDeploying
}
