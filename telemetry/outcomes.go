package telemetry

import (
	"context"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// The instruments of what deploys, waves, goals, guards, promotions and qualifications
// did. Their names (as Prometheus shows them) and labels:
//
//	teletraan_deploys_started_total{type}                 deploys the workflows created
//	teletraan_deploy_duration_seconds{type,outcome}       start to the end of the rollout (succeeded: SUCCEEDING; aborted)
//	teletraan_wave_duration_seconds{type}                 a wave's admission to the deploy's next decision on it
//	teletraan_goal_delivery_seconds                       a host's admission to its held ping answered with the goal
//	teletraan_alarm_checks_total{result}                  alarm checks: ok, firing, inconclusive, error
//	teletraan_webhook_deliveries_total{result}            webhook deliveries: delivered, failed, gave_up
//	teletraan_promotions_total{outcome}                   promotion decisions: promoted, skipped, refused, failed
//	teletraan_qualifications_total{outcome}               finished qualifications: accepted, rejected, superseded
//	teletraan_qualification_duration_seconds{outcome}     a qualification's start to its verdict
//
// Every label value comes from the fixed sets below; a value outside its set is recorded as
// "other", so that no caller can grow a label's cardinality (no host, stage or build names).
// The counters of fixed outcomes start at zero, so that rate() and alerts see them before
// the first event.

// Alarm check results (teletraan_alarm_checks_total{result}).
const (
	AlarmOK     = "ok"
	AlarmFiring = "firing"
	// AlarmInconclusive is a check that got no usable answer (unreachable, no data).
	AlarmInconclusive = "inconclusive"
	// AlarmError is a check that could not be made (the activity itself failed).
	AlarmError = "error"
)

// Webhook delivery results (teletraan_webhook_deliveries_total{result}).
const (
	WebhookDelivered = "delivered"
	// WebhookFailed is one attempt that failed and will be retried.
	WebhookFailed = "failed"
	// WebhookGaveUp is a delivery abandoned after its last attempt.
	WebhookGaveUp = "gave_up"
)

// Promotion outcomes (teletraan_promotions_total{outcome}).
const (
	// PromotionPromoted is a candidate the stage accepted to deploy.
	PromotionPromoted = "promoted"
	// PromotionSkipped is a candidate passed over (a bad build, outside the window, replaced in the queue).
	PromotionSkipped = "skipped"
	// PromotionRefused is a candidate the stage workflow refused to deploy.
	PromotionRefused = "refused"
	// PromotionFailed is a promoted deploy that failed, to which the fail policy applied.
	PromotionFailed = "failed"
)

// Qualification outcomes (teletraan_qualifications_total{outcome}).
const (
	QualificationAccepted = "accepted"
	QualificationRejected = "rejected"
	// QualificationSuperseded is a qualification a newer deploy on the stage ended first.
	QualificationSuperseded = "superseded"
)

// Deploy outcomes (teletraan_deploy_duration_seconds{outcome}).
const (
	// DeployRolledOut is a deploy that reached its success threshold (SUCCEEDING).
	DeployRolledOut = "succeeded"
	// DeployAborted is a deploy that ended ABORTED (superseded, aborted, rolled back).
	DeployAborted = "aborted"
)

// otherValue replaces a label value outside its fixed set.
const otherValue = "other"

var (
	deployTypes          = []string{core.TypeRegular, core.TypeHotfix, core.TypeRollback, core.TypeRestart}
	deployOutcomes       = []string{DeployRolledOut, DeployAborted}
	alarmResults         = []string{AlarmOK, AlarmFiring, AlarmInconclusive, AlarmError}
	webhookResults       = []string{WebhookDelivered, WebhookFailed, WebhookGaveUp}
	promotionOutcomes    = []string{PromotionPromoted, PromotionSkipped, PromotionRefused, PromotionFailed}
	qualificationResults = []string{QualificationAccepted, QualificationRejected, QualificationSuperseded}
)

// bounded returns v when it is one of allowed, else "other".
func bounded(v string, allowed []string) string {
	if slices.Contains(allowed, v) {
		return v
	}
	return otherValue
}

func (m *Metrics) newOutcomeInstruments(meter metric.Meter) error {
	// Deploys and waves take seconds to hours; goals are delivered in milliseconds.
	long := metric.WithExplicitBucketBoundaries(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)
	short := metric.WithExplicitBucketBoundaries(0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10, 30)
	var err error
	counter := func(dst *metric.Int64Counter, name, desc string) {
		if err == nil {
			*dst, err = meter.Int64Counter(name, metric.WithDescription(desc))
		}
	}
	histogram := func(dst *metric.Float64Histogram, name, desc string, buckets metric.HistogramOption) {
		if err == nil {
			*dst, err = meter.Float64Histogram(name, metric.WithUnit("s"), buckets, metric.WithDescription(desc))
		}
	}
	counter(&m.deploysStarted, "teletraan_deploys_started", "deploys the workflows created, by type")
	histogram(&m.deployDuration, "teletraan_deploy_duration", "time from a deploy's start to the end of its rollout, by type and outcome (succeeded: reached SUCCEEDING; aborted)", long)
	histogram(&m.waveDuration, "teletraan_wave_duration", "time from a wave's admission to the deploy's next decision on it, by deploy type", long)
	histogram(&m.goalDelivery, "teletraan_goal_delivery", "time from a host's admission (the worker's clock) to its held ping answered with the goal (this replica's clock)", short)
	counter(&m.alarmChecks, "teletraan_alarm_checks", "alarm checks, by result (ok, firing, inconclusive, error)")
	counter(&m.webhooks, "teletraan_webhook_deliveries", "webhook delivery attempts, by result (delivered, failed, gave_up)")
	counter(&m.promotions, "teletraan_promotions", "promotion decisions, by outcome (promoted, skipped, refused, failed)")
	counter(&m.qualifications, "teletraan_qualifications", "finished qualifications, by outcome (accepted, rejected, superseded)")
	histogram(&m.qualifyDuration, "teletraan_qualification_duration", "time from a deploy reaching its success threshold (the qualification's start) to its verdict, by outcome", long)
	if err != nil {
		return err
	}
	ctx := context.Background()
	zero := func(c metric.Int64Counter, key string, values []string) {
		for _, v := range values {
			c.Add(ctx, 0, metric.WithAttributes(attribute.String(key, v)))
		}
	}
	zero(m.deploysStarted, "type", deployTypes)
	zero(m.alarmChecks, "result", alarmResults)
	zero(m.webhooks, "result", webhookResults)
	zero(m.promotions, "outcome", promotionOutcomes)
	zero(m.qualifications, "outcome", qualificationResults)
	return nil
}

// DeployStarted counts a deploy the workflows created.
func (m *Metrics) DeployStarted(ctx context.Context, deployType string) {
	if m == nil {
		return
	}
	m.deploysStarted.Add(ctx, 1, metric.WithAttributes(attribute.String("type", bounded(deployType, deployTypes))))
}

// DeployFinished records a deploy whose rollout ended with outcome (DeployRolledOut or
// DeployAborted) took after its start.
func (m *Metrics) DeployFinished(ctx context.Context, deployType, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.deployDuration.Record(ctx, took.Seconds(), metric.WithAttributes(
		attribute.String("type", bounded(deployType, deployTypes)), attribute.String("outcome", bounded(outcome, deployOutcomes))))
}

// WaveFinished records the time from a wave's admission to the deploy's next decision on it.
func (m *Metrics) WaveFinished(ctx context.Context, deployType string, took time.Duration) {
	if m == nil {
		return
	}
	m.waveDuration.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String("type", bounded(deployType, deployTypes))))
}

