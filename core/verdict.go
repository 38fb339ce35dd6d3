package core

// The success verdict of a rolling deploy. The deploy workflow applies it after every wave
// and the AwaitWave activity applies it to know when to stop polling, so it lives here
// rather than in either of them.

// WaveCounts are a deploy's host counts; per-host state stays in the database.
type WaveCounts struct {
	// Total is the number of hosts in the stage now.
	Total int
	// Succeeded counts hosts serving this deploy's build.
	Succeeded int
	// Failed counts hosts that hit a fatal error on this deploy (PAUSED_BY_SYSTEM).
	Failed int
	// InFlight counts hosts deploying it, admitted to it, or installing it by themselves.
	InFlight int
	// Remaining counts hosts that wait for an admission.
	Remaining int
	// Stuck counts in-flight hosts whose deploy stage has not moved for the stuck timeout;
	// they count as failed for the threshold but keep their slot.
	Stuck int
}

// IsSucceeding reports whether succeeded of total hosts meet a success threshold given in
// percent (Teletraan §5.1: succeeded×100 ≥ threshold×total). A stage without hosts never
// succeeds: a deploy to nowhere must not look like a success.
func IsSucceeding(succeeded, total, threshold int) bool {
	return total > 0 && succeeded*100 >= threshold*total
}

// IsFailing reports whether failed of total hosts make a success threshold (percent)
// unreachable: failed×100 > (100−threshold)×total.
func IsFailing(failed, total, threshold int) bool {
	return total > 0 && failed*100 > (100-threshold)*total
}

// Verdict is the state a deploy's host counts call for: SUCCEEDING once enough hosts serve
// the build; FAILING when too many failed or got stuck, when the stage has no hosts, or
// when nothing is left to deploy yet the threshold is not met (hosts paused by a person
// hold it back); RUNNING otherwise. Success is checked first, as in Teletraan.
func Verdict(c WaveCounts, threshold int) string {
	switch {
	case IsSucceeding(c.Succeeded, c.Total, threshold):
		return StateSucceeding
	case c.Total <= 0, IsFailing(c.Failed+c.Stuck, c.Total, threshold):
		return StateFailing
	case c.InFlight == 0 && c.Remaining == 0:
		return StateFailing
	}
	return StateRunning
}

// WaveNeedsDecision reports whether the workflow has something to decide on counts c, so
// that the AwaitWave activity can stop polling: the verdict changed, a slot of the window is free and
// hosts remain (drain: the whole wave finished, so that a bake time follows a complete
// wave), or every host is done.
func WaveNeedsDecision(c WaveCounts, window, threshold int, drain bool) bool {
	if Verdict(c, threshold) != StateRunning {
		return true
	}
	if c.Remaining == 0 {
		return c.InFlight == 0
	}
	if drain {
		return c.InFlight == 0
	}
	return c.InFlight < window
}
