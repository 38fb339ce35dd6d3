package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// Names of the promotion workflow's messages.
const (
	// PromotionNoticeSignal tells a promotion workflow something happened, carrying an
	// activities.PromotionNotice; callers signal-with-start it.
	PromotionNoticeSignal = "promotion-notice"
	// PromotionStatusQuery returns a promotion workflow's PromotionStatus.
	PromotionStatusQuery = "promotion-status"
	// PausePromotionUpdate pauses auto-promotion, carrying a PromotionActionRequest.
	PausePromotionUpdate = "pause-promotion"
	// ResumePromotionUpdate resumes auto-promotion that was paused or disabled.
	ResumePromotionUpdate = "resume-promotion"
	// PromoteNowUpdate deploys the newest good candidate now, skipping pause, schedule,
	// delay, queue size and window; it answers a PromotionActionResult.
	PromoteNowUpdate = "promote-now"
)

// PromotionWorkflowID is the id of the one promotion workflow of env/stage.
func PromotionWorkflowID(env, stage string) string { return "promote/" + env + "/" + stage }

// PromotionScheduleID is the id of the Temporal Schedule that wakes env/stage's promotion.
func PromotionScheduleID(env, stage string) string { return "promote/" + env + "/" + stage }

// PromotionWakeWorkflowID is the id the schedule gives the wake workflows it starts (the
// server appends the fire time).
func PromotionWakeWorkflowID(env, stage string) string { return "promote-wake/" + env + "/" + stage }

// PromotionInput starts (or continues) a promotion workflow.
type PromotionInput struct {
	StageID   string
	EnvName   string
	StageName string
	// State carries the workflow's state across continue-as-new.
	State *PromotionState `json:",omitempty"`
}

// PromotionState is what a promotion workflow remembers.
type PromotionState struct {
	// Candidates is the queue, newest first.
	Candidates []core.PromotionCandidate `json:",omitempty"`
	// PausedBy is who paused auto-promotion, "" when it is not paused.
	PausedBy string `json:",omitempty"`
	// Disabled is why a fail or disable policy turned auto-promotion off.
	Disabled string `json:",omitempty"`
	// Woken says a cron wake is pending.
	Woken bool `json:",omitempty"`
	// Promoted is the last deploy this promotion started.
	Promoted *PromotedDeploy `json:",omitempty"`
	// FailedHere maps the builds whose promoted deploy failed here to that deploy (the
	// newest core.MaxPromotionCandidates): they are not promoted again.
	FailedHere  map[string]string `json:",omitempty"`
	FailedOrder []string          `json:",omitempty"`
	// Notices are the notices taken but not applied yet (across continue-as-new).
	Notices []activities.PromotionNotice `json:",omitempty"`
}

// PromotedDeploy is a deploy a promotion started.
type PromotedDeploy struct {
	DeployID string
	BuildID  string
	At       time.Time
	// Failed says the fail policy was applied to it.
	Failed bool `json:",omitempty"`
}

// PromotionStatus answers PromotionStatusQuery.
type PromotionStatus struct {
	EnvName   string
	StageName string
	// Why says why it is not promoting now (or what it promotes).
	Why string
	// Next is the candidate it would promote next, nil when none.
	Next *core.PromotionCandidate `json:",omitempty"`
	// WaitUntil is when it looks again by itself (delay, window), nil when it waits to be told.
	WaitUntil  *time.Time `json:",omitempty"`
	Candidates []core.PromotionCandidate
	PausedBy   string          `json:",omitempty"`
	Disabled   string          `json:",omitempty"`
	Promoted   *PromotedDeploy `json:",omitempty"`
	DecidedAt  time.Time
}

// PromotionActionRequest is the payload of the pause, resume and promote-now updates.
type PromotionActionRequest struct {
	Operator string
}

// PromotionActionResult answers the promotion updates.
type PromotionActionResult struct {
	// DeployID is the deploy promote-now started.
	DeployID string `json:",omitempty"`
	BuildID  string `json:",omitempty"`
	Why      string
	PausedBy string `json:",omitempty"`
	Disabled string `json:",omitempty"`
}

// promotionWebhookChange gates the PROMOTION webhook event a promotion emits for each
// deploy it starts.
const promotionWebhookChange = "promotion-webhook"

// promotionRunNotices bounds the notices one run takes before it continues as new, so its
// history stays small however long the stage lives.
const promotionRunNotices = 200

