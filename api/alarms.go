package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// alarmCacheTTL is how long a stage's alarm answers are reused: the board polls them and
// several people may watch a stage, but its alarm endpoints should see a few requests a
// minute per server, not one per viewer per poll.
const alarmCacheTTL = 15 * time.Second

// alarmsView is the body of GET /v1/envs/:env/:stage/alarms.
type alarmsView struct {
	Alarms    []alarmcheck.Status `json:"alarms"`
	Firing    int                 `json:"firing"`
	CheckedAt time.Time           `json:"checkedAt"`
	// Policy is what an acting alarm does (PAUSE, FAIL, ROLLBACK), after FailureLimit
	// consecutive firing checks every IntervalSeconds.
	Policy          string `json:"policy"`
	FailureLimit    int    `json:"failureLimit"`
	IntervalSeconds int    `json:"intervalSeconds"`
}

// alarmCache remembers each stage's last answers, keyed by stage id and valid only for
// the same alarm list.
type alarmCache struct {
	client *http.Client
	// prom is the server's default Prometheus, for stages that name none.
	prom alarmcheck.Prometheus
	mu   sync.Mutex
	byID map[string]cachedAlarms
}

type cachedAlarms struct {
	alarms []schema.Alarm
	prom   schema.PrometheusSource
	view   alarmsView
}

func newAlarmCache(client *http.Client, prom alarmcheck.Prometheus) *alarmCache {
	return &alarmCache{client: client, prom: prom, byID: map[string]cachedAlarms{}}
}

// statuses answers from the cache when it is fresh and the stage's alarms are unchanged,
// and asks the alarms otherwise. Concurrent misses may both check: harmless, and simpler
// than making viewers wait on each other.
func (a *alarmCache) statuses(ctx context.Context, st *schema.Stage, now time.Time) alarmsView {
	a.mu.Lock()
	c, ok := a.byID[st.ID]
	a.mu.Unlock()
	if ok && now.Sub(c.view.CheckedAt) < alarmCacheTTL && slices.Equal(c.alarms, st.Alarms) && c.prom == st.AlarmPolicy.Prometheus {
		// The answers are cached; the policy is the stage's now.
		v := c.view
		v.Policy, v.FailureLimit, v.IntervalSeconds = st.AlarmPolicy.OnFiring, max(st.AlarmPolicy.FailureLimit, 1), st.AlarmPolicy.Interval()
		return v
	}
	vars := alarmcheck.Vars{Env: st.EnvName, Stage: st.StageName, Deploy: st.CurrentDeployID}
	statuses := alarmcheck.CheckAll(ctx, a.client, st.AlarmPolicy.Prometheus.Or(a.prom), vars, st.AlarmChecks())
	secrets := st.GuardSecrets()
	for i := range statuses {
		statuses[i].Detail = core.RedactText(statuses[i].Detail, secrets)
	}
	view := alarmsView{Alarms: statuses, CheckedAt: now, Policy: st.AlarmPolicy.OnFiring, FailureLimit: max(st.AlarmPolicy.FailureLimit, 1), IntervalSeconds: st.AlarmPolicy.Interval()}
	for _, s := range view.Alarms {
		if s.Firing {
			view.Firing++
		}
	}
	if ctx.Err() == nil {
		a.mu.Lock()
		a.byID[st.ID] = cachedAlarms{alarms: slices.Clone(st.Alarms), prom: st.AlarmPolicy.Prometheus, view: view}
		a.mu.Unlock()
	}
	return view
}

// stageAlarms checks the stage's alarms now (or within the last alarmCacheTTL), the way a
// deploy checks them before each wave.
func (s *server) stageAlarms(c *gin.Context) {
	st, err := s.stages.GetStage(c.Request.Context(), c.Param("env"), c.Param("stage"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.alarms.statuses(c.Request.Context(), st, time.Now().UTC()))
}

// queryCheckTimeout bounds asking Prometheus to check a config's queries on save.
const queryCheckTimeout = 3 * time.Second

// checkAlarmQueries asks the Prometheus that cfg's PROMETHEUS alarms would ask to run each
// query, and refuses the config when Prometheus refuses one (a parse error, an unknown
// function). An unreachable Prometheus is no reason to refuse: it is checked again at
// every check, and an inconclusive check counts as the stage says.
func (s *server) checkAlarmQueries(ctx context.Context, env, stage string, cfg *schema.StageConfig) error {
	prom := cfg.AlarmPolicy.Prometheus.Or(s.prometheus)
	if prom.URL == "" {
		return nil
	}
	for _, al := range cfg.Alarms {
		if al.Kind != core.AlarmKindPrometheus || strings.TrimSpace(al.Query) == "" {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, queryCheckTimeout)
		_, err := alarmcheck.Query(qctx, s.alarmClient, prom, core.ExpandAlarmQuery(al.Query, env, stage, "build", "deploy"))
		cancel()
		if errors.Is(err, alarmcheck.ErrBadQuery) {
			return core.FieldErrorf("alarms", "query of alarm %q: %s", al.Name, core.RedactText(err.Error(), cfg.GuardSecrets()))
		}
	}
	return nil
}
