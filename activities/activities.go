// Package activities is the only place workflows reach the outside world: the app database
// today, agents' goals, alarms and webhooks as those features land.
package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Activities holds the dependencies of every activity; its methods are the activities,
// registered under their method names (CreateDeploy, ...), which the workflows name by
// method value and the recorded histories carry.
type Activities struct {
	// Store is the app database (a *schema.Store outside tests).
	Store Store
	// Now is the clock for stuck detection; nil means time.Now. Tests inject one.
	Now func() time.Time
	// PollInterval is how often AwaitWave reads the agent rows when no host reported
	// (default DefaultPollInterval).
	PollInterval time.Duration
	// ChangeProbeInterval is how often AwaitWave checks whether a host reported (default
	// DefaultChangeProbeInterval).
	ChangeProbeInterval time.Duration
	// MaxWait bounds one AwaitWave call (default DefaultMaxWait).
	MaxWait time.Duration
	// HTTPClient checks alarms; nil means http.DefaultClient (alarmcheck.Timeout bounds each call).
	HTTPClient *http.Client
	// Metrics records deploys, waves, alarm checks and verdicts; nil records nothing.
	Metrics Recorder
	// Prometheus is where PROMETHEUS alarms query when their stage names no server.
	Prometheus alarmcheck.Prometheus
	// BoardURL and TemporalUIURL are the links webhook bodies carry ("" leaves them out);
	// Namespace is the Temporal namespace of the UI's links ("" means default).
	BoardURL, TemporalUIURL, Namespace string
	// WebhookBackoff is the first wait between delivery attempts (default 1 s, doubling).
	WebhookBackoff time.Duration
	// Promoter reaches the promotion and stage workflows for the promotion activities;
	// nil makes AnnounceDeploy a no-op (a worker without auto-promotion).
	Promoter StagePromoter
}

// CreateDeploy inserts the deploy row once (a retry finds it and returns the same result)
// and makes it the stage's current deploy.
func (a *Activities) CreateDeploy(ctx context.Context, in CreateDeployInput) (CreateDeployResult, error) {
	var from string
	st, err := a.Store.GetStageByID(ctx, in.StageID)
	if err != nil {
		return CreateDeployResult{}, permanent(err)
	}
	// CreateDeploy makes the deploy its stage's current one, so a retry of a call that
	// created it finds it current: count each deploy once without another query.
	isNew := st.CurrentDeployID != in.DeployID
	if st.CurrentDeployID != "" && isNew {
		prev, err := a.Store.GetDeploy(ctx, st.CurrentDeployID)
		if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
			return CreateDeployResult{}, err
		}
		if prev != nil {
			from = prev.BuildID
		}
	}
	d := &schema.Deploy{
		ID: in.DeployID, StageID: in.StageID, EnvName: in.EnvName, StageName: in.StageName,
		BuildID: in.BuildID, FromBuildID: from, Type: in.Type, Description: in.Description,
		Operator: in.Operator, WorkflowID: in.WorkflowID, AliasDeployID: in.AliasDeployID,
	}
	if err := a.Store.CreateDeploy(ctx, d); err != nil {
		return CreateDeployResult{}, permanent(err)
	}
	if err := a.auditWorkflowDeploy(ctx, d); err != nil {
		return CreateDeployResult{}, err
	}
	if isNew {
		a.metrics().DeployStarted(ctx, in.Type)
	}
	return CreateDeployResult{FromBuildID: d.FromBuildID}, nil
}

// SetDeployState records a deploy's state and the reason for it.
func (a *Activities) SetDeployState(ctx context.Context, in SetDeployStateInput) error {
	before, err := a.Store.GetDeploy(ctx, in.DeployID)
	if err != nil {
		return permanent(err)
	}
	d, err := a.Store.SetDeployState(ctx, in.DeployID, in.State, in.Reason)
	if err != nil {
		return permanent(err)
	}
	a.recordRolloutEnd(ctx, before, d)
	return nil
}

