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
// activities.NoticeStarted, NoticeVerdict (d.State is the verdict, or the final state) or
// NoticeQualified. The activity decides who hears it (core.DeployQualified for the
// successors); the stage does not wait for it, so that no deploy answer is slower for it.
// An announcement not acknowledged when the run continues as new is sent again by the
// next run (keepUnannounced, announceCarried): a notice may come twice, never not at all.
func (s *stageImpl) announce(ctx workflow.Context, kind string, d *DeployRef) {
	if !s.announces || d == nil {
		return
	}
	s.send(ctx, activities.AnnounceDeployInput{
		StageID: s.in.StageID, DeployID: d.DeployID, Kind: kind, State: d.State, Type: d.Type, Operator: d.Operator,
	})
}

func (s *stageImpl) send(ctx workflow.Context, in activities.AnnounceDeployInput) {
	actx := workflow.WithActivityOptions(ctx, storeActivityOptions)
	f := workflow.ExecuteActivity(actx, acts.AnnounceDeploy, in)
	kept := s.announcing[:0]
	for _, p := range s.announcing {
		if !p.f.IsReady() {
			kept = append(kept, p)
		}
	}
	s.announcing = append(kept, pendingAnnouncement{f: f, in: in})
}

// pendingAnnouncement is an announcement under way.
type pendingAnnouncement struct {
	f  workflow.Future
	in activities.AnnounceDeployInput
}

// keepUnannounced puts the announcements still under way into the state the next run
// starts with (a run's pending activities end with it).
func (s *stageImpl) keepUnannounced() {
	s.state.Unannounced = nil
	for _, p := range s.announcing {
		if !p.f.IsReady() {
			s.state.Unannounced = append(s.state.Unannounced, p.in)
		}
	}
}

// announceCarried sends again the announcements the previous run could not see through.
func (s *stageImpl) announceCarried(ctx workflow.Context) {
	carried := s.state.Unannounced
	s.state.Unannounced = nil
	if !s.announces {
		return
	}
	for _, in := range carried {
		s.send(ctx, in)
	}
}
