package core

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// PromotionCandidate is a build offered to a stage's auto-promotion: a build published
// under the stage's build name, or a deploy qualified on its predecessor stage.
type PromotionCandidate struct {
	BuildID   string
	BuildName string
	Branch    string `json:",omitempty"`
	// SourceDeployID is the predecessor's qualified deploy, for a stage source.
	SourceDeployID string `json:",omitempty"`
	// At is when it became a candidate (published, or qualified); the delay counts from it.
	At time.Time
	// PublishedAt is when the build was published; candidates are ordered by it.
	PublishedAt time.Time
}

// PromotionDeploy is a deploy as auto-promotion weighs it: the stage's current deploy, or
// its predecessor's.
type PromotionDeploy struct {
	DeployID   string
	BuildID    string
	State      string
	Acceptance string `json:",omitempty"`
	// BuildPublishedAt is when the deploy's build was published.
	BuildPublishedAt time.Time
}

// BadBuild is the tag that makes a build bad, as promotion reports it.
type BadBuild struct {
	Operator string
	Comment  string
}

// MaxPromotionCandidates bounds the candidate queue a promotion keeps (the newest).
const MaxPromotionCandidates = 20

// PromotionOperatorPrefix starts the operator of every deploy a promotion starts.
const PromotionOperatorPrefix = "promotion:"

// PromotionOperator is the operator recorded on deploys auto-promotion starts on env/stage.
func PromotionOperator(env, stage string) string {
	return PromotionOperatorPrefix + env + "/" + stage
}

// IsSystemOperator reports whether operator is the system rather than a person: a
// promotion, or teletraan's own automatic rollback ("teletraan (...)").
func IsSystemOperator(operator string) bool {
	return strings.HasPrefix(operator, PromotionOperatorPrefix) || strings.HasPrefix(operator, "teletraan (")
}

// ManualActionDisables reports whether a deploy of deployType by operator turns
// auto-promotion off under the disable policy: a person's deploy, rollback, restart or
// hotfix does under ON_MANUAL_ACTION; the system's never does.
func ManualActionDisables(policy, operator, deployType string) bool {
	return policy == PromoteDisableOnManual && !IsSystemOperator(operator) && ValidDeployType(deployType)
}

// ManualDisableReason is why auto-promotion is off after a person's deploy.
func ManualDisableReason(operator, deployType, deployID string) string {
	kind := map[string]string{TypeRegular: "deploy", TypeHotfix: "hotfix", TypeRollback: "rollback", TypeRestart: "restart"}[deployType]
	return fmt.Sprintf("disabled by %s's manual %s (deploy %s); resume auto-promotion to turn it back on", operator, kind, deployID)
}

// PromotionFailOutcome is what auto-promotion does under policy when a deploy it promoted
// failed: roll the stage back, turn itself off, both, or neither (CONTINUE: the next
// candidate replaces the failed deploy).
func PromotionFailOutcome(policy string) (rollback, disable bool) {
	switch policy {
	case PromoteFailRollback:
		return true, true
	case PromoteFailDisable:
		return false, true
	}
	return false, false
}

// FailDisableReason is why auto-promotion is off after the deploy it promoted failed.
func FailDisableReason(policy, deployID, state string) string {
	if policy == PromoteFailRollback {
		return fmt.Sprintf("disabled after promoted deploy %s went %s (failPolicy ROLLBACK: the stage was rolled back); resume auto-promotion to turn it back on", deployID, state)
	}
	return fmt.Sprintf("disabled after promoted deploy %s went %s (failPolicy DISABLE); resume auto-promotion to turn it back on", deployID, state)
}

// AwaitingVerdict reports whether a deploy still runs or waits for its acceptance
// verdict, so that nothing may replace it yet.
func AwaitingVerdict(state, acceptance string) bool {
	if state == StateRunning {
		return true
	}
	if IsFinalState(state) || state == StateFailing {
		return false
	}
	return acceptance == AcceptanceOutstanding || acceptance == AcceptancePendingAccept || acceptance == "PENDING"
}

// DeployQualified is the seam between a stage and its successors: a deploy qualified when
// it was ACCEPTED on a stage with acceptance, or reached its success threshold
// (SUCCEEDING, later SUCCEEDED) on a stage without.
func DeployQualified(state, acceptance string, hasAcceptance bool) bool {
	if hasAcceptance {
		return acceptance == AcceptanceAccepted
	}
	return state == StateSucceeding || state == StateSucceeded
}

// AddPromotionCandidate puts c in queue, the newest first: a build already queued keeps
// its place and first time (the delay counts from it) but takes c's source deploy; the
// queue keeps the newest MaxPromotionCandidates.
func AddPromotionCandidate(queue []PromotionCandidate, c PromotionCandidate) []PromotionCandidate {
	out := slices.Clone(queue)
	if i := slices.IndexFunc(out, func(q PromotionCandidate) bool { return q.BuildID == c.BuildID }); i >= 0 {
		if c.SourceDeployID != "" {
			out[i].SourceDeployID = c.SourceDeployID
		}
		return out
	}
	out = append(out, c)
	sortCandidates(out)
	if len(out) > MaxPromotionCandidates {
		out = out[:MaxPromotionCandidates]
	}
	return out
}

