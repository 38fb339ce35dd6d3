package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// stageStore is what the stage handlers (and the alarm check, which reads a stage) ask of
// the store, and all they can reach of it.
type stageStore interface {
	ListStages(ctx context.Context, f schema.StageFilter) ([]schema.Stage, error)
	GetStage(ctx context.Context, env, stage string) (*schema.Stage, error)
	CreateStage(ctx context.Context, st *schema.Stage, operator string) error
	UpdateStageConfig(ctx context.Context, env, stage string, change func(*schema.StageConfig), operator string) (*schema.Stage, error)
	ListConfigHistory(ctx context.Context, env, stage string, limit int) ([]schema.ConfigChange, error)
	DeleteStage(ctx context.Context, env, stage, operator string) (*schema.Stage, error)
}

// stageList is the body of the stage listings.
type stageList struct {
	Stages []Stage `json:"stages"`
}

// historyList is the body of a stage's config history.
type historyList struct {
	Changes []ConfigChange `json:"changes"`
}

// stageBody is the JSON of POST /v1/envs and PUT /v1/envs/:env/:stage. Config fields are
// pointers (maps are nil) so that an absent field, which keeps the current value or takes
// the default, differs from a zero value; null counts as absent. The server-maintained
// fields of Stage are decoded only so that they can be refused by name instead of as
// unknown, since clients often send back a Stage they fetched.
type stageBody struct {
	EnvName   *string `json:"envName"`
	StageName *string `json:"stageName"`

	Description         *string           `json:"description"`
	BuildName           *string           `json:"buildName"`
	Branch              *string           `json:"branch"`
	MaxParallel         *int              `json:"maxParallel"`
	MaxParallelPct      *int              `json:"maxParallelPct"`
	SuccessThreshold    *int              `json:"successThreshold"`
	StuckTimeoutSeconds *int              `json:"stuckTimeoutSeconds"`
	BakeTimeSeconds     *int              `json:"bakeTimeSeconds"`
	ScriptVariables     map[string]string `json:"scriptVariables"`
	SecretVariables     []string          `json:"secretVariables"`
	AgentConfigs        map[string]string `json:"agentConfigs"`
	OnFailure           *string           `json:"onFailure"`
	StageType           *string           `json:"stageType"`
	Alarms              []Alarm           `json:"alarms"`
	AlarmPolicy         *AlarmPolicy      `json:"alarmPolicy"`
	Webhooks            []Webhook         `json:"webhooks"`
	Acceptance          *core.Acceptance  `json:"acceptance"`

	ID              json.RawMessage `json:"id"`
	CurrentDeployID json.RawMessage `json:"currentDeployId"`
	LastOperator    json.RawMessage `json:"lastOperator"`
	CreatedAt       json.RawMessage `json:"createdAt"`
	UpdatedAt       json.RawMessage `json:"updatedAt"`
}

// refuseServerFields rejects the fields only the server writes; why completes the message
// ("cannot be changed", "is assigned by the server").
func (b *stageBody) refuseServerFields(why string) error {
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"id", b.ID},
		{"currentDeployId", b.CurrentDeployID},
		{"lastOperator", b.LastOperator},
		{"createdAt", b.CreatedAt},
		{"updatedAt", b.UpdatedAt},
	} {
		if f.raw != nil {
			return core.FieldErrorf(f.name, "%s: the server maintains it", why)
		}
	}
	return nil
}

// listStages answers GET /v1/envs: the stages of the environments the caller may read.
func (s *server) listStages(c *gin.Context) {
	stages, err := s.stages.ListStages(c.Request.Context(), schema.StageFilter{EnvName: c.Query("env")})
	if err != nil {
		s.fail(c, err)
		return
	}
	readable := stages[:0]
	for _, st := range stages {
		if MayReadEnv(c, st.EnvName) == nil {
			readable = append(readable, st)
		}
	}
	c.JSON(http.StatusOK, stageList{Stages: mapList(readable, stageJSON)})
}

func (s *server) listEnvStages(c *gin.Context) {
	env := c.Param("env")
	stages, err := s.stages.ListStages(c.Request.Context(), schema.StageFilter{EnvName: env})
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(stages) == 0 {
		// Environments exist only through their stages.
		s.fail(c, core.Errorf(core.ENOTFOUND, "environment %s does not exist: it has no stages", env))
		return
	}
	c.JSON(http.StatusOK, stageList{Stages: mapList(stages, stageJSON)})
}

