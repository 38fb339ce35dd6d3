package schema_test

import (
	"context"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// A host named in web/a and also in a group of web/b serves web/a only (its ping says
// so); a deploy of web/b used to count it and wait on it until it was stuck.
func TestHostNamedInOneStageIsNotCountedInTheSiblingThatGroupsIt(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		a := newStage(t, st, "web", "a")
		b := newStage(t, st, "web", "b")
		setCapacity(t, st, a, schema.Capacity{Hosts: []string{"web-1"}})
		setCapacity(t, st, b, schema.Capacity{Groups: []string{"web-asg"}})
		readPing(t, st, schema.PingHost{ID: "i-1", Name: "web-1", Groups: []string{"web-asg"}})
		readPing(t, st, schema.PingHost{ID: "i-2", Name: "web-2", Groups: []string{"web-asg"}})

		hosts, err := st.RolloutHosts(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hosts) != 1 || hosts[0].HostName != "web-2" {
			t.Fatalf("web/b rollout hosts = %+v, want only web-2: web-1 serves web/a", hosts)
		}
		tally := core.TallyDeploy(hosts, "d1", "", a.CreatedAt, nil, a.CreatedAt, 0)
		if tally.Counts.Total != 1 {
			t.Fatalf("a deploy of web/b counts %d hosts, want 1", tally.Counts.Total)
		}
		if hosts, err = st.RolloutHosts(ctx, a.ID); err != nil || len(hosts) != 1 || hosts[0].HostID != "i-1" || hosts[0].MemberBy != "host" {
			t.Fatalf("web/a rollout hosts = %+v, %v; want i-1 by host", hosts, err)
		}
	})
}