func sortCandidates(cs []PromotionCandidate) {
	slices.SortStableFunc(cs, func(a, b PromotionCandidate) int {
		if c := b.PublishedAt.Compare(a.PublishedAt); c != 0 {
			return c
		}
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Compare(a.BuildID, b.BuildID)
	})
}

// PromotionFacts is everything one promotion decision weighs; the promotion workflow
// gathers it just before deciding, so that it never acts on a stale picture.
type PromotionFacts struct {
	Now time.Time
	// Stage and SourceName name the stage and its predecessor ("" for BUILD) in texts.
	Stage      string
	SourceName string
	Config     PromoteConfig
	// PausedBy is who paused auto-promotion, "" when it is not paused.
	PausedBy string
	// Disabled is why auto-promotion is off (a fail or disable policy), "" when on.
	Disabled string
	// Current is the stage's current deploy, nil for a stage never deployed.
	Current *PromotionDeploy
	// Source is the predecessor's current deploy, for a stage source.
	Source *PromotionDeploy
	// Candidates is the queue; Bad holds the bad tag of each bad candidate's build.
	Candidates []PromotionCandidate
	Bad        map[string]BadBuild
	// FailedHere maps the builds whose promoted deploy failed on this stage to that
	// deploy: they are not promoted again (a person may still deploy them).
	FailedHere map[string]string
	// Woken says a cron wake is pending; Force is a person's "promote now", which skips
	// pause, disable, schedule, delay, queue size and window but never a bad build or a
	// deploy that has no verdict yet.
	Woken bool
	Force bool
}

// PromotionDecision is what the promotion does now.
type PromotionDecision struct {
	// Promote is the candidate to deploy now, nil to wait.
	Promote *PromotionCandidate
	// WaitUntil is when to decide again without being told anything; zero waits to be told.
	WaitUntil time.Time
	// Why says why it promotes or waits, for the Query, the board and the CLI.
	Why string
	// Keep is the queue from now on: candidates no newer than the current build are dropped.
	Keep []PromotionCandidate
	// WakeUsed says the pending cron wake is spent (it promoted, or had nothing to offer).
	WakeUsed bool
}