func (s *server) createStage(c *gin.Context) {
	var body stageBody
	operator, err := authoredBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := body.refuseServerFields("is assigned by the server"); err != nil {
		s.fail(c, err)
		return
	}
	if body.EnvName == nil || *body.EnvName == "" {
		s.fail(c, core.FieldErrorf("envName", "is required: the environment the stage belongs to"))
		return
	}
	if body.StageName == nil || *body.StageName == "" {
		s.fail(c, core.FieldErrorf("stageName", "is required: the stage's name within its environment, such as prod"))
		return
	}
	noteAuditTarget(c, *body.EnvName, *body.StageName)
	if err := authorizeIn(CallerFrom(c), *body.EnvName, schema.RoleOperator); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.checkCommandAcceptance(c.Request.Context(), body.Acceptance); err != nil {
		s.fail(c, err)
		return
	}
	st := &schema.Stage{EnvName: *body.EnvName, StageName: *body.StageName,
		StageConfig: schema.DefaultStageConfig(*body.EnvName, *body.StageName)}
	body.applyToNew(&st.StageConfig)
	if err := s.checkAlarmQueries(c.Request.Context(), st.EnvName, st.StageName, &st.StageConfig); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.stages.CreateStage(c.Request.Context(), st, operator); err != nil {
		s.fail(c, err)
		return
	}
	created(c, stageJSON(st), "envs", st.EnvName, st.StageName)
}

func (s *server) getStage(c *gin.Context) {
	st, err := s.stages.GetStage(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, stageJSON(st))
}

// updateStage merges the body into the stage's config. The read and the write are separate
// store calls, so two concurrent updates of different fields can lose one of them; the
// config history records both, which makes such a loss visible.
func (s *server) updateStage(c *gin.Context) {
	ctx := c.Request.Context()
	env, stage := c.Param("env"), c.Param("stage")
	var body stageBody
	operator, err := authoredBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	if body.EnvName != nil {
		s.fail(c, core.FieldErrorf("envName", "cannot be changed: create a stage in the other environment instead"))
		return
	}
	if body.StageName != nil {
		s.fail(c, core.FieldErrorf("stageName", "cannot be changed: create a stage with the new name instead"))
		return
	}
	if err := body.refuseServerFields("cannot be changed"); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.checkCommandAcceptance(ctx, body.Acceptance); err != nil {
		s.fail(c, err)
		return
	}
	change := func(cfg *schema.StageConfig) {
		stored := *cfg
		body.applyTo(cfg)
		cfg.KeepSecrets(&stored)
	}
	if body.Alarms != nil || body.AlarmPolicy != nil {
		// Asked before the update's transaction, which must not wait on the network.
		cur, err := s.stages.GetStage(ctx, env, stage)
		if err != nil {
			s.fail(c, err)
			return
		}
		cfg := cur.StageConfig
		change(&cfg)
		if err := s.checkAlarmQueries(ctx, env, stage, &cfg); err != nil {
			s.fail(c, err)
			return
		}
	}
	updated, err := s.stages.UpdateStageConfig(ctx, env, stage, change, operator)
	if err != nil {
		s.fail(c, fmt.Errorf("update stage %s/%s: %w", env, stage, err))
		return
	}
	c.JSON(http.StatusOK, stageJSON(updated))
}

// deleteStage removes a stage whose deploys have ended. The store refuses a stage whose
// current deploy still runs; a queued deploy is the workflow layer's to know, so it is
// asked here, before anything is removed.
func (s *server) deleteStage(c *gin.Context) {
	ctx := c.Request.Context()
	env, stage := c.Param("env"), c.Param("stage")
	var body struct{}
	operator, err := optionalBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.stages.GetStage(ctx, env, stage)
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.deployer != nil {
		q, err := s.deployer.QueuedDeploy(ctx, st)
		switch {
		case err == nil && q != nil:
			s.fail(c, core.Errorf(core.ECONFLICT, "stage %s/%s has a queued deploy: abort the running deploy and wait for the queue to empty before deleting the stage", env, stage))
			return
		case err != nil && core.ErrorCode(err) != core.ENOTFOUND:
			s.fail(c, fmt.Errorf("ask whether %s/%s has a queued deploy: %w", env, stage, err))
			return
		}
	}
	gone, err := s.stages.DeleteStage(ctx, env, stage, operator)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.logger.Info("stage deleted", "env", env, "stage", stage, "operator", operator)
	c.JSON(http.StatusOK, stageJSON(gone))
}

func (s *server) stageHistory(c *gin.Context) {
	limit, err := queryLimit(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	changes, err := s.stages.ListConfigHistory(c.Request.Context(), c.Param("env"), c.Param("stage"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, historyList{Changes: mapList(changes, configChangeJSON)})
}
