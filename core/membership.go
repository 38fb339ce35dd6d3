package core

// MemberClaim is one stage's claim on a host: the stage names the host in its capacity
// (MemberByHost) or lists one of the host's groups (MemberByGroup).
type MemberClaim struct {
	EnvName   string
	StageName string
	By        Membership
}

// WinsOver reports whether claim c beats claim o for the same host in the same
// environment. A host serves at most one stage per environment, because agents key their
// status by environment name; the membership winner rule is: the stronger membership wins
// (named beats grouped), then the stage first by name.
//
// Examples: web/b naming the host beats web/a grouping it; of web/a and web/b both
// grouping it, web/a wins; NotMember never wins over a claim.
func (c MemberClaim) WinsOver(o MemberClaim) bool {
	if c.By != o.By {
		return c.By > o.By
	}
	return c.StageName < o.StageName
}

// Winners reports, for each of one host's claims, whether it is the stage the host serves
// in its environment (at most one true per environment; NotMember claims never win).
//
// Example: claims [web/a by group, web/b by host, api/x by group] give [false, true, true].
func Winners(claims []MemberClaim) []bool {
	best := map[string]int{}
	for i, c := range claims {
		if c.By == NotMember {
			continue
		}
		if j, ok := best[c.EnvName]; !ok || c.WinsOver(claims[j]) {
			best[c.EnvName] = i
		}
	}
	out := make([]bool, len(claims))
	for _, i := range best {
		out[i] = true
	}
	return out
}

// ResolveMembership applies the winner rule to a ping's stages: every stage but the
// winner of its environment becomes NotMember for the host.
func ResolveMembership(stages []PingStage) {
	claims := make([]MemberClaim, len(stages))
	for i, ps := range stages {
		claims[i] = MemberClaim{EnvName: ps.Stage.EnvName, StageName: ps.Stage.StageName, By: ps.Membership}
	}
	for i, won := range Winners(claims) {
		if !won {
			stages[i].Membership = NotMember
		}
	}
}
