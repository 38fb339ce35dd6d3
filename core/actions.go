package core

import "fmt"

// Actions a person takes on a stage's current deploy.
const (
	ActionPause  = "pause"
	ActionResume = "resume"
	ActionAbort  = "abort"
)

// StateRefusal is why a deploy in state refuses action, or "" when its state allows it
// (whether it is paused is checked beside this). A SUCCEEDING deploy has reached its
// success threshold and admits no more hosts: pausing it would hold nothing back, and
// aborting it would relabel a rollout that happened as ABORTED without undoing it, so both
// are refused with what to do instead. The README's "Deploy states and actions" table is
// this function.
func StateRefusal(action, deployID, state string) string {
	if state != StateSucceeding {
		return ""
	}
	switch action {
	case ActionPause:
		return fmt.Sprintf("deploy %s is SUCCEEDING: it has reached its success threshold and admits no more hosts, so there is nothing to pause", deployID)
	case ActionAbort:
		return fmt.Sprintf("deploy %s is SUCCEEDING: its build is rolled out and aborting would not undo it; roll back, or deploy another build, which supersedes it", deployID)
	}
	return ""
}
