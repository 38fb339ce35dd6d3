package api

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Pipeline is an environment's stages in promotion order, each with where its build is
// and why its promotion waits: GET /v1/pipelines/:env.
type Pipeline struct {
	EnvName string          `json:"envName"`
	Stages  []PipelineStage `json:"stages"`
}

// PipelineStage is one stage of a pipeline.
type PipelineStage struct {
	StageName string `json:"stageName"`
	BuildName string `json:"buildName"`
	// Source is where its promotion takes candidates: BUILD or the predecessor stage;
	// "" for a stage promoted by hand.
	Source string `json:"source,omitempty"`
	// Current is the stage's current deploy and Build its build; absent before the first deploy.
	Current *Deploy `json:"current,omitempty"`
	Build   *Build  `json:"build,omitempty"`
	// Promotion is what its auto-promotion does and why; absent without a promote config.
	Promotion *PromotionStatus `json:"promotion,omitempty"`
	// PromotionError says why Promotion could not be read (Temporal unreachable).
	PromotionError string `json:"promotionError,omitempty"`
}

// pipeline answers an environment's pipeline.
func (s *server) pipeline(c *gin.Context) {
	ctx := c.Request.Context()
	env := c.Param("env")
	stages, err := s.stages.ListStages(ctx, schema.StageFilter{EnvName: env})
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(stages) == 0 {
		s.fail(c, core.Errorf(core.ENOTFOUND, "environment %s does not exist: it has no stages", env))
		return
	}
	configs := map[string]*core.PromoteConfig{}
	byName := map[string]*schema.Stage{}
	for i := range stages {
		configs[stages[i].StageName] = stages[i].Promote
		byName[stages[i].StageName] = &stages[i]
	}
	out := Pipeline{EnvName: env, Stages: []PipelineStage{}}
	for _, name := range core.PipelineOrder(configs) {
		st := byName[name]
		ps := PipelineStage{StageName: name, BuildName: st.BuildName}
		if st.Promote != nil {
			ps.Source = st.Promote.Source
		}
		if st.CurrentDeployID != "" {
			d, err := s.deploys.GetDeploy(ctx, st.CurrentDeployID)
			if err != nil {
				s.fail(c, fmt.Errorf("read the current deploy of %s/%s: %w", env, name, err))
				return
			}
			dj := deployJSON(d)
			ps.Current = &dj
			if b, err := s.deploys.GetBuild(ctx, d.BuildID); err == nil {
				bj := buildJSON(b)
				ps.Build = &bj
			} else if core.ErrorCode(err) != core.ENOTFOUND {
				s.fail(c, err)
				return
			}
		}
		if st.Promote != nil {
			if s.promoter == nil {
				ps.PromotionError = "this server runs without a workflow layer"
			} else if p, err := s.promoter.PromotionStatus(ctx, st); err != nil {
				ps.PromotionError = core.ErrorMessage(err)
			} else {
				ps.Promotion = p
			}
		}
		out.Stages = append(out.Stages, ps)
	}
	c.JSON(http.StatusOK, out)
}

// promotionStatus answers a stage's auto-promotion status.
func (s *server) promotionStatus(c *gin.Context) {
	st, err := s.stages.GetStage(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.promoter == nil {
		s.fail(c, core.Errorf(core.EUNAVAILABLE, "auto-promotion cannot be read: this server runs without a workflow layer"))
		return
	}
	p, err := s.promoter.PromotionStatus(c.Request.Context(), st)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// promotionAction pauses or resumes a stage's auto-promotion, or promotes now.
func (s *server) promotionAction(c *gin.Context) {
	action := c.Param("action")
	if !slices.Contains([]string{PromotionPause, PromotionResume, PromotionNow}, action) {
		s.fail(c, &core.Error{Code: core.EINVALID, Field: "action", Message: fmt.Sprintf("unknown promotion action %q: use %s", action, promotionActions)})
		return
	}
	var body actionBody
	operator, err := optionalBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := checkDescription(body.Description); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.stages.GetStage(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.promoter == nil {
		s.fail(c, core.Errorf(core.EUNAVAILABLE, "auto-promotion cannot be changed: this server runs without a workflow layer"))
		return
	}
	p, err := s.promoter.PromotionAction(c.Request.Context(), st, action, operator)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// tellPromotion brings st's promotion in line with its just-saved config. The config is
// saved whatever happens; a promotion that could not be told is reported, so that the
// caller saves again once Temporal answers.
func (s *server) tellPromotion(c *gin.Context, before *core.PromoteConfig, st *schema.Stage) error {
	if s.promoter == nil || (before == nil && st.Promote == nil) {
		return nil
	}
	if err := s.promoter.ConfigChanged(c.Request.Context(), st); err != nil {
		return core.Errorf(core.EUNAVAILABLE, "the config of %s/%s was saved, but its auto-promotion could not be updated (%s): save it again once Temporal answers",
			st.EnvName, st.StageName, core.ErrorMessage(err))
	}
	return nil
}
