package api

import (
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// This file is the only place where the store's rows become API values and request
// bodies become rows, so that a change on either side is one edit here. Slices and maps
// are shared rather than copied, since a row is dropped once it is answered; nil stays
// nil, because clients see null and [] differently.

// mapList converts a list of rows, keeping a nil list nil.
func mapList[R, V any](rows []R, conv func(*R) V) []V {
	if rows == nil {
		return nil
	}
	out := make([]V, len(rows))
	for i := range rows {
		out[i] = conv(&rows[i])
	}
	return out
}

func stageJSON(st *schema.Stage) Stage {
	return Stage{
		ID:              st.ID,
		EnvName:         st.EnvName,
		StageName:       st.StageName,
		StageConfig:     stageConfigJSON(&st.StageConfig),
		CurrentDeployID: st.CurrentDeployID,
		LastOperator:    st.LastOperator,
		CreatedAt:       st.CreatedAt,
		UpdatedAt:       st.UpdatedAt,
	}
}

// stageConfigJSON maps a stage's config as anyone but an agent may see it: secrets are
// write-only (schema.StageConfig.Redacted).
func stageConfigJSON(stored *schema.StageConfig) StageConfig {
	redacted := stored.Redacted(nil)
	cfg := &redacted
	return StageConfig{
		Description:         cfg.Description,
		BuildName:           cfg.BuildName,
		Branch:              cfg.Branch,
		MaxParallel:         cfg.MaxParallel,
		MaxParallelPct:      cfg.MaxParallelPct,
		SuccessThreshold:    cfg.SuccessThreshold,
		StuckTimeoutSeconds: cfg.StuckTimeoutSeconds,
		BakeTimeSeconds:     cfg.BakeTimeSeconds,
		ScriptVariables:     cfg.ScriptVariables,
		SecretVariables:     cfg.SecretVariables,
		AgentConfigs:        cfg.AgentConfigs,
		OnFailure:           cfg.OnFailure,
		StageType:           cfg.StageType,
		Alarms:              mapList(cfg.Alarms, func(a *schema.Alarm) Alarm { return Alarm(*a) }),
		AlarmPolicy:         alarmPolicyJSON(cfg.AlarmPolicy),
		Webhooks:            mapList(cfg.Webhooks, func(w *schema.Webhook) Webhook { return Webhook(*w) }),
		Acceptance:          cfg.Acceptance,
	}
}

func alarmPolicyJSON(p schema.AlarmPolicy) AlarmPolicy {
	return AlarmPolicy{OnFiring: p.OnFiring, IntervalSeconds: p.IntervalSeconds, FailureLimit: p.FailureLimit,
		OnInconclusive: p.OnInconclusive, HoldRollbacks: p.HoldRollbacks, Prometheus: PrometheusSource(p.Prometheus),
		AlertSecret: p.AlertSecret, AlertMaxAgeSeconds: p.AlertMaxAgeSeconds}
}

func alarmPolicyOf(p *AlarmPolicy) schema.AlarmPolicy {
	return schema.AlarmPolicy{OnFiring: p.OnFiring, IntervalSeconds: p.IntervalSeconds, FailureLimit: p.FailureLimit,
		OnInconclusive: p.OnInconclusive, HoldRollbacks: p.HoldRollbacks, Prometheus: schema.PrometheusSource(p.Prometheus),
		AlertSecret: p.AlertSecret, AlertMaxAgeSeconds: p.AlertMaxAgeSeconds}
}

// applyToNew merges the body into a new stage's default config. A creator who caps the
// window by percent alone means a percentage: the default count cap of one host does not
// apply then, or "at most 10 %" would deploy one host at a time.
func (b *stageBody) applyToNew(cfg *schema.StageConfig) {
	if b.MaxParallelPct != nil && b.MaxParallel == nil {
		cfg.MaxParallel = 0
	}
	b.applyTo(cfg)
}

// applyTo merges the body's present fields into cfg; a present map or list replaces the
// whole map or list, so that a key or an alarm can be removed by leaving it out.
func (b *stageBody) applyTo(cfg *schema.StageConfig) {
	setIfPresent(&cfg.Description, b.Description)
	setIfPresent(&cfg.BuildName, b.BuildName)
	setIfPresent(&cfg.Branch, b.Branch)
	setIfPresent(&cfg.MaxParallel, b.MaxParallel)
	setIfPresent(&cfg.MaxParallelPct, b.MaxParallelPct)
	setIfPresent(&cfg.SuccessThreshold, b.SuccessThreshold)
	setIfPresent(&cfg.StuckTimeoutSeconds, b.StuckTimeoutSeconds)
	setIfPresent(&cfg.BakeTimeSeconds, b.BakeTimeSeconds)
	if b.ScriptVariables != nil {
		cfg.ScriptVariables = b.ScriptVariables
	}
	if b.SecretVariables != nil {
		cfg.SecretVariables = b.SecretVariables
	}
	if b.AgentConfigs != nil {
		cfg.AgentConfigs = b.AgentConfigs
	}
	setIfPresent(&cfg.OnFailure, b.OnFailure)
	setIfPresent(&cfg.StageType, b.StageType)
	if b.Alarms != nil {
		cfg.Alarms = mapList(b.Alarms, func(a *Alarm) schema.Alarm { return schema.Alarm(*a) })
	}
	if b.AlarmPolicy != nil {
		cfg.AlarmPolicy = alarmPolicyOf(b.AlarmPolicy)
	}
	if b.Webhooks != nil {
		cfg.Webhooks = mapList(b.Webhooks, func(w *Webhook) schema.Webhook { return schema.Webhook(*w) })
	}
	if b.Acceptance != nil {
		cfg.Acceptance = b.Acceptance
	}
}

func setIfPresent[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func configChangeJSON(ch *schema.ConfigChange) ConfigChange {
	return ConfigChange{
		ID:        ch.ID,
		StageID:   ch.StageID,
		Type:      ch.ChangeType,
		Operator:  ch.Operator,
		CreatedAt: ch.CreatedAt,
		Before:    ch.Before,
		After:     ch.After,
	}
}

func capacityJSON(c schema.Capacity) Capacity {
	return Capacity{Hosts: c.Hosts, Groups: c.Groups}
}

func capacityRow(c Capacity) schema.Capacity {
	return schema.Capacity{Hosts: c.Hosts, Groups: c.Groups}
}

func buildJSON(b *schema.Build) Build {
	return Build{
		ID:          b.ID,
		Name:        b.Name,
		ArtifactURL: b.ArtifactURL,
		Checksum:    b.Checksum,
		Repo:        b.Repo,
		Branch:      b.Branch,
		Commit:      b.Commit,
		CommitShort: b.CommitShort,
		CommitInfo:  b.CommitInfo,
		CommitDate:  b.CommitDate,
		PublishInfo: b.PublishInfo,
		Publisher:   b.Publisher,
		PublishedAt: b.PublishedAt,
	}
}

// taggedBuildJSON maps a build with the tag that speaks for it (nil: none).
func taggedBuildJSON(b *schema.Build, t *core.BuildTag) Build {
	out := buildJSON(b)
	out.Tag = effectiveTagJSON(b.ID, t)
	out.Bad = t != nil && t.Value == core.TagBad
	return out
}

// buildTagJSON maps a stored build tag.
func buildTagJSON(t *schema.BuildTag) BuildTag {
	return BuildTag{ID: t.ID, BuildID: t.BuildID, Value: t.Value, Comment: t.Comment, Operator: t.Operator, CreatedAt: t.CreatedAt}
}

// effectiveTagJSON maps the tag that speaks for build buildID; nil for none.
func effectiveTagJSON(buildID string, t *core.BuildTag) *EffectiveBuildTag {
	if t == nil {
		return nil
	}
	return &EffectiveBuildTag{
		BuildTag:  BuildTag{ID: t.ID, BuildID: t.Build.ID, Value: t.Value, Comment: t.Comment, Operator: t.Operator, CreatedAt: t.CreatedAt},
		Inherited: t.Build.ID != buildID,
	}
}

// buildRow turns a publish request into the row to store. CommitDate is parsed here
// rather than by encoding/json because time.Time's own errors do not name the field.
func (b *publishBuildBody) buildRow(publisher string) (*schema.Build, error) {
	row := &schema.Build{
		Name:        b.Name,
		ArtifactURL: b.ArtifactURL,
		Checksum:    b.Checksum,
		Repo:        b.Repo,
		Branch:      b.Branch,
		Commit:      b.Commit,
		CommitInfo:  b.CommitInfo,
		PublishInfo: b.PublishInfo,
		Publisher:   publisher,
	}
	if b.CommitDate != nil && *b.CommitDate != "" {
		t, err := time.Parse(time.RFC3339, *b.CommitDate)
		if err != nil {
			return nil, core.FieldErrorf("commitDate", "%q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", *b.CommitDate)
		}
		row.CommitDate = &t
	}
	return row, nil
}

func deployJSON(d *schema.Deploy) Deploy {
	return Deploy{
		ID:               d.ID,
		StageID:          d.StageID,
		EnvName:          d.EnvName,
		StageName:        d.StageName,
		BuildID:          d.BuildID,
		FromBuildID:      d.FromBuildID,
		FromDeployID:     d.FromDeployID,
		AliasDeployID:    d.AliasDeployID,
		Type:             d.Type,
		State:            d.State,
		StateReason:      d.StateReason,
		AcceptanceStatus: d.AcceptanceStatus,
		Operator:         d.Operator,
		Description:      d.Description,
		WorkflowID:       d.WorkflowID,
		Total:            d.Total,
		Succeeded:        d.Succeeded,
		Failed:           d.Failed,
		InFlight:         d.InFlight,
		Remaining:        d.Remaining,
		Paused:           d.Paused,
		CreatedAt:        d.CreatedAt,
		UpdatedAt:        d.UpdatedAt,
		SucceededAt:      d.SucceededAt,
		EndedAt:          d.EndedAt,
		BakingUntil:      d.BakingUntil,
		FailureReason:    d.FailureReason,
		Acceptance:       deployAcceptanceJSON(d, false),
	}
}

// deployAcceptanceJSON maps a deploy's acceptance; stageHasAcceptance words a deploy that
// has not reached SUCCEEDING on a stage with acceptance.
func deployAcceptanceJSON(d *schema.Deploy, stageHasAcceptance bool) DeployAcceptance {
	ev := d.AcceptanceEvidence
	if ev == nil {
		ev = []core.AcceptanceEvidence{}
	}
	return DeployAcceptance{Status: d.AcceptanceStatus, Summary: core.AcceptanceSummary(d.AcceptanceStatus, d.AcceptanceReason, stageHasAcceptance),
		Reason: d.AcceptanceReason, Evidence: ev, DecidedBy: d.AcceptanceBy, DecidedAt: d.AcceptanceAt}
}

// deployViewJSON is a deploy with its build and the tag that speaks for it; b may be nil,
// which leaves the build out.
func deployViewJSON(d *schema.Deploy, b *schema.Build, tag *core.BuildTag, workflowURL string) deployView {
	dv := deployJSON(d)
	v := deployView{Deploy: &dv, WorkflowURL: workflowURL}
	if b != nil {
		bv := taggedBuildJSON(b, tag)
		v.Build = &bv
	}
	return v
}

// deployHostsJSON shapes a deploy's waves for the API; a deploy that admitted nobody yet
// has an empty list, not null.
func deployHostsJSON(deployID string, waves []schema.DeployWave) deployHostsView {
	out := deployHostsView{DeployID: deployID, Waves: make([]waveView, 0, len(waves))}
	for _, w := range waves {
		wv := waveView{Wave: w.Wave, AdmittedAt: w.AdmittedAt, Hosts: make([]deployHostView, 0, len(w.Hosts))}
		for _, h := range w.Hosts {
			wv.Hosts = append(wv.Hosts, deployHostView{HostName: h.HostName, HostID: h.HostID, Outcome: h.Outcome, ErrorMessage: h.ErrorMessage, FinishedAt: h.FinishedAt})
		}
		out.Waves = append(out.Waves, wv)
	}
	return out
}

// stageHostJSON maps one host of a stage whose current deploy is currentDeployID ("" before
// the first deploy), with its phase at now.
func stageHostJSON(h *schema.StageHost, currentDeployID string, now time.Time) StageHost {
	v := StageHost{
		Phase:      string(core.PhaseOf(h.Agent, h.LastPingAt, currentDeployID, now)),
		HostName:   h.HostName,
		HostID:     h.HostID,
		IP:         h.IP,
		Groups:     h.Groups,
		LastPingAt: h.LastPingAt,
		MemberBy:   h.MemberBy,
	}
	v.Actions = core.HostActionsFor(h.Agent, core.HostPhase(v.Phase))
	if v.Actions == nil {
		v.Actions = []string{}
	}
	if h.Agent != nil {
		a := agentJSON(h.Agent)
		v.Agent = &a
	}
	if h.LastError != nil {
		e := agentErrorJSON(h.LastError)
		e.Stale = core.IsStaleError(h.Agent, h.LastError)
		v.LastError = &e
	}
	return v
}

func agentJSON(a *schema.Agent) Agent {
	return Agent{
		HostID:         a.HostID,
		StageID:        a.StageID,
		HostName:       a.HostName,
		DeployID:       a.DeployID,
		DeployStage:    a.DeployStage,
		Status:         a.Status,
		State:          a.State,
		FailCount:      a.FailCount,
		ErrorCode:      a.ErrorCode,
		FirstDeploy:    a.FirstDeploy,
		StartedAt:      a.StartedAt,
		StageStartedAt: a.StageStartedAt,
		UpdatedAt:      a.UpdatedAt,
	}
}

func agentErrorJSON(e *schema.AgentError) AgentError {
	return AgentError{
		HostID:       e.HostID,
		StageID:      e.StageID,
		HostName:     e.HostName,
		ErrorMessage: e.ErrorMessage,
		UpdatedAt:    e.UpdatedAt,
	}
}

// tokenJSON describes a token to its holder with what its role allows, so that clients
// need not know the role ladder to decide which buttons to offer.
func tokenJSON(t *schema.Token) tokenView {
	v := tokenView{Name: t.Name, Role: t.Role, Scope: t.Scope,
		CanOperate: allows(t.Role, schema.RoleOperator),
		CanPublish: allows(t.Role, schema.RolePublisher)}
	if t.ExpiresAt != nil {
		e := t.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")
		v.ExpiresAt = &e
	}
	return v
}

func auditEntryJSON(e *schema.AuditEntry) AuditEntry {
	return AuditEntry{ID: e.ID, At: e.At, Actor: e.Actor, Role: e.Role, RemoteAddr: e.RemoteAddr, Method: e.Method,
		Route: e.Route, Path: e.Path, EnvName: e.EnvName, StageName: e.StageName, Status: e.Status,
		ErrorCode: e.ErrorCode, RequestID: e.RequestID, Detail: e.Detail}
}

func deployReasonsJSON(rs []schema.DeployReason) []DeployReason {
	out := make([]DeployReason, len(rs))
	for i, r := range rs {
		out[i] = DeployReason{State: r.State, Reason: r.Reason, CreatedAt: r.CreatedAt}
	}
	return out
}

func alarmCheckJSON(c *schema.AlarmCheck) AlarmCheck {
	return AlarmCheck{ID: c.CheckID, Alarm: c.Alarm, Kind: c.Kind, Source: c.Source, Outcome: c.Outcome, Value: c.Value,
		Threshold: c.Threshold, Reason: c.Reason, Action: c.Action, CheckedAt: c.CheckedAt}
}

func webhookDeliveryJSON(d *schema.WebhookDelivery) WebhookDelivery {
	return WebhookDelivery{ID: d.ID, Hook: d.Hook, Event: d.Event, Attempt: d.Attempt, StatusCode: d.StatusCode,
		LatencyMS: d.LatencyMS, Error: d.Error, Delivered: d.Delivered, AttemptedAt: d.AttemptAt}
}
