package api

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/activities/alarmcheck"
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
}

// alarmCache remembers each stage's last answers, keyed by stage id and valid only for
// the same alarm list.
type alarmCache struct {
	client *http.Client
	mu     sync.Mutex
	byID   map[string]cachedAlarms
}

type cachedAlarms struct {
	alarms []schema.Alarm
	view   alarmsView
}

func newAlarmCache(client *http.Client) *alarmCache {
	return &alarmCache{client: client, byID: map[string]cachedAlarms{}}
}

// statuses answers from the cache when it is fresh and the stage's alarms are unchanged,
// and asks the alarms otherwise. Concurrent misses may both check: harmless, and simpler
// than making viewers wait on each other.
func (a *alarmCache) statuses(ctx context.Context, st *schema.Stage, now time.Time) alarmsView {
	a.mu.Lock()
	c, ok := a.byID[st.ID]
	a.mu.Unlock()
	if ok && now.Sub(c.view.CheckedAt) < alarmCacheTTL && slices.Equal(c.alarms, st.Alarms) {
		return c.view
	}
	list := make([]alarmcheck.Alarm, len(st.Alarms))
	for i, al := range st.Alarms {
		list[i] = alarmcheck.Alarm{Name: al.Name, URL: al.URL}
	}
	view := alarmsView{Alarms: alarmcheck.CheckAll(ctx, a.client, list), CheckedAt: now}
	for _, s := range view.Alarms {
		if s.Firing {
			view.Firing++
		}
	}
	if ctx.Err() == nil {
		a.mu.Lock()
		a.byID[st.ID] = cachedAlarms{alarms: slices.Clone(st.Alarms), view: view}
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