// SetDeployBaking records on the deploy row until when it bakes, so that readers see the
// bake as its own phase with its end; a nil Until ends it.
func (a *Activities) SetDeployBaking(ctx context.Context, in SetDeployBakingInput) error {
	return permanent(a.Store.SetDeployBaking(ctx, in.DeployID, in.Until, in.Reason))
}

// SetDeployPaused records on the deploy row that an operator paused or resumed it.
func (a *Activities) SetDeployPaused(ctx context.Context, in SetDeployPausedInput) error {
	return permanent(a.Store.SetDeployPaused(ctx, in.DeployID, in.Paused, in.Reason))
}

// recordDeployHosts counts the hosts the stage's capacity holds right now, records the
// number as the deploy's total and returns it.
func (a *Activities) recordDeployHosts(ctx context.Context, deployID, env, stage string) (int, error) {
	hosts, err := a.Store.ListStageHosts(ctx, env, stage)
	if err != nil {
		return 0, permanent(err)
	}
	n := 0
	for _, h := range hosts {
		if h.MemberBy != "removed" {
			n++
		}
	}
	d, err := a.Store.GetDeploy(ctx, deployID)
	if err != nil {
		return 0, permanent(err)
	}
	if err := a.Store.SetDeployCounts(ctx, deployID, n, d.Succeeded, d.Failed); err != nil {
		return 0, err
	}
	return n, nil
}

// permanent marks domain errors that a retry cannot fix (bad input, missing rows) as
// non-retryable; infrastructure errors stay retryable.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	var e *core.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Code {
	case core.EINVALID:
		return temporal.NewNonRetryableApplicationError(e.Message, "InvalidInput", err)
	case core.ENOTFOUND:
		return temporal.NewNonRetryableApplicationError(e.Message, "NotFound", err)
	case core.ECONFLICT:
		return temporal.NewNonRetryableApplicationError(e.Message, "Conflict", err)
	}
	return fmt.Errorf("%s: %w", e.Message, err)
}

// auditWorkflowDeploy records in the audit trail a deploy that a workflow started by
// itself (an automatic rollback, a promotion): no API call asked for it, so the API's
// trail would not have it. The actor is the system; the detail names the workflow.
func (a *Activities) auditWorkflowDeploy(ctx context.Context, d *schema.Deploy) error {
	if !core.IsWorkflowOperator(d.Operator) {
		return nil
	}
	route := "workflow-deploy"
	switch {
	case d.Type == core.TypeRollback:
		route = "automatic-rollback"
	case strings.HasPrefix(d.Operator, "promotion:"):
		route = "promotion"
	}
	detail := fmt.Sprintf("%s started %s deploy %s of build %s", d.Operator, d.Type, d.ID, d.BuildID)
	if d.Description != "" {
		detail += ": " + d.Description
	}
	e := &schema.AuditEntry{Actor: core.SystemActor, Role: core.SystemActor, Route: route, Path: "/v1/deploys/" + d.ID,
		EnvName: d.EnvName, StageName: d.StageName, Status: 201, RequestID: "deploy:" + d.ID, Detail: detail}
	if err := a.Store.RecordWorkflowAudit(ctx, e); err != nil {
		return fmt.Errorf("record deploy %s in the audit trail: %w", d.ID, err)
	}
	return nil
}

// RecordSystemChange appends a change a workflow made by itself (an alert's action, a
// promotion's decision) to the audit trail with the system as its actor, once per Key.
// Workflows that call it gate the call with workflow.GetVersion like any new command.
func (a *Activities) RecordSystemChange(ctx context.Context, in RecordSystemChangeInput) error {
	if in.Key == "" || in.Change == "" {
		return permanent(core.Errorf(core.EINVALID, "a system change needs a key and a change name"))
	}
	detail := in.Detail
	if in.Operator != "" {
		detail = in.Operator + ": " + detail
	}
	return a.Store.RecordWorkflowAudit(ctx, &schema.AuditEntry{Actor: core.SystemActor, Role: core.SystemActor, Route: in.Change,
		EnvName: in.EnvName, StageName: in.StageName, Status: 200, RequestID: "system:" + in.Key, Detail: detail})
}
