package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
)

func TestParseCronAndNext(t *testing.T) {
	from := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC) // a Wednesday
	for _, tc := range []struct {
		expr string
		want time.Time
		err  string
	}{
		{"* * * * *", time.Date(2026, 12, 2, 10, 31, 0, 0, time.UTC), ""},
		{"*/15 * * * *", time.Date(2026, 12, 2, 10, 45, 0, 0, time.UTC), ""},
		{"0 9 * * mon-fri", time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), ""},
		{"0 9 * * 0", time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), ""},
		{"0 9 * * 7", time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC), ""},
		{"30 8 1 jan *", time.Date(2027, 1, 1, 8, 30, 0, 0, time.UTC), ""},
		{"0 12 5,15 * *", time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC), ""},
		{"0 0 30 2 *", time.Time{}, ""},
		{"@every 15m", time.Date(2026, 12, 2, 10, 45, 0, 0, time.UTC), ""},
		{"@every 0s", time.Time{}, "at least 1s"},
		{"0 9 * *", time.Time{}, "has 4 fields"},
		{"61 * * * *", time.Time{}, "minute field"},
		{"0 9 * * funday", time.Time{}, "day-of-week field"},
		{"*/0 * * * *", time.Time{}, "step"},
		{"0 5-2 * * *", time.Time{}, "backwards"},
	} {
		c, err := core.ParseCron(tc.expr)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseCron(%q) = %v, want an error with %q", tc.expr, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseCron(%q): %v", tc.expr, err)
			continue
		}
		if got := c.Next(from); !got.Equal(tc.want) {
			t.Errorf("%q.Next(%v) = %v, want %v", tc.expr, from, got, tc.want)
		}
	}
}

func TestPromoteConfigValidate(t *testing.T) {
	base := func() core.PromoteConfig {
		p := core.PromoteConfig{Source: "BUILD", OnEvent: true}
		p.Normalize()
		return p
	}
	for _, tc := range []struct {
		name   string
		change func(*core.PromoteConfig)
		field  string
		msg    string
	}{
		{"minimal is valid", func(*core.PromoteConfig) {}, "", ""},
		{"predecessor in another env", func(p *core.PromoteConfig) { p.Source = "other/canary" }, "promote.source", "own environment"},
		{"itself", func(p *core.PromoteConfig) { p.Source = "prod" }, "promote.source", "itself"},
		{"branch with a stage source", func(p *core.PromoteConfig) { p.Source = "canary"; p.Branch = "main" }, "promote.branch", "source BUILD"},
		{"nothing triggers", func(p *core.PromoteConfig) { p.OnEvent = false }, "promote.onEvent", "nothing would ever promote"},
		{"bad cron", func(p *core.PromoteConfig) { p.Cron = "every day" }, "promote.cron", "5"},
		{"cron never fires", func(p *core.PromoteConfig) { p.Cron = "0 0 31 2 *" }, "promote.cron", "never fires"},
		{"bad zone", func(p *core.PromoteConfig) { p.TimeZone = "Mars/Olympus" }, "promote.timeZone", "IANA"},
		{"good zone", func(p *core.PromoteConfig) { p.TimeZone = "Europe/Berlin"; p.Cron = "0 9 * * 1" }, "", ""},
		{"queue too big", func(p *core.PromoteConfig) { p.QueueSize = 11 }, "promote.queueSize", "between 1 and 10"},
		{"negative delay", func(p *core.PromoteConfig) { p.DelaySeconds = -1 }, "promote.delaySeconds", "between"},
		{"fail policy", func(p *core.PromoteConfig) { p.FailPolicy = "PANIC" }, "promote.failPolicy", "CONTINUE, DISABLE or ROLLBACK"},
		{"disable policy", func(p *core.PromoteConfig) { p.DisablePolicy = "SOMETIMES" }, "promote.disablePolicy", "ON_MANUAL_ACTION or NEVER"},
		{"window no days", func(p *core.PromoteConfig) { p.Window = &core.PromoteWindow{Start: "09:00", End: "17:00"} }, "promote.window.days", "never opens"},
		{"window bad day", func(p *core.PromoteConfig) {
			p.Window = &core.PromoteWindow{Days: []string{"Monday"}, Start: "09:00", End: "17:00"}
		}, "promote.window.days", "not a day"},
		{"window zero length", func(p *core.PromoteConfig) {
			p.Window = &core.PromoteWindow{Days: []string{"Mon"}, Start: "09:00", End: "09:00"}
		}, "promote.window.end", "never opens"},
		{"window bad time", func(p *core.PromoteConfig) {
			p.Window = &core.PromoteWindow{Days: []string{"Mon"}, Start: "9am", End: "17:00"}
		}, "promote.window.start", "HH:MM"},
		{"window all day", func(p *core.PromoteConfig) {
			p.Window = &core.PromoteWindow{Days: []string{"Mon"}, Start: "00:00", End: "24:00"}
		}, "", ""},
	} {
		p := base()
		tc.change(&p)
		err := p.Validate("web", "prod")
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if core.ErrorField(err) != tc.field || !strings.Contains(core.ErrorMessage(err), tc.msg) {
			t.Errorf("%s: got field %q error %v, want field %q with %q", tc.name, core.ErrorField(err), err, tc.field, tc.msg)
		}
	}
}

