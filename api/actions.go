package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// stageActions are the actions of POST /v1/envs/:env/:stage/actions/:action, in the order
// error messages list them.
var stageActions = []string{"pause", "resume", "abort", "rollback", "hotfix", "restart", "promote"}

// actionBody is the body of pause, resume, abort and restart; it may be left out.
type actionBody struct {
	Description string `json:"description"`
}

// rollbackBody is the body of a rollback; it may be left out.
type rollbackBody struct {
	Description string `json:"description"`
	// ToDeployID names the deploy whose build to return to; default RollbackTarget's choice.
	ToDeployID string `json:"toDeployId"`
	// Force returns to a build tagged BAD, which toDeployId may name; refused otherwise.
	Force bool `json:"force"`
}

// hotfixBody is the body of a hotfix.
type hotfixBody struct {
	BuildID     string `json:"buildId"`
	Description string `json:"description"`
	// Force deploys a build tagged BAD, which is refused otherwise.
	Force bool `json:"force"`
}

func (s *server) stageAction(c *gin.Context) {
	switch action := c.Param("action"); action {
	case "pause", "resume", "abort":
		s.deployAction(c, action)
	case "rollback":
		s.rollback(c)
	case "hotfix":
		s.hotfix(c)
	case "restart":
		s.restart(c)
	case "promote":
		s.promote(c)
	default:
		s.fail(c, &core.Error{Code: core.EINVALID, Field: "action",
			Message: fmt.Sprintf("unknown action %q: use one of %s", action, strings.Join(stageActions, ", "))})
	}
}

// optionalBody decodes a mutating request's body into v when there is one, and returns
// the caller's name: actions that need nothing but a description may be sent bodiless.
func optionalBody(c *gin.Context, v any) (string, error) {
	operator, err := callerName(c)
	if err != nil {
		return "", err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", core.Errorf(codeTooLarge, "request body is larger than the limit of %d bytes (1 MiB)", tooLarge.Limit)
		}
		return "", core.Errorf(core.EINVALID, "request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return operator, nil
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(raw))
	return operator, decodeJSON(c, v)
}

// actionStage reads the body and the stage an action names, checking the description.
func (s *server) actionStage(c *gin.Context, body any, desc func() string) (*schema.Stage, string, error) {
	operator, err := optionalBody(c, body)
	if err != nil {
		return nil, "", err
	}
	st, err := s.deploys.GetStage(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		return nil, "", err
	}
	if err := checkDescription(desc()); err != nil {
		return nil, "", err
	}
	if s.deployer == nil {
		return nil, "", core.Errorf(core.EUNAVAILABLE, "deploy actions cannot run: this server runs without a workflow layer")
	}
	return st, operator, nil
}

func (s *server) deployAction(c *gin.Context, action string) {
	var body actionBody
	st, operator, err := s.actionStage(c, &body, func() string { return body.Description })
	if err != nil {
		s.fail(c, err)
		return
	}
	req := DeployActionRequest{Stage: st, Description: body.Description, Operator: operator}
	ctx := c.Request.Context()
	var d *schema.Deploy
	switch action {
	case "pause":
		d, err = s.deployer.PauseDeploy(ctx, req)
	case "resume":
		d, err = s.deployer.ResumeDeploy(ctx, req)
	default:
		d, err = s.deployer.AbortDeploy(ctx, req)
	}
	if err != nil {
		s.fail(c, fmt.Errorf("%s the current deploy of %s/%s: %w", action, st.EnvName, st.StageName, err))
		return
	}
	s.respondDeploy(c, d)
}

func (s *server) rollback(c *gin.Context) {
	var body rollbackBody
	st, operator, err := s.actionStage(c, &body, func() string { return body.Description })
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	target, b, err := s.rollbackTargetBuild(ctx, st, body.ToDeployID)
	if err != nil {
		s.fail(c, err)
		return
	}
	desc := body.Description
	if desc == "" {
		desc = fmt.Sprintf("rollback to build %s of deploy %s", b.ID, target.ID)
	}
	s.launch(c, StartDeployRequest{Stage: st, Build: b, Type: core.TypeRollback, Description: desc, Operator: operator, AliasDeployID: target.ID, Force: body.Force})
}