// PromotionWorkflow is a stage's auto-promotion: one per stage with a promote config,
// long-lived. It is told about candidates (a build published, a deploy qualified upstream)
// and woken by its Temporal Schedule; it keeps the candidate queue and decides with
// core.DecidePromotion on a fresh read of the store, waits with durable timers for the
// delay and the window, asks the stage workflow to deploy (the stage stays the single
// writer and refuses a stale candidate), and applies the fail and disable policies when it
// hears how deploys went. It ends when the stage has no promote config any more.
func PromotionWorkflow(ctx workflow.Context, in PromotionInput) error {
	if in.EnvName == "" || in.StageName == "" || in.StageID == "" {
		return temporal.NewNonRetryableApplicationError("promotion workflow needs EnvName, StageName and StageID", "InvalidInput", nil)
	}
	p := &promotionImpl{in: in, turn: workflow.NewMutex(ctx)}
	if in.State != nil {
		p.state = *in.State
	}
	p.status = PromotionStatus{EnvName: in.EnvName, StageName: in.StageName, Why: "starting"}
	if err := p.setup(ctx); err != nil {
		return err
	}
	return p.run(ctx)
}

type promotionImpl struct {
	in     PromotionInput
	state  PromotionState
	status PromotionStatus
	// turn serialises decisions: the loop's and promote-now's.
	turn workflow.Mutex
	// dirty says an update changed the state, so the loop decides again.
	dirty bool
	taken int
}

func (p *promotionImpl) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, PromotionStatusQuery, func() (PromotionStatus, error) {
		st := p.status
		st.Candidates = p.state.Candidates
		st.PausedBy, st.Disabled, st.Promoted = p.state.PausedBy, p.state.Disabled, p.state.Promoted
		return st, nil
	}); err != nil {
		return err
	}
	updates := []struct {
		name     string
		handler  func(workflow.Context, PromotionActionRequest) (PromotionActionResult, error)
		validate func(workflow.Context, PromotionActionRequest) error
	}{
		{PausePromotionUpdate, p.pause, func(_ workflow.Context, r PromotionActionRequest) error {
			if r.Operator == "" {
				return rejection(core.EINVALID, "operator is required")
			}
			if p.state.PausedBy != "" {
				return rejection(core.ECONFLICT, fmt.Sprintf("auto-promotion of %s/%s is paused already (by %s)", p.in.EnvName, p.in.StageName, p.state.PausedBy))
			}
			return nil
		}},
		{ResumePromotionUpdate, p.resume, func(_ workflow.Context, r PromotionActionRequest) error {
			if r.Operator == "" {
				return rejection(core.EINVALID, "operator is required")
			}
			if p.state.PausedBy == "" && p.state.Disabled == "" {
				return rejection(core.ECONFLICT, fmt.Sprintf("auto-promotion of %s/%s is neither paused nor disabled", p.in.EnvName, p.in.StageName))
			}
			return nil
		}},
		{PromoteNowUpdate, p.promoteNow, func(_ workflow.Context, r PromotionActionRequest) error {
			if r.Operator == "" {
				return rejection(core.EINVALID, "operator is required")
			}
			return nil
		}},
	}
	for _, u := range updates {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handler, workflow.UpdateHandlerOptions{Validator: u.validate}); err != nil {
			return err
		}
	}
	return nil
}

func (p *promotionImpl) result() PromotionActionResult {
	return PromotionActionResult{Why: p.status.Why, PausedBy: p.state.PausedBy, Disabled: p.state.Disabled}
}

func (p *promotionImpl) pause(ctx workflow.Context, r PromotionActionRequest) (PromotionActionResult, error) {
	p.state.PausedBy, p.dirty = r.Operator, true
	p.status.Why = fmt.Sprintf("auto-promotion paused by %s; resume to continue", r.Operator)
	return p.result(), nil
}

func (p *promotionImpl) resume(ctx workflow.Context, r PromotionActionRequest) (PromotionActionResult, error) {
	p.state.PausedBy, p.state.Disabled, p.dirty = "", "", true
	p.status.Why = "resumed by " + r.Operator
	return p.result(), nil
}

// promoteNow decides at once with Force and deploys, or answers why it cannot.
func (p *promotionImpl) promoteNow(ctx workflow.Context, r PromotionActionRequest) (PromotionActionResult, error) {
	if err := p.turn.Lock(ctx); err != nil {
		return PromotionActionResult{}, err
	}
	defer p.turn.Unlock()
	deployed, ended, err := p.decide(ctx, true, r.Operator)
	if err != nil {
		return PromotionActionResult{}, err
	}
	if ended {
		return PromotionActionResult{}, rejection(core.ENOTFOUND, fmt.Sprintf("stage %s/%s has no promote config", p.in.EnvName, p.in.StageName))
	}
	if deployed == nil {
		return PromotionActionResult{}, rejection(core.ECONFLICT, "not promoting: "+p.status.Why)
	}
	res := p.result()
	res.DeployID, res.BuildID = deployed.DeployID, deployed.BuildID
	return res, nil
}