func TestPromoteChainError(t *testing.T) {
	build := &core.PromoteConfig{Source: "BUILD"}
	from := func(s string) *core.PromoteConfig { return &core.PromoteConfig{Source: s} }
	for _, tc := range []struct {
		name    string
		configs map[string]*core.PromoteConfig
		stage   string
		msg     string
	}{
		{"chain", map[string]*core.PromoteConfig{"canary": build, "staging": from("canary"), "prod": from("staging")}, "prod", ""},
		{"no config", map[string]*core.PromoteConfig{"canary": nil, "prod": from("canary")}, "canary", ""},
		{"missing predecessor", map[string]*core.PromoteConfig{"prod": from("staging")}, "prod", "does not exist"},
		{"cycle", map[string]*core.PromoteConfig{"canary": from("prod"), "staging": from("canary"), "prod": from("staging")}, "canary", "canary ← prod ← staging ← canary"},
	} {
		err := core.PromoteChainError("web", tc.stage, tc.configs)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.msg) || core.ErrorField(err) != "promote.source" {
			t.Errorf("%s: got %v, want a promote.source error with %q", tc.name, err, tc.msg)
		}
	}
}

func TestPipelineOrder(t *testing.T) {
	got := core.PipelineOrder(map[string]*core.PromoteConfig{
		"prod": {Source: "staging"}, "staging": {Source: "canary"}, "canary": {Source: "BUILD"}, "adhoc": nil, "prod-eu": {Source: "staging"},
	})
	want := "adhoc canary staging prod prod-eu"
	if strings.Join(got, " ") != want {
		t.Errorf("PipelineOrder = %v, want %s", got, want)
	}
}

func TestWindow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	office := &core.PromoteWindow{Days: []string{"Mon", "Tue", "Wed", "Thu", "Fri"}, Start: "09:00", End: "17:00"}
	night := &core.PromoteWindow{Days: []string{"Sat"}, Start: "22:00", End: "02:00"}
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, berlin) } // Dec 7 2026 is a Monday
	for _, tc := range []struct {
		name string
		w    *core.PromoteWindow
		t    time.Time
		open bool
		next time.Time
	}{
		{"no window", nil, at(5, 3, 0), true, at(5, 3, 0)},
		{"inside", office, at(7, 10, 0), true, at(7, 10, 0)},
		{"at start", office, at(7, 9, 0), true, at(7, 9, 0)},
		{"at end is closed", office, at(7, 17, 0), false, at(8, 9, 0)},
		{"friday evening waits for monday", office, at(4, 18, 0), false, at(7, 9, 0)},
		{"before opening", office, at(7, 8, 59), false, at(7, 9, 0)},
		{"past midnight still open", night, at(6, 1, 0), true, at(6, 1, 0)},
		{"past midnight closed after", night, at(6, 2, 0), false, at(12, 22, 0)},
	} {
		if got := core.WindowOpen(tc.w, tc.t, berlin); got != tc.open {
			t.Errorf("%s: WindowOpen = %v, want %v", tc.name, got, tc.open)
		}
		if got := core.NextWindowOpening(tc.w, tc.t, berlin); !got.Equal(tc.next) {
			t.Errorf("%s: NextWindowOpening = %v, want %v", tc.name, got, tc.next)
		}
	}
	if got := core.WindowClosedText(at(7, 9, 0), berlin); got != "window closed until Mon 09:00 Europe/Berlin" {
		t.Errorf("WindowClosedText = %q", got)
	}
}

