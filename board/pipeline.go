package board

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// pipelineStage is one stage of the pipeline page as the server draws it first; the page's
// script (static/pipeline.js) then fills in what only the promotion workflows know (why
// each waits, the next candidate, the schedule) from GET /v1/pipelines/{env}, and keeps
// the builds and states current.
type pipelineStage struct {
	Stage  schema.Stage
	Source string
	Deploy *schema.Deploy
	// FromPrevious says the stage promotes from the one drawn before it: an arrow joins them.
	FromPrevious bool
	// TakesVerdict says the stage's acceptance waits for an external verdict: Accept and
	// Reject are offered while its deploy's acceptance is PENDING_ACCEPT.
	TakesVerdict bool
}

type pipelineView struct {
	Env    string
	Stages []pipelineStage
}

// pipeline draws an environment's stages in promotion order (core.PipelineOrder), each
// with its current build and deploy state, and the buttons of its promotion.
func (b *Board) pipeline(c *gin.Context) {
	ctx := c.Request.Context()
	env := c.Param("env")
	stages, err := b.Store.ListStages(ctx, schema.StageFilter{EnvName: env})
	if err != nil {
		b.renderUnreadable(c, "the stages of "+env, err)
		return
	}
	if len(stages) == 0 {
		b.renderUnreadable(c, "environment "+env, core.Errorf(core.ENOTFOUND, "environment %s does not exist: it has no stages", env))
		return
	}
	configs := map[string]*core.PromoteConfig{}
	byName := map[string]schema.Stage{}
	for _, st := range stages {
		configs[st.StageName], byName[st.StageName] = st.Promote, st
	}
	v := pipelineView{Env: env}
	for _, name := range core.PipelineOrder(configs) {
		ps := pipelineStage{Stage: byName[name]}
		ps.TakesVerdict = ps.Stage.Acceptance != nil && ps.Stage.Acceptance.External != nil
		if p := ps.Stage.Promote; p != nil {
			ps.Source = p.Source
			ps.FromPrevious = len(v.Stages) > 0 && p.FromStage() == v.Stages[len(v.Stages)-1].Stage.StageName
		}
		if id := ps.Stage.CurrentDeployID; id != "" {
			d, err := b.Store.GetDeploy(ctx, id)
			if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
				b.renderUnreadable(c, "the current deploy of "+env+"/"+name, err)
				return
			}
			ps.Deploy = d
		}
		v.Stages = append(v.Stages, ps)
	}
	b.render(c, http.StatusOK, "pipeline.html", v)
}
