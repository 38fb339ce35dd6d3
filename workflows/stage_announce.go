package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/teletraan-on-temporal/teletraan/activities"
)

// stageAnnouncesChange gates, for a whole run of the stage workflow, the announcement of
// its deploys (AnnounceDeploy): every start and verdict reaches the stage's promotion,
// and a deploy that qualified reaches the stages that promote from this one.
const stageAnnouncesChange = "stage-announces-promotion"

// announce is the stage's one place that tells the promotions about deploy d: kind is
// activities.NoticeStarted or NoticeVerdict (d.State is the verdict, or the final state).
// The activity decides who hears it (core.DeployQualified for the successors); the stage
// does not wait for it, so that no deploy answer is slower for it, but it lets no
// announcement go unsent across continue-as-new (awaitAnnounced).
func (s *stageImpl) announce(ctx workflow.Context, kind string, d *DeployRef) {
	if !s.announces || d == nil {
		return
	}
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	f := workflow.ExecuteActivity(actx, acts.AnnounceDeploy, activities.AnnounceDeployInput{
		StageID: s.in.StageID, DeployID: d.DeployID, Kind: kind, State: d.State, Type: d.Type, Operator: d.Operator,
	})
	kept := s.announcing[:0]
	for _, p := range s.announcing {
		if !p.IsReady() {
			kept = append(kept, p)
		}
	}
	s.announcing = append(kept, f)
}

// awaitAnnounced waits for the announcements still under way, before the run continues
// as new (a run's pending activities do not outlive it).
func (s *stageImpl) awaitAnnounced(ctx workflow.Context) {
	for _, f := range s.announcing {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not announce a deploy to the promotions", "error", err)
		}
	}
	s.announcing = nil
}
