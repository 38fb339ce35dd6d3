package board

import (
	"context"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// Store is all the board reads. It holds only the store methods the pages call, and no
// writes: every change goes through the API, whose access rules and audit trail the board
// must not bypass. *schema.Store satisfies it; a test can stand in a store that fails.
type Store interface {
	stageReader
	deployReader
	buildReader
	hostReader
	configReader
}

// stageReader finds the stage a page is about, its siblings and the home page's rows.
type stageReader interface {
	GetStage(ctx context.Context, env, stage string) (*schema.Stage, error)
	ListStages(ctx context.Context, f schema.StageFilter) ([]schema.Stage, error)
	ListStageSummaries(ctx context.Context) ([]schema.StageSummary, error)
}

// deployReader serves the current deploy, the history, the timeline and a deploy's waves.
type deployReader interface {
	GetDeploy(ctx context.Context, id string) (*schema.Deploy, error)
	ListDeploys(ctx context.Context, env, stage string, f schema.DeployFilter) ([]schema.Deploy, error)
	ListDeployHosts(ctx context.Context, deployID string) ([]schema.DeployHost, error)
	ListDeployReasons(ctx context.Context, deployID string) ([]schema.DeployReason, error)
	ListAlarmChecks(ctx context.Context, deployID string) ([]schema.AlarmCheck, error)
	ListWebhookDeliveries(ctx context.Context, deployID string) ([]schema.WebhookDelivery, error)
}

// buildReader serves the builds and compare pages and the build of a deploy.
type buildReader interface {
	GetBuild(ctx context.Context, id string) (*schema.Build, error)
	ListBuilds(ctx context.Context, f schema.BuildFilter) ([]schema.Build, error)
	GetBuildsByID(ctx context.Context, ids []string) (map[string]schema.Build, error)
	EffectiveTags(ctx context.Context, builds []schema.Build) (map[string]*core.BuildTag, error)
}

// hostReader serves the host grid, the hosts and host pages and the home page's host health.
type hostReader interface {
	ListStageHosts(ctx context.Context, env, stage string) ([]schema.StageHost, error)
	CountStageHosts(ctx context.Context, classify schema.HostClassifier) (map[string]schema.HostCounts, error)
	HostDetail(ctx context.Context, name string) (*schema.HostDetail, error)
}

// configReader serves the config page's capacity form and the config history.
type configReader interface {
	GetCapacity(ctx context.Context, env, stage string) (schema.Capacity, error)
	ListConfigHistory(ctx context.Context, env, stage string, limit int) ([]schema.ConfigChange, error)
}
