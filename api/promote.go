package api

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// promoteBody is the body of a promote: which stage of the same environment gets this
// stage's current build.
type promoteBody struct {
	ToStage     string `json:"toStage"`
	Description string `json:"description"`
	// AllowUnsucceeded promotes a build whose deploy here is still running, failing or was
	// aborted, or whose acceptance was rejected; such a promote is refused otherwise.
	AllowUnsucceeded bool `json:"allowUnsucceeded"`
	// Force and Queue mean what they mean for POST .../deploys on the target stage.
	Force bool `json:"force"`
	Queue bool `json:"queue"`
}

// promote starts a REGULAR deploy of this stage's current build on another stage of its
// environment, the way a build moves from staging to canary to prod.
func (s *server) promote(c *gin.Context) {
	var body promoteBody
	st, operator, err := s.actionStage(c, &body, func() string { return body.Description })
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if body.ToStage == "" {
		s.fail(c, core.FieldErrorf("toStage", "is required: the stage of %s to deploy this stage's current build to", st.EnvName))
		return
	}
	if err := schema.ValidateName("toStage", body.ToStage); err != nil {
		s.fail(c, err)
		return
	}
	if body.ToStage == st.StageName {
		s.fail(c, core.FieldErrorf("toStage", "is %s/%s itself; promote to another stage, or use restart or deploy", st.EnvName, st.StageName))
		return
	}
	target, err := s.deploys.GetStage(ctx, st.EnvName, body.ToStage)
	if core.ErrorCode(err) == core.ENOTFOUND {
		s.fail(c, core.FieldErrorf("toStage", "stage %s/%s does not exist", st.EnvName, body.ToStage))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	cur, err := s.deploys.CurrentDeploy(ctx, st.EnvName, st.StageName)
	if core.ErrorCode(err) == core.ENOTFOUND {
		s.fail(c, core.Errorf(core.ECONFLICT, "nothing to promote: stage %s/%s has never been deployed", st.EnvName, st.StageName))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if reason := unpromotable(cur); reason != "" && !body.AllowUnsucceeded {
		s.fail(c, core.Errorf(core.ECONFLICT, "not promoting build %s from %s/%s: %s; send allowUnsucceeded to promote it anyway",
			cur.BuildID, st.EnvName, st.StageName, reason))
		return
	}
	b, err := s.deploys.GetBuild(ctx, cur.BuildID)
	if err != nil {
		s.fail(c, fmt.Errorf("load build %s of deploy %s: %w", cur.BuildID, cur.ID, err))
		return
	}
	if b.Name != target.BuildName {
		s.fail(c, core.FieldErrorf("toStage", "stage %s/%s deploys builds named %s; build %s is named %s",
			target.EnvName, target.StageName, target.BuildName, b.ID, b.Name))
		return
	}
	desc := body.Description
	if desc == "" {
		desc = fmt.Sprintf("promoted from %s/%s (deploy %s)", st.EnvName, st.StageName, cur.ID)
	}
	s.launch(c, StartDeployRequest{Stage: target, Build: b, Type: core.TypeRegular, Description: desc, Operator: operator,
		Force: body.Force, Queue: body.Queue})
}

// unpromotable says why a stage's current deploy should not be promoted yet, or "" when
// its build has proven itself there: the deploy succeeded (or is succeeding) and its
// acceptance was not rejected.
func unpromotable(d *schema.Deploy) string {
	switch {
	case d.AcceptanceStatus == core.AcceptanceRejected:
		return fmt.Sprintf("deploy %s was rejected by its acceptance test", d.ID)
	case d.State == core.StateSucceeded || d.State == core.StateSucceeding:
		return ""
	case d.State == core.StateAborted:
		return fmt.Sprintf("deploy %s was aborted", d.ID)
	default:
		return fmt.Sprintf("deploy %s is %s, not SUCCEEDED", d.ID, d.State)
	}
}
