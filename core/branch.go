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