// DecidePromotion decides whether a stage's auto-promotion deploys a candidate now, and
// if not, why and until when. The checks, in order: off (disabled, paused), the stage busy
// (its deploy has no verdict yet), no candidate, bad builds, the schedule, the delay, the
// queue size, the window; then the QueueSize-th newest good candidate old enough wins.
func DecidePromotion(f PromotionFacts) PromotionDecision {
	keep := newerThanCurrent(f.Candidates, f.Current)
	d := PromotionDecision{Keep: keep}
	loc := f.Config.Location()
	if !f.Force {
		if f.Disabled != "" {
			d.Why = "auto-promotion " + f.Disabled
			return d
		}
		if f.PausedBy != "" {
			d.Why = fmt.Sprintf("auto-promotion paused by %s; resume to continue", f.PausedBy)
			return d
		}
	}
	if c := f.Current; c != nil && AwaitingVerdict(c.State, c.Acceptance) {
		if c.State == StateRunning {
			d.Why = fmt.Sprintf("waiting for %s's deploy %s of build %s to reach a verdict (RUNNING)", f.Stage, c.DeployID, c.BuildID)
		} else {
			d.Why = fmt.Sprintf("waiting for %s's verdict on deploy %s", f.Stage, c.DeployID)
		}
		return d
	}
	var good []PromotionCandidate
	var firstBad, firstFailed *PromotionCandidate
	for i, c := range keep {
		if _, bad := f.Bad[c.BuildID]; bad {
			if firstBad == nil {
				firstBad = &keep[i]
			}
			continue
		}
		if _, failed := f.FailedHere[c.BuildID]; failed {
			if firstFailed == nil {
				firstFailed = &keep[i]
			}
			continue
		}
		good = append(good, c)
	}
	if len(good) == 0 {
		d.WakeUsed = true
		switch {
		case firstBad != nil:
			b := f.Bad[firstBad.BuildID]
			d.Why = fmt.Sprintf("build %s tagged BAD by %s: %q; waiting for a newer build", firstBad.BuildID, b.Operator, b.Comment)
		case firstFailed != nil:
			d.Why = fmt.Sprintf("build %s failed on %s (deploy %s); waiting for a newer build", firstFailed.BuildID, f.Stage, f.FailedHere[firstFailed.BuildID])
		case f.Source != nil && AwaitingVerdict(f.Source.State, f.Source.Acceptance):
			d.Why = fmt.Sprintf("waiting for %s's verdict on deploy %s", f.SourceName, f.Source.DeployID)
		case f.Config.FromStage() != "":
			d.Why = fmt.Sprintf("no candidate: waiting for a deploy of a newer build to qualify in %s", f.SourceName)
		case f.Config.Branch != "":
			d.Why = fmt.Sprintf("no candidate: waiting for a new build of %s on branch %s", f.Config.Source, f.Config.Branch)
		default:
			d.Why = "no candidate: waiting for a new build"
		}
		return d
	}
	if f.Force {
		pick := good[0]
		d.Promote, d.WakeUsed = &pick, true
		d.Why = fmt.Sprintf("promoting build %s now, as asked", pick.BuildID)
		return d
	}
	if !f.Config.OnEvent && !f.Woken {
		d.Why = fmt.Sprintf("build %s waits for the schedule (cron %q, %s)", good[0].BuildID, f.Config.Cron, loc)
		return d
	}
	delay := time.Duration(f.Config.DelaySeconds) * time.Second
	var ripe []PromotionCandidate
	var ripenAt []time.Time
	for _, c := range good {
		if at := c.At.Add(delay); at.After(f.Now) {
			ripenAt = append(ripenAt, at)
			continue
		}
		ripe = append(ripe, c)
	}
	n := f.Config.QueueSize
	if n < 1 {
		n = 1
	}
	if len(ripe) < n {
		if len(ripe)+len(ripenAt) >= n {
			slices.SortFunc(ripenAt, func(a, b time.Time) int { return a.Compare(b) })
			d.WaitUntil = ripenAt[n-len(ripe)-1]
			d.Why = fmt.Sprintf("build %s is younger than the delay of %s: promoting from %s", good[0].BuildID, delay, d.WaitUntil.In(loc).Format("Mon 15:04:05 MST"))
			return d
		}
		d.Why = fmt.Sprintf("%d of the %d candidates queueSize asks for", len(good), n)
		return d
	}
	if !WindowOpen(f.Config.Window, f.Now, loc) {
		d.WaitUntil = NextWindowOpening(f.Config.Window, f.Now, loc)
		d.Why = fmt.Sprintf("%s; then the newest candidate (now build %s) is promoted", WindowClosedText(d.WaitUntil, loc), ripe[n-1].BuildID)
		return d
	}
	pick := ripe[n-1]
	d.Promote, d.WakeUsed = &pick, true
	d.Why = fmt.Sprintf("promoting build %s", pick.BuildID)
	return d
}

// newerThanCurrent is the queue, newest first, without the candidates that are the
// current deploy's build or were published before it.
func newerThanCurrent(queue []PromotionCandidate, cur *PromotionDeploy) []PromotionCandidate {
	out := make([]PromotionCandidate, 0, len(queue))
	for _, c := range queue {
		if cur != nil && cur.BuildID != "" && (c.BuildID == cur.BuildID || c.PublishedAt.Before(cur.BuildPublishedAt)) {
			continue
		}
		out = append(out, c)
	}
	sortCandidates(out)
	return out
}

// PromoteChainError checks a stage's promote config against its environment's others
// (configs maps each stage of the environment to its promote config, nil for none, with
// the stage's new config in place): the predecessor must exist and no chain of
// predecessors may come back to a stage. It returns a field error naming the cycle.
func PromoteChainError(env, stage string, configs map[string]*PromoteConfig) error {
	p := configs[stage]
	from := p.FromStage()
	if from == "" {
		return nil
	}
	if _, ok := configs[from]; !ok {
		return FieldErrorf("promote.source", "stage %s/%s does not exist; use BUILD or a stage of %s", env, from, env)
	}
	path := []string{stage}
	for cur := from; cur != ""; cur = configs[cur].FromStage() {
		path = append(path, cur)
		if cur == stage {
			return FieldErrorf("promote.source", "makes a cycle of predecessor stages: %s", strings.Join(path, " ← "))
		}
		if len(path) > len(configs)+1 {
			break
		}
	}
	return nil
}

// PipelineOrder sorts an environment's stages in promotion order: every stage after its
// predecessor, roots (BUILD sources and stages without promotion) by name, each stage's
// successors by name after it.
func PipelineOrder(configs map[string]*PromoteConfig) []string {
	children := map[string][]string{}
	var roots []string
	for _, name := range sortedStageNames(configs) {
		from := configs[name].FromStage()
		if _, ok := configs[from]; from == "" || !ok {
			roots = append(roots, name)
			continue
		}
		children[from] = append(children[from], name)
	}
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		out = append(out, n)
		for _, c := range children[n] {
			visit(c)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	// A cycle (which PromoteChainError refuses) would leave stages out; list them last.
	for _, n := range sortedStageNames(configs) {
		visit(n)
	}
	return out
}

func sortedStageNames(m map[string]*PromoteConfig) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
