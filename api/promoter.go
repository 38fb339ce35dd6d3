package api

import (
	"context"
	"time"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Promotion actions on a stage's auto-promotion (POST .../promotion/actions/:action).
const (
	PromotionPause   = "pause"
	PromotionResume  = "resume"
	PromotionNow     = "now"
	promotionActions = "pause, resume or now"
)

// Promoter is what the API needs from the workflow layer for auto-promotion; package
// temporal/deployer implements it on the promotion workflows and their schedules.
type Promoter interface {
	// BuildPublished offers b to the promotions of the stages that promote its builds.
	BuildPublished(ctx context.Context, b *schema.Build) error
	// ConfigChanged brings st's promotion in line with its config: the workflow is told
	// (started when needed) and its schedule is created, updated or deleted.
	ConfigChanged(ctx context.Context, st *schema.Stage) error
	// PromotionStatus is what st's promotion is doing and why; ENOTFOUND without a promote config.
	PromotionStatus(ctx context.Context, st *schema.Stage) (*PromotionStatus, error)
	// PromotionAction pauses, resumes or promotes now (PromotionPause, ...), answering the
	// status after it, or ECONFLICT with the promotion's reason.
	PromotionAction(ctx context.Context, st *schema.Stage, action, operator string) (*PromotionStatus, error)
}

// PromotionCandidate is a build waiting to be promoted to a stage.
type PromotionCandidate struct {
	BuildID   string `json:"buildId"`
	BuildName string `json:"buildName"`
	Branch    string `json:"branch,omitempty"`
	// SourceDeployID is the predecessor's deploy that qualified it.
	SourceDeployID string    `json:"sourceDeployId,omitempty"`
	At             time.Time `json:"at"`
	PublishedAt    time.Time `json:"publishedAt"`
}

// PromotionStatus is a stage's auto-promotion as its workflow and schedule report it.
type PromotionStatus struct {
	EnvName   string `json:"envName"`
	StageName string `json:"stageName"`
	// Why says why it is not promoting now, or what it just promoted.
	Why string `json:"why"`
	// Next is the candidate it promotes next.
	Next *PromotionCandidate `json:"next,omitempty"`
	// WaitUntil is when it looks again by itself (the delay, the window).
	WaitUntil  *time.Time           `json:"waitUntil,omitempty"`
	Candidates []PromotionCandidate `json:"candidates"`
	PausedBy   string               `json:"pausedBy,omitempty"`
	Disabled   string               `json:"disabled,omitempty"`
	// LastPromotedDeployID is the last deploy it started.
	LastPromotedDeployID string `json:"lastPromotedDeployId,omitempty"`
	// DeployID is the deploy a promote-now started.
	DeployID string `json:"deployId,omitempty"`
	// NextScheduleTime is the schedule's next wake, for a cron.
	NextScheduleTime *time.Time `json:"nextScheduleTime,omitempty"`
	// ScheduleID names the Temporal Schedule; SchedulePaused says it was paused (in the Temporal UI).
	ScheduleID     string     `json:"scheduleId,omitempty"`
	SchedulePaused bool       `json:"schedulePaused,omitempty"`
	DecidedAt      *time.Time `json:"decidedAt,omitempty"`
}