func TestDecidePromotion(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) // Monday noon
	cand := func(id string, minutesAgo int) core.PromotionCandidate {
		at := now.Add(-time.Duration(minutesAgo) * time.Minute)
		return core.PromotionCandidate{BuildID: id, BuildName: "web", At: at, PublishedAt: at}
	}
	cfg := func(change func(*core.PromoteConfig)) core.PromoteConfig {
		p := core.PromoteConfig{Source: "BUILD", OnEvent: true}
		p.Normalize()
		if change != nil {
			change(&p)
		}
		return p
	}
	current := &core.PromotionDeploy{DeployID: "d0", BuildID: "b0", State: core.StateSucceeding, BuildPublishedAt: now.Add(-time.Hour)}
	for _, tc := range []struct {
		name      string
		facts     core.PromotionFacts
		promote   string
		why       string
		waitUntil time.Time
		kept      int
		wakeUsed  bool
	}{
		{"newest wins", core.PromotionFacts{Config: cfg(nil), Current: current, Candidates: []core.PromotionCandidate{cand("b1", 30), cand("b2", 10)}}, "b2", "promoting build b2", time.Time{}, 2, true},
		{"first deploy of a stage", core.PromotionFacts{Config: cfg(nil), Candidates: []core.PromotionCandidate{cand("b1", 30)}}, "b1", "promoting", time.Time{}, 1, true},
		{"disabled", core.PromotionFacts{Config: cfg(nil), Disabled: "disabled by bob's manual rollback (deploy d9)", Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "", "auto-promotion disabled by bob's manual rollback", time.Time{}, 1, false},
		{"paused", core.PromotionFacts{Config: cfg(nil), PausedBy: "alice", Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "", "paused by alice", time.Time{}, 1, false},
		{"force skips pause", core.PromotionFacts{Config: cfg(nil), PausedBy: "alice", Force: true, Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "b1", "now, as asked", time.Time{}, 1, true},
		{"running deploy blocks", core.PromotionFacts{Stage: "prod", Config: cfg(nil), Current: &core.PromotionDeploy{DeployID: "d0", BuildID: "b0", State: core.StateRunning}, Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "", "waiting for prod's deploy d0 of build b0 to reach a verdict", time.Time{}, 1, false},
		{"running blocks force too", core.PromotionFacts{Stage: "prod", Force: true, Config: cfg(nil), Current: &core.PromotionDeploy{DeployID: "d0", State: core.StateRunning}, Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "", "to reach a verdict", time.Time{}, 1, false},
		{"pending acceptance blocks", core.PromotionFacts{Stage: "staging", Config: cfg(nil), Current: &core.PromotionDeploy{DeployID: "d0", State: core.StateSucceeding, Acceptance: core.AcceptanceOutstanding}, Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "", "waiting for staging's verdict on deploy d0", time.Time{}, 1, false},
		{"failing does not block", core.PromotionFacts{Config: cfg(nil), Current: &core.PromotionDeploy{DeployID: "d0", BuildID: "b0", State: core.StateFailing, BuildPublishedAt: now.Add(-time.Hour)}, Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "b1", "promoting", time.Time{}, 1, true},
		{"older than current dropped", core.PromotionFacts{Config: cfg(nil), Current: current, Candidates: []core.PromotionCandidate{cand("b0", 60), cand("old", 120)}}, "", "no candidate: waiting for a new build", time.Time{}, 0, true},
		{"bad build skipped", core.PromotionFacts{Config: cfg(nil), Current: current, Candidates: []core.PromotionCandidate{cand("b1", 30), cand("b2", 10)}, Bad: map[string]core.BadBuild{"b2": {Operator: "alice", Comment: "crashes on start"}}}, "b1", "promoting build b1", time.Time{}, 2, true},
		{"only bad builds", core.PromotionFacts{Config: cfg(nil), Candidates: []core.PromotionCandidate{cand("b2", 10)}, Bad: map[string]core.BadBuild{"b2": {Operator: "alice", Comment: "crashes on start"}}}, "", `build b2 tagged BAD by alice: "crashes on start"`, time.Time{}, 1, true},
		{"failed here is not promoted again", core.PromotionFacts{Stage: "canary", Config: cfg(nil), Current: current, Candidates: []core.PromotionCandidate{cand("b2", 10)}, FailedHere: map[string]string{"b2": "d2"}}, "", "build b2 failed on canary (deploy d2)", time.Time{}, 1, true},
		{"waiting for predecessor verdict", core.PromotionFacts{SourceName: "staging", Config: cfg(func(p *core.PromoteConfig) { p.Source = "staging" }), Source: &core.PromotionDeploy{DeployID: "s1", State: core.StateRunning}}, "", "waiting for staging's verdict on deploy s1", time.Time{}, 0, true},
		{"no candidate from stage", core.PromotionFacts{SourceName: "staging", Config: cfg(func(p *core.PromoteConfig) { p.Source = "staging" })}, "", "qualify in staging", time.Time{}, 0, true},
		{"schedule only waits", core.PromotionFacts{Config: cfg(func(p *core.PromoteConfig) { p.OnEvent = false; p.Cron = "0 9 * * *" }), Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "", "waits for the schedule", time.Time{}, 1, false},
		{"schedule woke", core.PromotionFacts{Woken: true, Config: cfg(func(p *core.PromoteConfig) { p.OnEvent = false; p.Cron = "0 9 * * *" }), Candidates: []core.PromotionCandidate{cand("b1", 1)}}, "b1", "promoting", time.Time{}, 1, true},
		{"delay", core.PromotionFacts{Config: cfg(func(p *core.PromoteConfig) { p.DelaySeconds = 600 }), Candidates: []core.PromotionCandidate{cand("b1", 4)}}, "", "younger than the delay of 10m0s", now.Add(6 * time.Minute), 1, false},
		{"delay: the old one goes", core.PromotionFacts{Config: cfg(func(p *core.PromoteConfig) { p.DelaySeconds = 600 }), Candidates: []core.PromotionCandidate{cand("b1", 20), cand("b2", 4)}}, "b1", "promoting build b1", time.Time{}, 2, true},
		{"queue size 2 picks the second newest", core.PromotionFacts{Config: cfg(func(p *core.PromoteConfig) { p.QueueSize = 2 }), Candidates: []core.PromotionCandidate{cand("b1", 30), cand("b2", 20), cand("b3", 10)}}, "b2", "promoting build b2", time.Time{}, 3, true},
		{"queue size not reached", core.PromotionFacts{Config: cfg(func(p *core.PromoteConfig) { p.QueueSize = 3 }), Candidates: []core.PromotionCandidate{cand("b1", 30)}}, "", "1 of the 3 candidates", time.Time{}, 1, false},
		{"window closed", core.PromotionFacts{Config: cfg(func(p *core.PromoteConfig) {
			p.Window = &core.PromoteWindow{Days: []string{"Tue"}, Start: "09:00", End: "10:00"}
		}), Candidates: []core.PromotionCandidate{cand("b1", 30), cand("b2", 10)}}, "", "window closed until Tue 09:00 UTC; then the newest candidate (now build b2)", time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC), 2, false},
		{"force skips window", core.PromotionFacts{Force: true, Config: cfg(func(p *core.PromoteConfig) {
			p.Window = &core.PromoteWindow{Days: []string{"Tue"}, Start: "09:00", End: "10:00"}
		}), Candidates: []core.PromotionCandidate{cand("b1", 30)}}, "b1", "as asked", time.Time{}, 1, true},
	} {
		tc.facts.Now = now
		d := core.DecidePromotion(tc.facts)
		got := ""
		if d.Promote != nil {
			got = d.Promote.BuildID
		}
		if got != tc.promote || !strings.Contains(d.Why, tc.why) || !d.WaitUntil.Equal(tc.waitUntil) || len(d.Keep) != tc.kept || d.WakeUsed != tc.wakeUsed {
			t.Errorf("%s: got promote %q why %q until %v kept %d wakeUsed %v; want %q, %q, %v, %d, %v",
				tc.name, got, d.Why, d.WaitUntil, len(d.Keep), d.WakeUsed, tc.promote, tc.why, tc.waitUntil, tc.kept, tc.wakeUsed)
		}
	}
}

func TestAddPromotionCandidate(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var q []core.PromotionCandidate
	for i := range core.MaxPromotionCandidates + 5 {
		q = core.AddPromotionCandidate(q, core.PromotionCandidate{BuildID: string(rune('a' + i)), PublishedAt: t0.Add(time.Duration(i) * time.Minute), At: t0})
	}
	if len(q) != core.MaxPromotionCandidates || q[0].BuildID != string(rune('a'+core.MaxPromotionCandidates+4)) {
		t.Fatalf("queue of %d starting %s, want the newest %d", len(q), q[0].BuildID, core.MaxPromotionCandidates)
	}
	again := core.AddPromotionCandidate(q, core.PromotionCandidate{BuildID: q[3].BuildID, SourceDeployID: "d9", At: t0.Add(time.Hour)})
	if len(again) != len(q) || again[3].SourceDeployID != "d9" || !again[3].At.Equal(t0) {
		t.Errorf("a queued build again: %+v, want its place and first time kept with the new source deploy", again[3])
	}
}

func TestPromotionPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy            string
		rollback, disable bool
	}{
		{core.PromoteFailContinue, false, false},
		{core.PromoteFailDisable, false, true},
		{core.PromoteFailRollback, true, true},
	} {
		r, d := core.PromotionFailOutcome(tc.policy)
		if r != tc.rollback || d != tc.disable {
			t.Errorf("PromotionFailOutcome(%s) = %v, %v; want %v, %v", tc.policy, r, d, tc.rollback, tc.disable)
		}
	}
	for _, tc := range []struct {
		policy, operator, typ string
		want                  bool
	}{
		{core.PromoteDisableOnManual, "bob", core.TypeRollback, true},
		{core.PromoteDisableOnManual, "bob", core.TypeRestart, true},
		{core.PromoteDisableOnManual, core.PromotionOperator("web", "prod"), core.TypeRegular, false},
		{core.PromoteDisableOnManual, "teletraan (onFailure ROLLBACK)", core.TypeRollback, false},
		{core.PromoteDisableNever, "bob", core.TypeRegular, false},
	} {
		if got := core.ManualActionDisables(tc.policy, tc.operator, tc.typ); got != tc.want {
			t.Errorf("ManualActionDisables(%s, %s, %s) = %v, want %v", tc.policy, tc.operator, tc.typ, got, tc.want)
		}
	}
	if !core.DeployQualified(core.StateSucceeding, "", false) || core.DeployQualified(core.StateSucceeding, "", true) ||
		!core.DeployQualified(core.StateSucceeding, core.AcceptanceAccepted, true) || core.DeployQualified(core.StateRunning, "", false) {
		t.Error("DeployQualified: SUCCEEDING qualifies without acceptance, only ACCEPTED with it")
	}
	if w := core.PredecessorWarning("staging", "b1", false); w != "build b1 has no successful deploy in the predecessor stage staging" {
		t.Errorf("PredecessorWarning = %q", w)
	}
	if core.PredecessorWarning("", "b1", false) != "" || core.PredecessorWarning("staging", "b1", true) != "" {
		t.Error("PredecessorWarning warns only for a stage with a predecessor where the build never succeeded")
	}
}
