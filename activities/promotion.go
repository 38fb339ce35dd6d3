package activities

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Kinds of PromotionNotice: what a promotion workflow is told.
const (
	// NoticeCandidate offers a build: published under the stage's build name, or qualified
	// on its predecessor.
	NoticeCandidate = "candidate"
	// NoticeVerdict says a deploy of the stage reached a verdict or ended, so the stage may
	// be free and a promoted deploy may have failed.
	NoticeVerdict = "verdict"
	// NoticeStarted says a deploy started on the stage (a person's may disable promotion).
	NoticeStarted = "started"
	// NoticeWake is a cron wake from the stage's Temporal Schedule.
	NoticeWake = "wake"
	// NoticeConfig says the stage's promote config changed.
	NoticeConfig = "config"
	// NoticeQualified is the stage workflow's announcement that its deploy qualified
	// (core.DeployQualified); AnnounceDeploy offers it to the successor stages.
	NoticeQualified = "qualified"
)

// PromotionNotice is the payload of the promotion workflow's notice signal.
type PromotionNotice struct {
	Kind string
	// Candidate is the offered build, for NoticeCandidate.
	Candidate *core.PromotionCandidate `json:",omitempty"`
	// DeployID, State, Type and Operator describe the deploy of NoticeVerdict and NoticeStarted.
	DeployID string `json:",omitempty"`
	State    string `json:",omitempty"`
	Type     string `json:",omitempty"`
	Operator string `json:",omitempty"`
}

// StagePromoter is what the promotion activities ask of the workflow layer; package
// temporal/deployer implements it on the Temporal client, so that this package needs
// neither the workflows' names nor their types.
type StagePromoter interface {
	// NotifyPromotion signals the promotion workflow of st, starting it if it is not running.
	NotifyPromotion(ctx context.Context, st *schema.Stage, n PromotionNotice) error
	// StartPromotedDeploy asks st's stage workflow, through its start-deploy Update, to
	// deploy a candidate; the stage refuses (core.ECONFLICT) a stale one.
	StartPromotedDeploy(ctx context.Context, st *schema.Stage, in StartPromotedDeployInput) (StartPromotedDeployResult, error)
}

// AnnounceDeployInput is the input of AnnounceDeploy: what happened to a stage's deploy.
type AnnounceDeployInput struct {
	StageID  string
	DeployID string
	// Kind is NoticeStarted or NoticeVerdict.
	Kind string
	// State is the deploy's state as the stage heard it (NoticeVerdict).
	State    string `json:",omitempty"`
	Type     string `json:",omitempty"`
	Operator string `json:",omitempty"`
}

// AnnounceDeploy is the stage workflow's one announcement of its deploys: the stage's own
// promotion hears every start and verdict (a person's deploy may disable it, a promoted
// deploy may have failed or been REJECTED, the stage may be free), and the stages that
// promote from this one hear of a deploy that qualified (NoticeQualified, checked again
// with core.DeployQualified against the stored deploy), as a candidate.
func (a *Activities) AnnounceDeploy(ctx context.Context, in AnnounceDeployInput) error {
	if a.Promoter == nil {
		return nil
	}
	st, err := a.Store.GetStageByID(ctx, in.StageID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	if st.Promote != nil {
		// A qualified deploy is a verdict to the stage's own promotion: the stage is free.
		kind := in.Kind
		if kind == NoticeQualified {
			kind = NoticeVerdict
		}
		n := PromotionNotice{Kind: kind, DeployID: in.DeployID, State: in.State, Type: in.Type, Operator: in.Operator}
		if err := a.Promoter.NotifyPromotion(ctx, st, n); err != nil {
			return fmt.Errorf("tell the promotion of %s/%s: %w", st.EnvName, st.StageName, err)
		}
	}
	if in.Kind != NoticeQualified {
		return nil
	}
	d, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return permanent(err)
	}
	if (d.Type != core.TypeRegular && d.Type != core.TypeHotfix) || !core.DeployQualified(d.State, d.AcceptanceStatus, st.Acceptance.HasChecks()) {
		return nil
	}
	next, err := a.Store.PromotionTargets(ctx, st.EnvName, st.StageName)
	if err != nil || len(next) == 0 {
		return err
	}
	b, err := a.Store.GetBuild(ctx, d.BuildID)
	if err != nil {
		return permanent(err)
	}
	c := candidateOf(b, d.ID, a.now())
	for i := range next {
		if err := a.Promoter.NotifyPromotion(ctx, &next[i], PromotionNotice{Kind: NoticeCandidate, Candidate: &c}); err != nil {
			return fmt.Errorf("offer build %s to %s/%s: %w", b.ID, next[i].EnvName, next[i].StageName, err)
		}
	}
	return nil
}

