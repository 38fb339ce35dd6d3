package core

// Outcomes of a host in one deploy, as the deploy's record of its hosts keeps them.
const (
	// OutcomeInFlight is a host admitted (or installing) that has not finished yet.
	OutcomeInFlight = ""
	// OutcomeSucceeded is a host serving the deploy's build.
	OutcomeSucceeded = "SUCCEEDED"
	// OutcomeFailed is a host the agent paused after a failing step.
	OutcomeFailed = "FAILED"
	// OutcomeStuck is a host that made no progress for the stage's stuck timeout.
	OutcomeStuck = "STUCK"
)

// IsFinalOutcome reports whether outcome ends a host's part in a deploy, for now: a
// failed host may be retried and a stuck one may still move.
func IsFinalOutcome(outcome string) bool { return outcome != OutcomeInFlight }
