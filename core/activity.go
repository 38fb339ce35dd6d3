package core

// StageActivity is what a stage is doing, judged from its current deploy: what the home
// page and its filters call deploying, paused, failing, succeeded, aborted or idle.
type StageActivity string

// Stage activities.
const (
	// ActivityIdle is a stage never deployed.
	ActivityIdle StageActivity = "idle"
	// ActivityDeploying is a stage whose current deploy is RUNNING: it admits hosts.
	ActivityDeploying StageActivity = "deploying"
	// ActivityPaused is a stage whose RUNNING deploy an operator paused.
	ActivityPaused StageActivity = "paused"
	// ActivityFailing is a stage whose current deploy is FAILING: it waits for a person (or
	// its failure policy) to abort, roll back or redeploy.
	ActivityFailing StageActivity = "failing"
	// ActivitySucceeded is a stage whose current deploy reached its success threshold
	// (SUCCEEDING, until a newer deploy makes it SUCCEEDED) or SUCCEEDED.
	ActivitySucceeded StageActivity = "succeeded"
	// ActivityAborted is a stage whose last deploy was aborted.
	ActivityAborted StageActivity = "aborted"
)

// ActivityOf is the activity of a stage whose current deploy is in state (paused by an
// operator or not); deployed is false for a stage never deployed. A SUCCEEDING deploy is
// not "deploying": its rollout met the threshold and its workflow only waits to be
// superseded; a FAILING one is failing, not deploying, though its workflow still runs.
//
// Examples: RUNNING → deploying; RUNNING paused → paused; SUCCEEDING → succeeded;
// FAILING (paused or not) → failing; no deploy → idle.
func ActivityOf(state string, paused, deployed bool) StageActivity {
	switch {
	case !deployed:
		return ActivityIdle
	case state == StateFailing:
		return ActivityFailing
	case state == StateRunning && paused:
		return ActivityPaused
	case state == StateRunning:
		return ActivityDeploying
	case state == StateAborted:
		return ActivityAborted
	}
	return ActivitySucceeded
}
