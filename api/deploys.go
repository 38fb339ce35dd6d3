package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/telemetry"
)

// maxDeployDescription mirrors the store's limit; it is checked before the workflow starts
// because a workflow must not be started for a deploy row that cannot be written.
const maxDeployDescription = 1024

// deployStore is what the deploy handlers ask of the store: those of deploys.go and of
// the stage actions, promote and deploy hosts, which all start from a stage or a deploy.
type deployStore interface {
	GetStage(ctx context.Context, env, stage string) (*schema.Stage, error)
	GetBuild(ctx context.Context, id string) (*schema.Build, error)
	GetDeploy(ctx context.Context, id string) (*schema.Deploy, error)
	CurrentDeploy(ctx context.Context, env, stage string) (*schema.Deploy, error)
	ListDeploys(ctx context.Context, env, stage string, f schema.DeployFilter) ([]schema.Deploy, error)
	ListDeployHosts(ctx context.Context, deployID string) ([]schema.DeployHost, error)
	ListDeployReasons(ctx context.Context, deployID string) ([]schema.DeployReason, error)
	// ListAlarmChecks lists the alarm checks that acted on a deploy, oldest first.
	ListAlarmChecks(ctx context.Context, deployID string) ([]schema.AlarmCheck, error)
	// ListWebhookDeliveries lists every webhook delivery attempt of a deploy, oldest first.
	ListWebhookDeliveries(ctx context.Context, deployID string) ([]schema.WebhookDelivery, error)
	RollbackTarget(ctx context.Context, env, stage string, current *schema.Deploy) (*schema.Deploy, error)
	EffectiveTag(ctx context.Context, b *schema.Build) (*core.BuildTag, error)
}

// deployList is the body of a stage's deploy listing.
type deployList struct {
	Deploys []Deploy `json:"deploys"`
}

// deployView is a deploy with the build it rolls out and, when the Temporal UI is known,
// a link to its workflow: what a person looking at one deploy wants in one answer.
type deployView struct {
	Deploy      *Deploy `json:"deploy"`
	Build       *Build  `json:"build,omitempty"`
	WorkflowURL string  `json:"workflowUrl,omitempty"`
	// ClearedQueue is the queued deploy that this newly started deploy dropped.
	ClearedQueue string `json:"clearedQueue,omitempty"`
	// Reasons are every state the deploy was put in and why, oldest first (one deploy's
	// answers only).
	Reasons []DeployReason `json:"reasons,omitempty"`
	// Warnings say what about a deploy just started deserves a second look, such as a
	// build from another branch than the stage's (core.BranchWarning); it started anyway.
	Warnings []string `json:"warnings,omitempty"`
	// AlarmChecks are the alarm checks and alerts that acted on the deploy, oldest first,
	// and WebhookDeliveries every attempt to tell its stage's webhooks about it (one
	// deploy's answers only).
	AlarmChecks       []AlarmCheck      `json:"alarmChecks,omitempty"`
	WebhookDeliveries []WebhookDelivery `json:"webhookDeliveries,omitempty"`
}

// startDeployBody is the JSON of POST /v1/envs/:env/:stage/deploys.
type startDeployBody struct {
	BuildID     string `json:"buildId"`
	Description string `json:"description"`
	// Force replaces a running HOTFIX or ROLLBACK deploy, which is refused otherwise.
	Force bool `json:"force"`
	// Queue makes a REGULAR deploy that a running HOTFIX or ROLLBACK blocks wait for it.
	Queue bool `json:"queue"`
}

func (s *server) startDeploy(c *gin.Context) {
	ctx := c.Request.Context()
	env, stage := c.Param("env"), c.Param("stage")
	var body startDeployBody
	operator, err := authoredBody(c, &body)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.deploys.GetStage(ctx, env, stage)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := checkDescription(body.Description); err != nil {
		s.fail(c, err)
		return
	}
	b, err := s.deployableBuild(ctx, st, body.BuildID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.launch(c, StartDeployRequest{Stage: st, Build: b, Type: core.TypeRegular, Description: body.Description, Operator: operator, Force: body.Force, Queue: body.Queue})
}

// checkDescription refuses a description the deploy row cannot hold.
func checkDescription(desc string) error {
	if len(desc) > maxDeployDescription {
		return core.FieldErrorf("description", "is %d characters long; the limit is %d", len(desc), maxDeployDescription)
	}
	return nil
}

// deployableBuild loads the build named by a request body and checks that the stage
// deploys builds of its name.
func (s *server) deployableBuild(ctx context.Context, st *schema.Stage, buildID string) (*schema.Build, error) {
	if buildID == "" {
		return nil, core.FieldErrorf("buildId", "is required: the id of the build to deploy")
	}
	b, err := s.deploys.GetBuild(ctx, buildID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		// The build is named by the body, not the URL: a missing build is a bad request,
		// while 404 would suggest the stage is missing.
		return nil, core.FieldErrorf("buildId", "build %s does not exist", buildID)
	}
	if err != nil {
		return nil, err
	}
	if b.Name != st.BuildName {
		return nil, core.FieldErrorf("buildId", "stage %s/%s deploys builds named %s; build %s is named %s", st.EnvName, st.StageName, st.BuildName, b.ID, b.Name)
	}
	return b, nil
}

// launch starts a deploy through the workflow layer and answers 201 with it, or 202 with
// the queued request when the stage workflow queued it.
func (s *server) launch(c *gin.Context, req StartDeployRequest) {
	// A restart redeploys what the stage runs already; every other deploy by hand of a
	// build tagged BAD needs force.
	if req.Type != core.TypeRestart {
		if err := s.refuseBadBuild(c.Request.Context(), req.Build, req.Force); err != nil {
			s.fail(c, err)
			return
		}
	}
	if s.deployer == nil {
		s.fail(c, core.Errorf(core.EUNAVAILABLE, "deploys cannot be started: this server runs without a workflow layer"))
		return
	}
	res, err := s.deployer.StartDeploy(c.Request.Context(), req)
	if err != nil {
		s.fail(c, fmt.Errorf("start %s deploy of build %s to %s/%s: %w", req.Type, req.Build.ID, req.Stage.EnvName, req.Stage.StageName, err))
		return
	}
	if res.Queued != nil {
		c.Header("Location", "/v1/envs/"+url.PathEscape(req.Stage.EnvName)+"/"+url.PathEscape(req.Stage.StageName)+"/queue")
		c.JSON(http.StatusAccepted, res.Queued)
		return
	}
	ctx := telemetry.WithLogAttrs(c.Request.Context(), slog.String("deploy_id", res.Deploy.ID), slog.String("workflow_id", res.Deploy.WorkflowID))
	c.Request = c.Request.WithContext(ctx)
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("teletraan.deploy_id", res.Deploy.ID), attribute.String("temporal.workflow_id", res.Deploy.WorkflowID))
	s.logger.LogAttrs(ctx, slog.LevelInfo, "deploy started", slog.String("env", req.Stage.EnvName), slog.String("stage", req.Stage.StageName),
		slog.String("type", req.Type), slog.String("build_id", req.Build.ID), slog.String("operator", req.Operator))
	v, err := s.view(c.Request.Context(), res.Deploy, req.Build)
	if err != nil {
		s.fail(c, err)
		return
	}
	v.ClearedQueue = res.ClearedQueue
	if w := core.BranchWarning(req.Stage.Branch, req.Build.Branch); w != "" {
		v.Warnings = append(v.Warnings, w)
	}
	created(c, v, "deploys", res.Deploy.ID)
}