// GoalDelivered records the time from a host's admission to the answer carrying its goal.
func (m *Metrics) GoalDelivered(ctx context.Context, took time.Duration) {
	if m == nil {
		return
	}
	m.goalDelivery.Record(ctx, max(took, 0).Seconds())
}

// AlarmChecked counts one alarm check with its result (AlarmOK, AlarmFiring, AlarmError).
func (m *Metrics) AlarmChecked(ctx context.Context, result string) {
	if m == nil {
		return
	}
	m.alarmChecks.Add(ctx, 1, metric.WithAttributes(attribute.String("result", bounded(result, alarmResults))))
}

// WebhookDelivery counts one webhook delivery attempt with its result (WebhookDelivered,
// WebhookFailed, WebhookGaveUp).
func (m *Metrics) WebhookDelivery(ctx context.Context, result string) {
	if m == nil {
		return
	}
	m.webhooks.Add(ctx, 1, metric.WithAttributes(attribute.String("result", bounded(result, webhookResults))))
}

// Promotion counts one promotion decision with its outcome (PromotionPromoted, ...).
func (m *Metrics) Promotion(ctx context.Context, outcome string) {
	if m == nil {
		return
	}
	m.promotions.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", bounded(outcome, promotionOutcomes))))
}

// QualificationFinished counts a qualification's verdict (QualificationAccepted, ...) and
// records how long after its start it came.
func (m *Metrics) QualificationFinished(ctx context.Context, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	attrs := metric.WithAttributes(attribute.String("outcome", bounded(outcome, qualificationResults)))
	m.qualifications.Add(ctx, 1, attrs)
	m.qualifyDuration.Record(ctx, took.Seconds(), attrs)
}
