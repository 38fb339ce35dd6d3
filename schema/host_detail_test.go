package schema_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// hostStageLine spells one HostStage the way the assertions compare them.
func hostStageLine(r schema.HostStage) string {
	line := fmt.Sprintf("%s/%s host=%s by=%s", r.EnvName, r.StageName, r.HostID, r.MemberBy)
	if r.Agent != nil {
		line += " agent=" + r.Agent.DeployID + ":" + r.Agent.State
	}
	if r.LastError != nil {
		line += " error=" + r.LastError.ErrorMessage
	}
	return line
}

func TestHostDetailCoversEveryIDAndStageOfAHostName(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		web := newStage(t, st, "web", "prod")
		newStage(t, st, "api", "prod")
		canary := newStage(t, st, "canary", "main")
		old := newStage(t, st, "old", "prod")
		for env, c := range map[string]schema.Capacity{
			"web":    {Hosts: []string{"web-1"}},
			"api":    {Hosts: []string{"web-1"}},
			"canary": {Groups: []string{"canary-fleet"}},
		} {
			stage := "prod"
			if env == "canary" {
				stage = "main"
			}
			if _, err := st.SetCapacity(ctx, env, stage, c, "alice"); err != nil {
				t.Fatal(err)
			}
		}
		// The machine was re-imaged: i-2 took over the name, i-1's rows remain.
		t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		st.SetClock(func() time.Time { return t0 })
		if err := st.RecordHost(ctx, &schema.Host{ID: "i-1", HostName: "web-1", IP: "10.0.0.1", Groups: []string{"canary-fleet", "az-a"}}); err != nil {
			t.Fatal(err)
		}
		st.SetClock(func() time.Time { return t0.Add(time.Hour) })
		if err := st.RecordHost(ctx, &schema.Host{ID: "i-2", HostName: "web-1", IP: "10.0.0.2", AvailabilityZone: "us-east-1a"}); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordHost(ctx, &schema.Host{ID: "i-9", HostName: "other-9"}); err != nil {
			t.Fatal(err)
		}
		agent := func(host, stageID, deployID, state string) schema.Agent {
			return schema.Agent{HostID: host, StageID: stageID, HostName: "web-1", DeployID: deployID, DeployStage: "SERVING_BUILD",
				Status: "SUCCEEDED", State: state, StartedAt: t0, StageStartedAt: t0, UpdatedAt: t0}
		}
		agents := []schema.Agent{
			agent("i-1", web.ID, "d1", core.AgentNormal),
			agent("i-2", web.ID, "d2", core.AgentPausedBySystem),
			agent("i-1", old.ID, "d0", core.AgentNormal),
			agent("i-9", canary.ID, "d9", core.AgentNormal),
		}
		if _, err := st.DB().NewInsert().Model(&agents).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		errRow := &schema.AgentError{HostID: "i-2", StageID: web.ID, HostName: "web-1", ErrorMessage: "boom", UpdatedAt: t0}
		if _, err := st.DB().NewInsert().Model(errRow).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		d, err := st.HostDetail(ctx, "web-1")
		if err != nil {
			t.Fatal(err)
		}
		var hosts []string
		for _, h := range d.Hosts {
			hosts = append(hosts, h.ID+"@"+h.IP+"["+strings.Join(h.Groups, ",")+"]")
		}
		if got, want := strings.Join(hosts, " "), "i-2@10.0.0.2[] i-1@10.0.0.1[az-a,canary-fleet]"; got != want {
			t.Errorf("hosts %q, want %q (latest ping first)", got, want)
		}
		if d.Hosts[0].AvailabilityZone != "us-east-1a" || !d.Hosts[0].LastPingAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("host row %+v", d.Hosts[0])
		}
		var stages []string
		for _, r := range d.Stages {
			stages = append(stages, hostStageLine(r))
		}
		want := []string{
			"api/prod host= by=host",
			"canary/main host= by=group:canary-fleet",
			"old/prod host=i-1 by=removed agent=d0:NORMAL",
			"web/prod host=i-1 by=host agent=d1:NORMAL",
			"web/prod host=i-2 by=host agent=d2:PAUSED_BY_SYSTEM error=boom",
		}
		if got := strings.Join(stages, "\n"); got != strings.Join(want, "\n") {
			t.Errorf("stages:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
		}
	})
}

func TestHostDetailOfACapacityHostThatNeverPinged(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		newStage(t, st, "web", "prod")
		if _, err := st.SetCapacity(ctx, "web", "prod", schema.Capacity{Hosts: []string{"web-new"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		d, err := st.HostDetail(ctx, "web-new")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Hosts) != 0 || len(d.Stages) != 1 || hostStageLine(d.Stages[0]) != "web/prod host= by=host" {
			t.Fatalf("detail %+v", d)
		}
	})
}

func TestHostDetailOfAnUnknownNameIsNotFound(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		newStage(t, st, "web", "prod")
		_, err := st.HostDetail(context.Background(), "nope")
		if core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("err %v, want not found", err)
		}
	})
}
