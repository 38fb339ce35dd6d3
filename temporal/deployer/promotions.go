package deployer

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/teletraan-on-temporal/teletraan/activities"
	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// Promotions is the Temporal side of auto-promotion: it signals-with-start the promotion
// workflows (api.Promoter for the publish handler and the config, activities.StagePromoter
// for the stage workflows' announcements), keeps each stage's Temporal Schedule in line
// with its cron, and asks the stage workflows to deploy what a promotion picked.
type Promotions struct {
	Deployer
}

var (
	_ api.Promoter             = (*Promotions)(nil)
	_ activities.StagePromoter = (*Promotions)(nil)
)

// errScheduleAlreadyRunning is how Create says the schedule exists.
var errScheduleAlreadyRunning = temporal.ErrScheduleAlreadyRunning

func (p *Promotions) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return context.WithTimeout(ctx, timeout)
}

func promotionInput(st *schema.Stage) workflows.PromotionInput {
	return workflows.PromotionInput{StageID: st.ID, EnvName: st.EnvName, StageName: st.StageName}
}

// NotifyPromotion implements activities.StagePromoter: it signals st's promotion
// workflow, starting it if it does not run.
func (p *Promotions) NotifyPromotion(ctx context.Context, st *schema.Stage, n activities.PromotionNotice) error {
	_, err := p.Client.SignalWithStartWorkflow(ctx, workflows.PromotionWorkflowID(st.EnvName, st.StageName), workflows.PromotionNoticeSignal, n,
		client.StartWorkflowOptions{
			TaskQueue:                workflows.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			StaticSummary:            fmt.Sprintf("auto-promotion of %s/%s", st.EnvName, st.StageName),
		}, workflows.PromotionWorkflow, promotionInput(st))
	if err != nil {
		return temporalError(ctx, st, "promotion notice", err)
	}
	return nil
}

// StartPromotedDeploy implements activities.StagePromoter through the stage workflow's
// start-deploy Update, marked as a promotion so that the stage refuses a stale candidate.
func (p *Promotions) StartPromotedDeploy(ctx context.Context, st *schema.Stage, in activities.StartPromotedDeployInput) (activities.StartPromotedDeployResult, error) {
	res, err := p.updateStage(ctx, st, workflows.StartDeployRequest{
		DeployID: in.DeployID, BuildID: in.Candidate.BuildID, BuildName: in.Candidate.BuildName,
		Type: core.TypeRegular, Description: in.Description, Operator: in.Operator,
		Promotion: true, ExpectCurrent: in.ExpectCurrent,
	})
	if err != nil {
		return activities.StartPromotedDeployResult{}, err
	}
	return activities.StartPromotedDeployResult{DeployID: res.DeployID}, nil
}

// BuildPublished implements api.Promoter.
func (p *Promotions) BuildPublished(ctx context.Context, b *schema.Build) error {
	ctx, cancel := p.bounded(ctx)
	defer cancel()
	stages, err := p.Store.StagesPromotingBuild(ctx, b.Name, b.Branch)
	if err != nil {
		return err
	}
	c := core.PromotionCandidate{BuildID: b.ID, BuildName: b.Name, Branch: b.Branch, At: b.PublishedAt, PublishedAt: b.PublishedAt}
	var errs []error
	for i := range stages {
		errs = append(errs, p.NotifyPromotion(ctx, &stages[i], activities.PromotionNotice{Kind: activities.NoticeCandidate, Candidate: &c}))
	}
	return errors.Join(errs...)
}

// ConfigChanged implements api.Promoter.
func (p *Promotions) ConfigChanged(ctx context.Context, st *schema.Stage) error {
	ctx, cancel := p.bounded(ctx)
	defer cancel()
	if st.Promote == nil {
		err := p.Client.SignalWorkflow(ctx, workflows.PromotionWorkflowID(st.EnvName, st.StageName), "", workflows.PromotionNoticeSignal,
			activities.PromotionNotice{Kind: activities.NoticeConfig})
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			return temporalError(ctx, st, "promotion notice", err)
		}
		return p.deleteSchedule(ctx, st)
	}
	if err := p.NotifyPromotion(ctx, st, activities.PromotionNotice{Kind: activities.NoticeConfig}); err != nil {
		return err
	}
	if st.Promote.Cron == "" {
		return p.deleteSchedule(ctx, st)
	}
	return p.putSchedule(ctx, st)
}

func (p *Promotions) deleteSchedule(ctx context.Context, st *schema.Stage) error {
	err := p.Client.ScheduleClient().GetHandle(ctx, workflows.PromotionScheduleID(st.EnvName, st.StageName)).Delete(ctx)
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return temporalError(ctx, st, "schedule delete", err)
	}
	return nil
}

// scheduleOf is the Temporal Schedule of st's cron: it starts a PromotionWakeWorkflow at
// each fire time in the config's time zone, skips a fire while the last wake still runs,
// and runs a fire missed by an outage if it is at most the catch-up window late.
func scheduleOf(st *schema.Stage) (client.ScheduleSpec, *client.ScheduleWorkflowAction, client.SchedulePolicies) {
	cfg := st.Promote
	spec := client.ScheduleSpec{CronExpressions: []string{cfg.Cron}, TimeZoneName: cfg.TimeZone}
	action := &client.ScheduleWorkflowAction{
		ID:        workflows.PromotionWakeWorkflowID(st.EnvName, st.StageName),
		Workflow:  workflows.PromotionWakeWorkflow,
		Args:      []any{promotionInput(st)},
		TaskQueue: workflows.TaskQueue,
	}
	return spec, action, client.SchedulePolicies{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: cfg.CatchupWindow()}
}