// getQueue answers the stage's queued deploy, or 404 when nothing is queued.
func (s *server) getQueue(c *gin.Context) {
	st, err := s.deploys.GetStage(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.deployer == nil {
		s.fail(c, core.Errorf(core.EUNAVAILABLE, "the queue cannot be read: this server runs without a workflow layer"))
		return
	}
	q, err := s.deployer.QueuedDeploy(c.Request.Context(), st)
	if err != nil {
		s.fail(c, fmt.Errorf("read the queue of %s/%s: %w", st.EnvName, st.StageName, err))
		return
	}
	c.JSON(http.StatusOK, q)
}

func (s *server) listDeploys(c *gin.Context) {
	limit, offset, err := queryPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := schema.DeployFilter{Limit: limit, Offset: offset, Type: strings.ToUpper(c.Query("type")), State: strings.ToUpper(c.Query("state"))}
	deploys, err := s.deploys.ListDeploys(c.Request.Context(), c.Param("env"), c.Param("stage"), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, deployList{Deploys: mapList(deploys, deployJSON)})
}

func (s *server) currentDeploy(c *gin.Context) {
	d, err := s.deploys.CurrentDeploy(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondDeploy(c, d)
}

func (s *server) getDeploy(c *gin.Context) {
	d, err := s.deploys.GetDeploy(c.Request.Context(), c.Param("id"))
	if err == nil {
		err = MayReadEnv(c, d.EnvName)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.respondDeploy(c, d)
}

func (s *server) respondDeploy(c *gin.Context, d *schema.Deploy) {
	b, err := s.deploys.GetBuild(c.Request.Context(), d.BuildID)
	if core.ErrorCode(err) == core.ENOTFOUND {
		// Builds are never deleted, so a deploy without its build is corrupt data, not a
		// missing resource the client asked for: answer 500, not 404.
		s.fail(c, fmt.Errorf("deploy %s names build %s, which does not exist", d.ID, d.BuildID))
		return
	}
	if err != nil {
		s.fail(c, fmt.Errorf("load build %s of deploy %s: %w", d.BuildID, d.ID, err))
		return
	}
	reasons, err := s.deploys.ListDeployReasons(c.Request.Context(), d.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	checks, err := s.deploys.ListAlarmChecks(c.Request.Context(), d.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	deliveries, err := s.deploys.ListWebhookDeliveries(c.Request.Context(), d.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.view(c.Request.Context(), d, b)
	if err != nil {
		s.fail(c, err)
		return
	}
	if st, err := s.deploys.GetStage(c.Request.Context(), d.EnvName, d.StageName); err == nil {
		v.Deploy.Acceptance = deployAcceptanceJSON(d, st.Acceptance.HasChecks())
	}
	v.Reasons = deployReasonsJSON(reasons)
	v.AlarmChecks = mapList(checks, alarmCheckJSON)
	v.WebhookDeliveries = mapList(deliveries, webhookDeliveryJSON)
	c.JSON(http.StatusOK, v)
}

func (s *server) view(ctx context.Context, d *schema.Deploy, b *schema.Build) (deployView, error) {
	tag, err := s.tags.EffectiveTag(ctx, b)
	if err != nil {
		return deployView{}, err
	}
	return deployViewJSON(d, b, tag, s.workflowURL(d.WorkflowID)), nil
}

// workflowURL links to a workflow in the Temporal UI. The workflow id is escaped as one
// path segment: ids such as "deploy/<id>" hold a slash, which the UI expects as %2F.
func (s *server) workflowURL(workflowID string) string {
	if s.temporalUIURL == "" || workflowID == "" {
		return ""
	}
	return s.temporalUIURL + "/namespaces/" + url.PathEscape(s.namespace) + "/workflows/" + url.PathEscape(workflowID)
}