func candidateOf(b *schema.Build, sourceDeploy string, at time.Time) core.PromotionCandidate {
	return core.PromotionCandidate{BuildID: b.ID, BuildName: b.Name, Branch: b.Branch, SourceDeployID: sourceDeploy, At: at, PublishedAt: b.PublishedAt}
}

// LoadPromotionInput is the input of LoadPromotion.
type LoadPromotionInput struct {
	StageID string
	// Candidates are the build ids in the promotion's queue, to check for bad tags.
	Candidates []string
}

// LoadPromotionResult is everything a promotion decision reads from the store, fresh.
type LoadPromotionResult struct {
	// Config is the stage's promote config; nil means the stage no longer has one (or no
	// longer exists) and the promotion ends.
	Config    *core.PromoteConfig `json:",omitempty"`
	BuildName string
	// Current is the stage's current deploy, Source its predecessor's.
	Current *core.PromotionDeploy `json:",omitempty"`
	Source  *core.PromotionDeploy `json:",omitempty"`
	// Latest is the newest candidate the store knows (the newest build, or the
	// predecessor's qualified deploy), so that a promotion started after the fact, or one
	// whose notice was lost, still sees it.
	Latest *core.PromotionCandidate `json:",omitempty"`
	// Bad holds, by build id, the tag that makes a candidate (or Latest) bad.
	Bad map[string]core.BadBuild `json:",omitempty"`
	// Now is the store's clock when it was read.
	Now time.Time
}

// LoadPromotion reads the stage's promote config, its current deploy, its predecessor's,
// the newest candidate and the candidates' bad tags, just before the promotion decides.
func (a *Activities) LoadPromotion(ctx context.Context, in LoadPromotionInput) (LoadPromotionResult, error) {
	out := LoadPromotionResult{Now: a.now()}
	st, err := a.Store.GetStageByID(ctx, in.StageID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if st.Promote == nil {
		return out, nil
	}
	out.Config, out.BuildName = st.Promote, st.BuildName
	if out.Current, err = a.promotionDeploy(ctx, st.CurrentDeployID); err != nil {
		return out, err
	}
	if from := st.Promote.FromStage(); from != "" {
		src, err := a.Store.GetStage(ctx, st.EnvName, from)
		if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
			return out, err
		}
		if src != nil {
			if out.Source, err = a.promotionDeploy(ctx, src.CurrentDeployID); err != nil {
				return out, err
			}
			if s := out.Source; s != nil && core.DeployQualified(s.State, s.Acceptance, src.Acceptance.HasChecks()) {
				d, err := a.Store.GetDeploy(ctx, s.DeployID)
				if err != nil {
					return out, err
				}
				if d.Type == core.TypeRegular || d.Type == core.TypeHotfix {
					b, err := a.Store.GetBuild(ctx, s.BuildID)
					if err != nil {
						return out, err
					}
					at := d.CreatedAt
					if d.SucceededAt != nil {
						at = *d.SucceededAt
					}
					c := candidateOf(b, d.ID, at)
					out.Latest = &c
				}
			}
		}
	} else {
		builds, err := a.Store.ListBuilds(ctx, schema.BuildFilter{Name: st.BuildName, Branch: st.Promote.Branch, Limit: 1})
		if err != nil {
			return out, err
		}
		if len(builds) > 0 {
			c := candidateOf(&builds[0], "", builds[0].PublishedAt)
			out.Latest = &c
		}
	}
	ids := in.Candidates
	if out.Latest != nil {
		ids = append(ids, out.Latest.BuildID)
	}
	if out.Bad, err = a.badBuilds(ctx, ids); err != nil {
		return out, err
	}
	return out, nil
}

