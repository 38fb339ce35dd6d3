package api

import (
	"context"
	"net/http"
	"slices"
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
		return c.view
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
