package core_test

import (
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestDecideIdentity(t *testing.T) {
	tests := []struct {
		name      string
		b         core.HostBinding
		token     string
		presented string
		canBind   bool
		want      core.IdentityDecision
		refusal   string
	}{
		{"first ping of our agent", core.HostBinding{}, "fleet", "", true, core.IdentityDecision{BindToken: true, Issue: true}, ""},
		{"first ping of Teletraan's agent", core.HostBinding{}, "fleet", "", false, core.IdentityDecision{BindToken: true}, ""},
		{"our agent presents the issued credential", core.HostBinding{PendingHash: "p1", BoundToken: "fleet"}, "fleet", "p1", true, core.IdentityDecision{Confirm: true}, ""},
		{"pending not presented: a new one", core.HostBinding{PendingHash: "p1", BoundToken: "fleet"}, "fleet", "", true, core.IdentityDecision{Issue: true}, ""},
		{"bound and presented", core.HostBinding{SecretHash: "s1", BoundToken: "fleet"}, "fleet", "s1", true, core.IdentityDecision{}, ""},
		{"bound, none presented", core.HostBinding{SecretHash: "s1", BoundToken: "fleet"}, "fleet", "", true, core.IdentityDecision{}, "carries none"},
		{"bound, another presented", core.HostBinding{SecretHash: "s1", BoundToken: "fleet"}, "fleet", "x", true, core.IdentityDecision{}, "another credential"},
		{"bound credential beats the token name", core.HostBinding{SecretHash: "s1", BoundToken: "fleet"}, "other", "s1", true, core.IdentityDecision{}, ""},
		{"another token in compatibility mode", core.HostBinding{BoundToken: "fleet"}, "other", "", false, core.IdentityDecision{}, `claimed by token "fleet"`},
		{"the same token in compatibility mode", core.HostBinding{BoundToken: "fleet"}, "fleet", "", false, core.IdentityDecision{}, ""},
	}
	for _, tt := range tests {
		got := core.DecideIdentity("i-1", tt.b, tt.token, tt.presented, tt.canBind)
		if tt.refusal != "" {
			if !strings.Contains(got.Refusal, tt.refusal) {
				t.Errorf("%s: refusal %q, want one saying %q", tt.name, got.Refusal, tt.refusal)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestMayReport(t *testing.T) {
	if !core.MayReport(&core.Agent{DeployID: "d2"}, "d2") || core.MayReport(&core.Agent{DeployID: "d1"}, "d2") || core.MayReport(nil, "d2") {
		t.Fatal("MayReport: only a deploy the host's row is on may be reported")
	}
}