// promotionDeploy is deploy id as a promotion weighs it, nil for "".
func (a *Activities) promotionDeploy(ctx context.Context, id string) (*core.PromotionDeploy, error) {
	if id == "" {
		return nil, nil
	}
	d, err := a.Store.GetDeploy(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &core.PromotionDeploy{DeployID: d.ID, BuildID: d.BuildID, State: d.State, Acceptance: d.AcceptanceStatus}
	b, err := a.Store.GetBuild(ctx, d.BuildID)
	if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return nil, err
	}
	if b != nil {
		out.BuildPublishedAt = b.PublishedAt
	}
	return out, nil
}

// StartPromotedDeployInput is the input of StartPromotedDeploy.
type StartPromotedDeployInput struct {
	StageID string
	// DeployID is chosen by StartPromotedDeploy itself; the workflow leaves it empty.
	DeployID  string `json:",omitempty"`
	Candidate core.PromotionCandidate
	// ExpectCurrent is the stage's current deploy the decision saw: the stage refuses the
	// request when another one is current by now (a stale candidate).
	ExpectCurrent string
	Operator      string
	Description   string
}

// StartPromotedDeployResult is the output of StartPromotedDeploy.
type StartPromotedDeployResult struct {
	DeployID string
	// Refused is the stage's reason for not deploying (stale, busy), "" when it deployed.
	Refused string `json:",omitempty"`
}

// StartPromotedDeploy asks the stage workflow to deploy the candidate. Its deploy id is
// derived from this activity's identity, so that a retry asks for the same deploy and the
// stage answers it once.
func (a *Activities) StartPromotedDeploy(ctx context.Context, in StartPromotedDeployInput) (StartPromotedDeployResult, error) {
	if a.Promoter == nil {
		return StartPromotedDeployResult{}, temporal.NewNonRetryableApplicationError("the worker has no promoter configured", "InvalidInput", nil)
	}
	st, err := a.Store.GetStageByID(ctx, in.StageID)
	if err != nil {
		return StartPromotedDeployResult{}, permanent(err)
	}
	info := activity.GetInfo(ctx)
	sum := sha256.Sum256([]byte(info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID + "/" + info.ActivityID))
	id := base64.RawURLEncoding.EncodeToString(sum[:16])
	if id[0] == '-' {
		id = "p" + id[1:]
	}
	in.DeployID = id
	res, err := a.Promoter.StartPromotedDeploy(ctx, st, in)
	if code := core.ErrorCode(err); code == core.ECONFLICT || code == core.EINVALID || code == core.ENOTFOUND {
		return StartPromotedDeployResult{Refused: core.ErrorMessage(err)}, nil
	}
	return res, err
}

// badBuilds is, by build id, the tag that makes each of ids bad (core.BuildIsBad's rule,
// read by the store).
func (a *Activities) badBuilds(ctx context.Context, ids []string) (map[string]core.BadBuild, error) {
	out := map[string]core.BadBuild{}
	if len(ids) == 0 {
		return out, nil
	}
	tags, err := a.Store.BadBuilds(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, t := range tags {
		if t != nil {
			out[id] = core.BadBuild{Operator: t.Operator, Comment: t.Comment}
		}
	}
	return out, nil
}

// WakePromotionInput is the input of WakePromotion.
type WakePromotionInput struct {
	StageID string
}

// WakePromotion tells a stage's promotion workflow that its schedule fired.
func (a *Activities) WakePromotion(ctx context.Context, in WakePromotionInput) error {
	if a.Promoter == nil {
		return temporal.NewNonRetryableApplicationError("the worker has no promoter configured", "InvalidInput", nil)
	}
	st, err := a.Store.GetStageByID(ctx, in.StageID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil // deleted since; its schedule goes with the next config change
	}
	if err != nil {
		return err
	}
	if st.Promote == nil {
		return nil
	}
	return a.Promoter.NotifyPromotion(ctx, st, PromotionNotice{Kind: NoticeWake})
}
