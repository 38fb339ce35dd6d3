package core

// BranchWarning says why deploying a build from buildBranch to a stage that takes builds
// of stageBranch deserves a second look, or "" when it does not: either branch unknown, or
// the same. Deploys are not refused for it (a hotfix branch is a normal thing to ship);
// people are told before they confirm.
func BranchWarning(stageBranch, buildBranch string) string {
	if stageBranch == "" || buildBranch == "" || stageBranch == buildBranch {
		return ""
	}
	return "build is from branch " + buildBranch + ", but the stage deploys " + stageBranch
}

// PredecessorWarning says why deploying buildID to a stage deserves a second look when the
// stage promotes from predecessor and the build never succeeded there, or "" when it did
// (or the stage has no predecessor). Like BranchWarning it never refuses a deploy.
func PredecessorWarning(predecessor, buildID string, succeededThere bool) string {
	if predecessor == "" || succeededThere {
		return ""
	}
	return "build " + buildID + " has no successful deploy in the predecessor stage " + predecessor
}