// rollbackTarget is the deploy named by toDeployID, which must belong to the stage, or
// else the one RollbackTarget picks from the stage's recent deploys.
func (s *server) rollbackTarget(ctx context.Context, st *schema.Stage, toDeployID string) (*schema.Deploy, error) {
	if toDeployID != "" {
		d, err := s.deploys.GetDeploy(ctx, toDeployID)
		if core.ErrorCode(err) == core.ENOTFOUND || (err == nil && d.StageID != st.ID) {
			return nil, core.FieldErrorf("toDeployId", "deploy %s is not a deploy of %s/%s", toDeployID, st.EnvName, st.StageName)
		}
		return d, err
	}
	cur, err := s.deploys.CurrentDeploy(ctx, st.EnvName, st.StageName)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil, core.Errorf(core.ECONFLICT, "nothing to roll back: stage %s/%s has never been deployed", st.EnvName, st.StageName)
	}
	if err != nil {
		return nil, err
	}
	t, err := s.deploys.RollbackTarget(ctx, st.EnvName, st.StageName, cur)
	if err != nil {
		return nil, err
	}
	if t != nil {
		return t, nil
	}
	return nil, core.Errorf(core.ECONFLICT, "nothing to roll back to on %s/%s: %s among the last %d deploys (current build %s); name the deploy to return to with toDeployId",
		st.EnvName, st.StageName, core.NoRollbackTargetText(st.RollbackRule()), rollbackSearchDepth, cur.BuildID)
}

// rollbackTargetBuild is rollbackTarget with the target's build.
func (s *server) rollbackTargetBuild(ctx context.Context, st *schema.Stage, toDeployID string) (*schema.Deploy, *schema.Build, error) {
	target, err := s.rollbackTarget(ctx, st, toDeployID)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.deploys.GetBuild(ctx, target.BuildID)
	if err != nil {
		return nil, nil, fmt.Errorf("load build %s of deploy %s: %w", target.BuildID, target.ID, err)
	}
	return target, b, nil
}

// rollbackTargetView is the body of GET .../rollback-target: what a rollback that names no
// target would return to, so that the CLI and the board can name it before acting.
type rollbackTargetView struct {
	DeployID     string `json:"deployId"`
	BuildID      string `json:"buildId"`
	BuildName    string `json:"buildName"`
	Commit       string `json:"commit"`
	Branch       string `json:"branch"`
	CurrentID    string `json:"currentDeployId"`
	CurrentBuild string `json:"currentBuildId"`
}

// rollbackPreview answers which deploy and build a rollback of the stage would return to,
// or 409 with why there is none.
func (s *server) rollbackPreview(c *gin.Context) {
	ctx := c.Request.Context()
	st, err := s.stages.GetStage(ctx, c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	target, b, err := s.rollbackTargetBuild(ctx, st, "")
	if err != nil {
		s.fail(c, err)
		return
	}
	v := rollbackTargetView{DeployID: target.ID, BuildID: b.ID, BuildName: b.Name, Commit: b.Commit, Branch: b.Branch}
	if cur, err := s.deploys.CurrentDeploy(ctx, st.EnvName, st.StageName); err == nil {
		v.CurrentID, v.CurrentBuild = cur.ID, cur.BuildID
	}
	c.JSON(http.StatusOK, v)
}

func (s *server) hotfix(c *gin.Context) {
	var body hotfixBody
	st, operator, err := s.actionStage(c, &body, func() string { return body.Description })
	if err != nil {
		s.fail(c, err)
		return
	}
	b, err := s.deployableBuild(c.Request.Context(), st, body.BuildID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.launch(c, StartDeployRequest{Stage: st, Build: b, Type: core.TypeHotfix, Description: body.Description, Operator: operator, Force: body.Force})
}

func (s *server) restart(c *gin.Context) {
	var body actionBody
	st, operator, err := s.actionStage(c, &body, func() string { return body.Description })
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	cur, err := s.deploys.CurrentDeploy(ctx, st.EnvName, st.StageName)
	if core.ErrorCode(err) == core.ENOTFOUND {
		s.fail(c, core.Errorf(core.ECONFLICT, "nothing to restart: stage %s/%s has never been deployed", st.EnvName, st.StageName))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	b, err := s.deploys.GetBuild(ctx, cur.BuildID)
	if err != nil {
		s.fail(c, fmt.Errorf("load build %s of deploy %s: %w", cur.BuildID, cur.ID, err))
		return
	}
	s.launch(c, StartDeployRequest{Stage: st, Build: b, Type: core.TypeRestart, Description: body.Description, Operator: operator})
}
