package core

// WaveCounts is how a deploy's hosts stand, as the deploy workflow decides on them.
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

// WindowSize is how many hosts of a stage of total hosts may deploy at once, as Teletraan
// computes it: a count cap alone gives the count, a percent cap alone floor(total×pct/100),
// both give the smaller; never below 1 (a deploy must progress) nor above total.
func WindowSize(total, maxParallel, maxParallelPct int) int {
	if total <= 0 {
		return 0
	}
	w := total
	if maxParallel > 0 {
		w = min(w, maxParallel)
	}
	if maxParallelPct > 0 {
		w = min(w, total*maxParallelPct/100)
	}
	return max(1, min(w, total))
}

// DeployWindow is the window of a deploy of deployType: a ROLLBACK returns hosts to a
// build they ran before and usually still hold extracted, so it goes twice as wide as the
// stage's window (at least 1, at most total) to get a broken stage healthy sooner; every
// other type uses the stage's window.
func DeployWindow(deployType string, total, maxParallel, maxParallelPct int) int {
	w := WindowSize(total, maxParallel, maxParallelPct)
	if deployType == TypeRollback && w > 0 {
		return min(total, 2*w)
	}
	return w
}

// AdmitCount is how many hosts a wave admits: the free slots of the window (window minus
// the hosts in flight, never negative), at most the hosts waiting for an admission.
//
// Examples: window 10, 3 in flight, 20 waiting → 7; window 10, 12 in flight (the stage
// shrank) → 0; window 10, none in flight, 4 waiting → 4.
func AdmitCount(window, inFlight, waiting int) int {
	return min(max(window-inFlight, 0), waiting)
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
// that AwaitWave can stop polling: the verdict changed, a slot of the window is free and
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

// WatchNeedsDecision is WaveNeedsDecision for a deploy that has its verdict and admits no
// more hosts, whose counts are only watched: it needs a decision once the counts leave the
// verdict untilNot ("" never: the counts are only kept current). A deploy FAILING because
// too many hosts failed watches with untilNot FAILING, so that it runs again once a person
// retries those hosts.
func WatchNeedsDecision(c WaveCounts, threshold int, untilNot string) bool {
	return untilNot != "" && Verdict(c, threshold) != untilNot
}