func (p *promotionImpl) run(ctx workflow.Context) error {
	notices := workflow.GetSignalChannel(ctx, PromotionNoticeSignal)
	for {
		p.take(notices)
		// Cleared before deciding, so that a pause or resume arriving meanwhile decides again.
		p.dirty = false
		if err := p.turn.Lock(ctx); err != nil {
			return err
		}
		_, ended, err := p.decide(ctx, false, "")
		p.turn.Unlock()
		if err != nil {
			return err
		}
		if ended {
			// The stage lost its promote config (or was deleted): nothing to promote to.
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
		wake := func() bool {
			return notices.Len() > 0 || p.dirty || p.taken >= promotionRunNotices || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}
		var waitErr error
		if w := p.status.WaitUntil; w != nil {
			// A durable timer: the delay or the window, however long, survives any worker.
			_, waitErr = workflow.AwaitWithTimeout(ctx, max(w.Sub(workflow.Now(ctx)), time.Second), wake)
		} else {
			waitErr = workflow.Await(ctx, wake)
		}
		if waitErr != nil {
			return temporal.NewCanceledError("promotion workflow cancelled")
		}
		if p.taken >= promotionRunNotices || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return !p.turn.IsLocked() && workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			p.take(notices)
			next := p.in
			state := p.state
			next.State = &state
			return workflow.NewContinueAsNewError(ctx, PromotionWorkflow, next)
		}
	}
}

// take moves the notices that arrived into the state, to apply at the next decision.
func (p *promotionImpl) take(ch workflow.ReceiveChannel) {
	for {
		var n activities.PromotionNotice
		if !ch.ReceiveAsync(&n) {
			return
		}
		p.state.Notices = append(p.state.Notices, n)
		p.taken++
	}
}

// decide reads the store, applies the pending notices with the config it read, decides
// with core.DecidePromotion and deploys what it picked. It returns the deploy it started
// (nil for none) and whether the stage no longer has a promote config.
func (p *promotionImpl) decide(ctx workflow.Context, force bool, operator string) (*PromotedDeploy, bool, error) {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	ids := make([]string, 0, len(p.state.Candidates))
	for _, c := range p.state.Candidates {
		ids = append(ids, c.BuildID)
	}
	var load activities.LoadPromotionResult
	if err := workflow.ExecuteActivity(actx, acts.LoadPromotion, activities.LoadPromotionInput{StageID: p.in.StageID, Candidates: ids}).Get(ctx, &load); err != nil {
		p.status.Why = fmt.Sprintf("could not read the stage: %v", err)
		return nil, false, nil
	}
	if load.Config == nil {
		p.status.Why = "the stage has no promote config"
		return nil, true, nil
	}
	cfg := *load.Config
	p.apply(ctx, cfg, load)
	if load.Latest != nil && load.Latest.BuildName == load.BuildName {
		p.state.Candidates = core.AddPromotionCandidate(p.state.Candidates, *load.Latest)
	}
	now := workflow.Now(ctx)
	d := core.DecidePromotion(core.PromotionFacts{
		Now: now, Stage: p.in.StageName, SourceName: cfg.FromStage(), Config: cfg,
		PausedBy: p.state.PausedBy, Disabled: p.state.Disabled,
		Current: load.Current, Source: load.Source, Candidates: p.state.Candidates, Bad: load.Bad, FailedHere: p.state.FailedHere,
		Woken: p.state.Woken, Force: force,
	})
	p.state.Candidates = d.Keep
	if d.WakeUsed {
		p.state.Woken = false
	}
	p.status.Why, p.status.DecidedAt, p.status.Next, p.status.WaitUntil = d.Why, now, nil, nil
	if !d.WaitUntil.IsZero() {
		w := d.WaitUntil
		p.status.WaitUntil = &w
	}
	if d.Promote == nil {
		if len(d.Keep) > 0 {
			next := d.Keep[0]
			p.status.Next = &next
		}
		return nil, false, nil
	}
	pick := *d.Promote
	p.status.Next = &pick
	expect := ""
	if load.Current != nil {
		expect = load.Current.DeployID
	}
	desc := fmt.Sprintf("auto-promotion of build %s", pick.BuildID)
	if pick.SourceDeployID != "" {
		desc = fmt.Sprintf("auto-promotion of build %s, qualified in %s/%s by deploy %s", pick.BuildID, p.in.EnvName, cfg.FromStage(), pick.SourceDeployID)
	}
	if force {
		desc = fmt.Sprintf("promote now of build %s, asked by %s", pick.BuildID, operator)
	}
	var res activities.StartPromotedDeployResult
	err := workflow.ExecuteActivity(actx, acts.StartPromotedDeploy, activities.StartPromotedDeployInput{
		StageID: p.in.StageID, Candidate: pick, ExpectCurrent: expect,
		Operator: core.PromotionOperator(p.in.EnvName, p.in.StageName), Description: desc,
	}).Get(ctx, &res)
	if err != nil {
		p.status.Why = fmt.Sprintf("could not deploy build %s: %v", pick.BuildID, err)
		return nil, false, nil
	}
	if res.Refused != "" {
		// The stage moved on since the read (a stale candidate): the next notice decides again.
		p.status.Why = fmt.Sprintf("the stage refused build %s: %s", pick.BuildID, res.Refused)
		return nil, false, nil
	}
	p.state.Promoted = &PromotedDeploy{DeployID: res.DeployID, BuildID: pick.BuildID, At: now}
	p.status.Why = fmt.Sprintf("promoted build %s (deploy %s)", pick.BuildID, res.DeployID)
	if workflow.GetVersion(ctx, promotionWebhookChange, workflow.DefaultVersion, 1) >= 1 {
		EmitWebhook(ctx, activities.EmitWebhookInput{DeployID: res.DeployID, Event: core.EventPromotion, State: core.StateRunning,
			Message: fmt.Sprintf("%s to %s/%s", desc, p.in.EnvName, p.in.StageName)})
	}
	return p.state.Promoted, false, nil
}

