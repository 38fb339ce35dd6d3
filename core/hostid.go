package core

import "time"

// HostIDCandidate is one host id under a host name that belongs to a stage: a re-imaged
// machine comes back under a new id with the same name.
type HostIDCandidate struct {
	ID string
	// AgentUpdatedAt is when the id's agent row in the stage last changed; nil without one.
	AgentUpdatedAt *time.Time
}

// PickHostID chooses which of a name's host ids stands for the name in a stage's host
// set: the id with an agent row in the stage, the most recently updated one if several,
// else the smallest id, so that every reader shows the same id. "" when there is none.
//
// Examples: [b, a] without agent rows → a; [a, b with an agent row] → b; [a updated at
// 10:00, b updated at 11:00] → b.
func PickHostID(cands []HostIDCandidate) string {
	best := -1
	for i, c := range cands {
		if best < 0 || betterHostID(c, cands[best]) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return cands[best].ID
}

// betterHostID reports whether c stands for its name rather than o.
func betterHostID(c, o HostIDCandidate) bool {
	switch {
	case (c.AgentUpdatedAt != nil) != (o.AgentUpdatedAt != nil):
		return c.AgentUpdatedAt != nil
	case c.AgentUpdatedAt != nil && !c.AgentUpdatedAt.Equal(*o.AgentUpdatedAt):
		return c.AgentUpdatedAt.After(*o.AgentUpdatedAt)
	}
	return c.ID < o.ID
}

// BetterMemberBy reports whether reason a (StageHost.MemberBy) explains a host's place in
// a stage better than b: being named beats a group, and of groups the first by name wins.
func BetterMemberBy(a, b string) bool {
	switch {
	case a == "":
		return false
	case b == "":
		return true
	case a == "host" || b == "host":
		return a == "host" && b != "host"
	}
	return a < b
}