func (p *Promotions) putSchedule(ctx context.Context, st *schema.Stage) error {
	spec, action, policies := scheduleOf(st)
	id := workflows.PromotionScheduleID(st.EnvName, st.StageName)
	_, err := p.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: id, Spec: spec, Action: action, Overlap: policies.Overlap, CatchupWindow: policies.CatchupWindow,
		Note: fmt.Sprintf("wakes the auto-promotion of %s/%s (cron %q)", st.EnvName, st.StageName, st.Promote.Cron),
	})
	if err == nil {
		return nil
	}
	var exists *serviceerror.AlreadyExists
	if !errors.Is(err, errScheduleAlreadyRunning) && !errors.As(err, &exists) {
		return temporalError(ctx, st, "schedule create", err)
	}
	err = p.Client.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec, s.Action = &spec, action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap, s.Policy.CatchupWindow = policies.Overlap, policies.CatchupWindow
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return temporalError(ctx, st, "schedule update", err)
	}
	return nil
}

// PromotionStatus implements api.Promoter: the workflow's Query and the schedule's next time.
func (p *Promotions) PromotionStatus(ctx context.Context, st *schema.Stage) (*api.PromotionStatus, error) {
	if st.Promote == nil {
		return nil, core.Errorf(core.ENOTFOUND, "stage %s/%s has no promote config: set promote in its config to promote it automatically", st.EnvName, st.StageName)
	}
	ctx, cancel := p.bounded(ctx)
	defer cancel()
	out := &api.PromotionStatus{EnvName: st.EnvName, StageName: st.StageName, Candidates: []api.PromotionCandidate{}}
	v, err := p.Client.QueryWorkflow(ctx, workflows.PromotionWorkflowID(st.EnvName, st.StageName), "", workflows.PromotionStatusQuery)
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		out.Why = "not started yet: it starts with the first build, qualified deploy or schedule wake it hears of"
	case err != nil:
		return nil, temporalError(ctx, st, "promotion query", err)
	default:
		var s workflows.PromotionStatus
		if err := v.Get(&s); err != nil {
			return nil, fmt.Errorf("decode the promotion status of %s/%s: %w", st.EnvName, st.StageName, err)
		}
		fillStatus(out, s)
	}
	if st.Promote.Cron != "" {
		out.ScheduleID = workflows.PromotionScheduleID(st.EnvName, st.StageName)
		desc, err := p.Client.ScheduleClient().GetHandle(ctx, out.ScheduleID).Describe(ctx)
		if err != nil && !errors.As(err, &notFound) {
			return nil, temporalError(ctx, st, "schedule describe", err)
		}
		if desc != nil {
			if len(desc.Info.NextActionTimes) > 0 {
				t := desc.Info.NextActionTimes[0]
				out.NextScheduleTime = &t
			}
			out.SchedulePaused = desc.Schedule.State != nil && desc.Schedule.State.Paused
		}
	}
	return out, nil
}

func fillStatus(out *api.PromotionStatus, s workflows.PromotionStatus) {
	out.Why, out.WaitUntil, out.PausedBy, out.Disabled = s.Why, s.WaitUntil, s.PausedBy, s.Disabled
	if !s.DecidedAt.IsZero() {
		t := s.DecidedAt
		out.DecidedAt = &t
	}
	if s.Next != nil {
		c := candidateJSON(*s.Next)
		out.Next = &c
	}
	for _, c := range s.Candidates {
		out.Candidates = append(out.Candidates, candidateJSON(c))
	}
	if s.Promoted != nil {
		out.LastPromotedDeployID = s.Promoted.DeployID
	}
}

func candidateJSON(c core.PromotionCandidate) api.PromotionCandidate {
	return api.PromotionCandidate{BuildID: c.BuildID, BuildName: c.BuildName, Branch: c.Branch, SourceDeployID: c.SourceDeployID, At: c.At, PublishedAt: c.PublishedAt}
}

// PromotionAction implements api.Promoter through the promotion workflow's Updates,
// starting the workflow first if it does not run yet.
func (p *Promotions) PromotionAction(ctx context.Context, st *schema.Stage, action, operator string) (*api.PromotionStatus, error) {
	if st.Promote == nil {
		return nil, core.Errorf(core.ENOTFOUND, "stage %s/%s has no promote config: set promote in its config to promote it automatically", st.EnvName, st.StageName)
	}
	name := map[string]string{api.PromotionPause: workflows.PausePromotionUpdate, api.PromotionResume: workflows.ResumePromotionUpdate, api.PromotionNow: workflows.PromoteNowUpdate}[action]
	if name == "" {
		return nil, core.Errorf(core.EINVALID, "unknown promotion action %q", action)
	}
	ctx, cancel := p.bounded(ctx)
	defer cancel()
	startOp := p.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.PromotionWorkflowID(st.EnvName, st.StageName),
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            fmt.Sprintf("auto-promotion of %s/%s", st.EnvName, st.StageName),
	}, workflows.PromotionWorkflow, promotionInput(st))
	handle, err := p.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.PromotionActionRequest{Operator: operator}},
		},
	})
	if err != nil {
		return nil, promotionError(ctx, st, err)
	}
	var res workflows.PromotionActionResult
	if err := handle.Get(ctx, &res); err != nil {
		return nil, promotionError(ctx, st, err)
	}
	out, err := p.PromotionStatus(ctx, st)
	if err != nil {
		return nil, err
	}
	out.DeployID = res.DeployID
	if res.DeployID != "" {
		out.Why = fmt.Sprintf("promoted build %s (deploy %s)", res.BuildID, res.DeployID)
	}
	return out, nil
}

// promotionError is temporalError with the promotion's own words.
func promotionError(ctx context.Context, st *schema.Stage, err error) error {
	return temporalError(ctx, st, "promotion action", err)
}
