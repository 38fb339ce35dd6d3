package core

// DeployOutcome is what the rollback target rule reads of a deploy.
type DeployOutcome struct {
	ID      string
	BuildID string
	State   string
	// Type and AliasDeployID say, for a ROLLBACK deploy, which deploy it returned to: every
	// deploy between that one and the rollback was rolled back away from.
	Type          string
	AliasDeployID string
	// Acceptance is the deploy's acceptance status: a REJECTED deploy is never a target,
	// and where the stage has acceptance (RollbackRule.RequireAccepted) only an ACCEPTED one is.
	Acceptance string
	// BuildBad marks a deploy whose build is tagged BAD (BuildIsBad): never a target.
	BuildBad bool
}

// RollbackRule is what a stage adds to the rollback target rule.
type RollbackRule struct {
	// RequireAccepted is set for a stage with acceptance: a target must also be ACCEPTED.
	RequireAccepted bool
}

// RollbackTarget picks the deploy a rollback returns to: the newest deploy in history
// (newest first) that
//   - runs a different build from the current deploy's (current is nil for a stage never
//     deployed),
//   - SUCCEEDED (which includes a deploy that was SUCCEEDING when a newer one superseded it),
//   - was not REJECTED, and was ACCEPTED where the stage has acceptance,
//   - is of a build not tagged bad,
//   - and was not rolled back away from: a ROLLBACK deploy to deploy T condemns every deploy
//     newer than T and older than itself, since someone (or an alarm) chose to leave them.
//
// It returns the index in history, or -1 when there is none. The API's rollback, its
// preview, and the automatic rollback of a FAILING deploy all use it, so that they agree.
//
// Example: current d3 (build b3); history [d3 b3 SUCCEEDED, d2 b3 SUCCEEDED, d1 b1 ABORTED,
// d0 b0 SUCCEEDED] → 3 (d0): d3 is current, d2 runs the same build, d1 did not succeed.
func RollbackTarget(history []DeployOutcome, current *DeployOutcome, rule RollbackRule) int {
	// leftUntil is the id of the deploy a newer rollback returned to: the deploys before
	// it (newer) were rolled back away from.
	leftUntil := ""
	for i, d := range history {
		if leftUntil != "" {
			if d.ID != leftUntil {
				continue
			}
			leftUntil = ""
		}
		if d.Type == TypeRollback && d.AliasDeployID != "" && d.AliasDeployID != d.ID {
			leftUntil = d.AliasDeployID
		}
		if current != nil && (d.ID == current.ID || d.BuildID == current.BuildID) {
			continue
		}
		if d.State != StateSucceeded || d.BuildBad || d.Acceptance == AcceptanceRejected {
			continue
		}
		if rule.RequireAccepted && d.Acceptance != AcceptanceAccepted {
			continue
		}
		return i
	}
	return -1
}

// NoRollbackTargetText says why a stage has nothing to roll back to, for a rollback that
// names no target and for an automatic rollback that then waits for a person.
func NoRollbackTargetText(rule RollbackRule) string {
	if rule.RequireAccepted {
		return "no earlier deploy of another build SUCCEEDED and was ACCEPTED, of a build not tagged BAD, and was not rolled back away from"
	}
	return "no earlier deploy of another build SUCCEEDED (and was not REJECTED), of a build not tagged BAD, and was not rolled back away from"
}
