package schema

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// AlarmCheck is an alarm check (or an alert) that acted on a deploy: what it read, what it
// compared with, why, and what it did.
type AlarmCheck struct {
	bun.BaseModel `bun:"table:deploy_alarm_checks"`

	DeployID string `bun:"deploy_id,pk" json:"-"`
	// CheckID is unique within the deploy and chosen by the caller, so that a retried
	// activity records once.
	CheckID string `bun:"check_id,pk" json:"id"`
	Alarm   string `bun:"alarm,notnull" json:"alarm"`
	// Kind is the alarm's kind, or ALERT for an alert posted to the stage.
	Kind string `bun:"kind,notnull" json:"kind"`
	// Source is "before-wave", "in-flight", "bake" or "alert".
	Source  string   `bun:"source,notnull" json:"source"`
	Outcome string   `bun:"outcome,notnull" json:"outcome"`
	Value   *float64 `bun:"value" json:"value,omitempty"`
	// Threshold is the comparison made, such as "> 1", or "" for an HTTP alarm.
	Threshold string    `bun:"threshold,notnull" json:"threshold"`
	Reason    string    `bun:"reason,notnull" json:"reason"`
	Action    string    `bun:"action,notnull" json:"action"`
	CheckedAt time.Time `bun:"checked_at,notnull" json:"checkedAt"`
}

// RecordAlarmCheck stores an acting check; one already recorded under its id is kept.
func (s *Store) RecordAlarmCheck(ctx context.Context, c *AlarmCheck) error {
	if _, err := s.db.NewInsert().Model(c).Ignore().Exec(ctx); err != nil && !isDuplicate(err) {
		return fmt.Errorf("record alarm check of deploy %s: %w", c.DeployID, err)
	}
	return nil
}

// ListAlarmChecks returns the checks that acted on the deploy, oldest first.
func (s *Store) ListAlarmChecks(ctx context.Context, deployID string) ([]AlarmCheck, error) {
	out := []AlarmCheck{}
	if err := s.db.NewSelect().Model(&out).Where("deploy_id = ?", deployID).Order("checked_at", "check_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list alarm checks of deploy %s: %w", deployID, err)
	}
	return out, nil
}

// WebhookDelivery is one attempt to deliver one event to one webhook.
type WebhookDelivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`

	// ID is the delivery's id (the same for every attempt, sent as X-Teletraan-Delivery)
	// and the attempt number.
	ID         string    `bun:"id,pk" json:"id"`
	DeployID   string    `bun:"deploy_id,notnull" json:"deployId"`
	Hook       string    `bun:"hook,notnull" json:"hook"`
	Event      string    `bun:"event,notnull" json:"event"`
	Attempt    int       `bun:"attempt,notnull" json:"attempt"`
	StatusCode int       `bun:"status_code,notnull" json:"statusCode"`
	LatencyMS  int64     `bun:"latency_ms,notnull" json:"latencyMs"`
	Error      string    `bun:"error,notnull" json:"error,omitempty"`
	Delivered  bool      `bun:"delivered,notnull" json:"delivered"`
	AttemptAt  time.Time `bun:"attempted_at,notnull" json:"attemptedAt"`
}

// RecordWebhookDelivery stores one attempt; an attempt already recorded under its id is kept.
func (s *Store) RecordWebhookDelivery(ctx context.Context, d *WebhookDelivery) error {
	if _, err := s.db.NewInsert().Model(d).Ignore().Exec(ctx); err != nil && !isDuplicate(err) {
		return fmt.Errorf("record webhook delivery %s: %w", d.ID, err)
	}
	return nil
}

// ListWebhookDeliveries returns every attempt to deliver the deploy's events, oldest first.
func (s *Store) ListWebhookDeliveries(ctx context.Context, deployID string) ([]WebhookDelivery, error) {
	out := []WebhookDelivery{}
	if err := s.db.NewSelect().Model(&out).Where("deploy_id = ?", deployID).Order("attempted_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list webhook deliveries of deploy %s: %w", deployID, err)
	}
	return out, nil
}

// StageAlert is an alert posted to a stage, firing or resolved, and what it did.
type StageAlert struct {
	bun.BaseModel `bun:"table:stage_alerts"`

	ID          int64      `bun:"id,pk,autoincrement" json:"id"`
	StageID     string     `bun:"stage_id,notnull" json:"-"`
	DeployID    string     `bun:"deploy_id,notnull" json:"deployId"`
	Name        string     `bun:"name,notnull" json:"name"`
	Status      string     `bun:"status,notnull" json:"status"`
	Fingerprint string     `bun:"fingerprint,notnull" json:"fingerprint"`
	Summary     string     `bun:"summary,notnull" json:"summary"`
	Action      string     `bun:"action,notnull" json:"action"`
	StartsAt    *time.Time `bun:"starts_at" json:"startsAt,omitempty"`
	ReceivedAt  time.Time  `bun:"received_at,notnull" json:"receivedAt"`
}

// RecordStageAlert stores an alert the stage received.
func (s *Store) RecordStageAlert(ctx context.Context, a *StageAlert) error {
	if a.ReceivedAt.IsZero() {
		a.ReceivedAt = s.now()
	}
	if _, err := s.db.NewInsert().Model(a).Exec(ctx); err != nil {
		return fmt.Errorf("record alert %s: %w", a.Name, err)
	}
	return nil
}

// ListStageAlerts returns the stage's latest alerts, newest first, at most limit.
func (s *Store) ListStageAlerts(ctx context.Context, stageID string, limit int64) ([]StageAlert, error) {
	out := []StageAlert{}
	if err := s.db.NewSelect().Model(&out).Where("stage_id = ?", stageID).Order("id DESC").Limit(limit).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list alerts of stage %s: %w", stageID, err)
	}
	return out, nil
}
