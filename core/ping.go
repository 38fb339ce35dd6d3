package core

import (
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// Membership is how a host belongs to a stage, weakest first, so that a larger value wins.
type Membership int

// Memberships, weakest first.
const (
	// NotMember marks a stage the host only reports on or still has an agent row for.
	NotMember Membership = iota
	// MemberByGroup marks a stage whose capacity lists one of the host's groups.
	MemberByGroup
	// MemberByHost marks a stage whose capacity names the host.
	MemberByHost
)

// StageRef is what the ping decision reads of a stage: its identity and the config that
// travels in a goal.
type StageRef struct {
	ID              string
	EnvName         string
	StageName       string
	CurrentDeployID string
	// StageType travels in every goal (StageTypes; "" reads as DEFAULT).
	StageType       string
	ScriptVariables map[string]string
	AgentConfigs    map[string]string
	// Secrets are the values of the stage's secret script variables: they travel in the
	// goal, and are hidden in the script output the decision stores.
	Secrets []string
}

// DeployRef is what the ping decision reads of a stage's current deploy.
type DeployRef struct {
	ID   string
	Type string
	// State is the deploy's state; an ABORTED deploy stops the hosts still working on it.
	State string
	// Alias is, for a rollback, the deploy whose build it returns to: a host still serving
	// that deploy already runs the build and counts as done (OnAlias).
	Alias string
}

// Build is what the ping decision reads of the current deploy's build: what the agent
// needs to download and verify it, and what it shows about it.
type Build struct {
	ID          string
	Name        string
	ArtifactURL string
	Checksum    string
	Repo        string
	Branch      string
	Commit      string
	CommitShort string
	CommitInfo  string
	CommitDate  *time.Time
	PublishInfo string
	Publisher   string
	PublishedAt time.Time
}

// PingStage is one stage as a ping's goal decision sees it: the stage, its current deploy
// and build, how the host belongs to it, and the host's agent row in it.
type PingStage struct {
	Stage      StageRef
	Deploy     *DeployRef // nil before the stage's first deploy
	Build      *Build     // the current deploy's build; nil when Deploy is nil
	Membership Membership
	Agent      *Agent // nil when the host has no agent row for the stage
	// AdmittedDeployID is the deploy that last admitted this host to start in the stage; a
	// host idle on an older deploy waits until it equals Deploy.ID.
	AdmittedDeployID string
}

// PingState is everything a ping's decision reads, taken in one statement so that it is a
// consistent snapshot.
type PingState struct {
	// Stages are the host's member stages (at most one per environment, see
	// ResolveMembership) and the stages it reports on or has agent rows for, sorted by
	// environment and stage name.
	Stages []PingStage
	// Now is the store's clock at the ping, for the timestamps of the rows the decision writes.
	Now time.Time
}

// PingWrites are the agent rows a ping's decision changes.
type PingWrites struct {
	Agents []Agent      // inserted or replaced
	Errors []AgentError // inserted or replaced
	// Forget lists stages whose agent row and error the host no longer needs: it left the
	// stage and its agent acknowledged the DELETE.
	Forget []string
}

// IsEmpty reports whether w changes nothing, which lets a steady-state ping skip its
// transaction.
func (w PingWrites) IsEmpty() bool {
	return len(w.Agents) == 0 && len(w.Errors) == 0 && len(w.Forget) == 0
}

// agentBuild converts a build to the agent's view: dates as epoch milliseconds.
func agentBuild(b *Build) *protocol.Build {
	pb := &protocol.Build{
		ID: b.ID, Name: b.Name, ArtifactURL: b.ArtifactURL, Repo: b.Repo, Branch: b.Branch,
		Commit: b.Commit, CommitShort: b.CommitShort, CommitInfo: b.CommitInfo,
		PublishInfo: b.PublishInfo, Publisher: b.Publisher, PublishDate: b.PublishedAt.UnixMilli(),
		Checksum: b.Checksum,
	}
	if b.CommitDate != nil {
		pb.CommitDate = b.CommitDate.UnixMilli()
	}
	return pb
}
