package schema_test

import (
	"context"
	"errors"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// TestAPingIsAuthorizedOnTheIdentityItsStateReadCarries checks, on both databases, that the
// identity RecordAuthorizedPing hands its authorizer is the stored one (read with the ping's
// state for a host in a stage, on its own for a host in none), and that a refusal writes
// nothing.
func TestAPingIsAuthorizedOnTheIdentityItsStateReadCarries(t *testing.T) {
	schematest.Each(t, func(t *testing.T, st *schema.Store) {
		ctx := context.Background()
		newStage(t, st, "hello", "prod")
		if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"h-1"}}, "alice"); err != nil {
			t.Fatal(err)
		}
		var seen []core.HostBinding
		allow := func(b core.HostBinding) error { seen = append(seen, b); return nil }
		nothing := func(core.PingState) (core.PingWrites, error) { return core.PingWrites{}, nil }
		for _, host := range []string{"h-1", "h-2"} { // h-2 is in no stage
			if err := st.RecordAuthorizedPing(ctx, schema.PingHost{ID: host, IP: "10.0.0.1"}, allow, nothing); err != nil {
				t.Fatal(err)
			}
			if err := st.ApplyHostBinding(ctx, host, "fleet", core.IdentityDecision{BindToken: true, Issue: true}, "pending-"+host); err != nil {
				t.Fatal(err)
			}
			if err := st.ApplyHostBinding(ctx, host, "fleet", core.IdentityDecision{Confirm: true}, ""); err != nil {
				t.Fatal(err)
			}
			if err := st.ApplyHostBinding(ctx, host, "fleet", core.IdentityDecision{Issue: true}, "later-"+host); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 2 || seen[0].Known || seen[1].Known {
			t.Fatalf("first pings saw %+v, want two unknown hosts", seen)
		}
		for _, host := range []string{"h-1", "h-2"} {
			seen = nil
			if err := st.RecordAuthorizedPing(ctx, schema.PingHost{ID: host, IP: "10.0.0.1"}, allow, nothing); err != nil {
				t.Fatal(err)
			}
			want, err := st.HostBinding(ctx, host)
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != 1 || seen[0] != want || want.SecretHash != "pending-"+host || want.BoundToken != "fleet" {
				t.Fatalf("%s: authorized on %+v, stored %+v", host, seen, want)
			}
		}

		refusal := errors.New("refused")
		err := st.RecordAuthorizedPing(ctx, schema.PingHost{ID: "h-1", IP: "10.6.6.6"}, func(core.HostBinding) error { return refusal },
			func(core.PingState) (core.PingWrites, error) {
				t.Fatal("a refused ping was decided")
				return core.PingWrites{}, nil
			})
		if !errors.Is(err, refusal) {
			t.Fatalf("refused ping returned %v", err)
		}
		d, err := st.HostDetail(ctx, "h-1")
		if err != nil || len(d.Hosts) != 1 || d.Hosts[0].IP != "10.0.0.1" {
			t.Fatalf("after a refused ping: %+v, %v; want the IP unchanged", d, err)
		}
	})
}