// apply applies the pending notices under cfg: candidates join the queue, a wake arms
// the schedule, a person's deploy may disable promotion (disable policy), and a promoted
// deploy that failed applies the fail policy.
func (p *promotionImpl) apply(ctx workflow.Context, cfg core.PromoteConfig, load activities.LoadPromotionResult) {
	notices := p.state.Notices
	p.state.Notices = nil
	for _, n := range notices {
		switch n.Kind {
		case activities.NoticeCandidate:
			if c := n.Candidate; c != nil && c.BuildName == load.BuildName {
				p.state.Candidates = core.AddPromotionCandidate(p.state.Candidates, *c)
			}
		case activities.NoticeWake:
			p.state.Woken = true
		case activities.NoticeStarted:
			if core.ManualActionDisables(cfg.DisablePolicy, n.Operator, n.Type) && p.state.Disabled == "" {
				p.state.Disabled = core.ManualDisableReason(n.Operator, n.Type, n.DeployID)
			}
		case activities.NoticeVerdict:
			pr := p.state.Promoted
			if pr == nil || pr.DeployID != n.DeployID || pr.Failed || (n.State != core.StateFailing && n.State != core.AcceptanceRejected) {
				continue
			}
			// Once per promoted deploy: a verdict may be told again (signals are at least
			// once, a deploy may go FAILING twice), and a person's resume must stick.
			pr.Failed = true
			p.noteFailed(pr)
			rollback, disable := core.PromotionFailOutcome(cfg.FailPolicy)
			if rollback {
				req := AutoRollbackRequest{DeployID: n.DeployID, Reason: fmt.Sprintf("promoted deploy %s went %s; the promotion's failPolicy is ROLLBACK", n.DeployID, n.State)}
				if err := workflow.SignalExternalWorkflow(ctx, StageWorkflowID(p.in.EnvName, p.in.StageName), "", AutoRollbackSignal, req).Get(ctx, nil); err != nil {
					workflow.GetLogger(ctx).Warn("could not ask the stage to roll back", "deploy", n.DeployID, "error", err)
				}
			}
			if disable {
				p.state.Disabled = core.FailDisableReason(cfg.FailPolicy, n.DeployID, n.State)
			}
		}
	}
}

// noteFailed remembers that pr's build failed here, forgetting the oldest beyond the
// queue's bound (those are older than every candidate the queue can hold).
func (p *promotionImpl) noteFailed(pr *PromotedDeploy) {
	if p.state.FailedHere == nil {
		p.state.FailedHere = map[string]string{}
	}
	p.state.FailedHere[pr.BuildID] = pr.DeployID
	p.state.FailedOrder = append(p.state.FailedOrder, pr.BuildID)
	for len(p.state.FailedOrder) > core.MaxPromotionCandidates {
		delete(p.state.FailedHere, p.state.FailedOrder[0])
		p.state.FailedOrder = p.state.FailedOrder[1:]
	}
}

// PromotionWakeWorkflow is what a promotion's Temporal Schedule starts at each cron fire:
// it tells the stage's promotion workflow to wake, through an activity (a schedule
// cannot signal), and ends.
func PromotionWakeWorkflow(ctx workflow.Context, in PromotionInput) error {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	return workflow.ExecuteActivity(actx, acts.WakePromotion, activities.WakePromotionInput{StageID: in.StageID}).Get(ctx, nil)
}
