package board

import (
	"html/template"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// t0 is an arbitrary UTC morning the timeline tests count from.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestLayoutTimelinePlacesBars(t *testing.T) {
	// width 120 with pad 10 leaves a plot of 100 units from x=10 to x=110.
	for _, tc := range []struct {
		name  string
		spans []timeSpan
		want  []barBox
		lanes int
	}{
		{"nothing to draw", nil, nil, 0},
		{
			"x and width follow time",
			[]timeSpan{{at(0), at(2 * time.Minute)}, {at(5 * time.Minute), at(10 * time.Minute)}},
			[]barBox{{X: 10, Width: 20, Lane: 0}, {X: 60, Width: 50, Lane: 0}},
			1,
		},
		{
			"input order is kept (newest first)",
			[]timeSpan{{at(5 * time.Minute), at(10 * time.Minute)}, {at(0), at(2 * time.Minute)}},
			[]barBox{{X: 60, Width: 50, Lane: 0}, {X: 10, Width: 20, Lane: 0}},
			1,
		},
		{
			"a short deploy gets the minimum width",
			[]timeSpan{{at(0), at(time.Second)}, {at(30 * time.Minute), at(100 * time.Minute)}},
			[]barBox{{X: 10, Width: 4, Lane: 0}, {X: 40, Width: 70, Lane: 0}},
			1,
		},
		{
			"a short bar at the right edge stays inside the axis",
			[]timeSpan{{at(0), at(10 * time.Minute)}, {at(100*time.Minute - time.Second), at(100 * time.Minute)}},
			[]barBox{{X: 10, Width: 10, Lane: 0}, {X: 106, Width: 4, Lane: 0}},
			1,
		},
		{
			"a single instant is drawn on a one-minute window",
			[]timeSpan{{at(0), at(0)}},
			[]barBox{{X: 10, Width: 4, Lane: 0}},
			1,
		},
		{
			"a deploy superseded the moment the next starts gets its own lane",
			[]timeSpan{{at(0), at(5 * time.Minute)}, {at(5 * time.Minute), at(10 * time.Minute)}},
			[]barBox{{X: 10, Width: 50, Lane: 0}, {X: 60, Width: 50, Lane: 1}},
			2,
		},
		{
			"overlaps beyond the lane limit reuse the lane that frees first",
			[]timeSpan{
				{at(0), at(8 * time.Minute)},                // lane 0, ends at 90
				{at(time.Minute), at(4 * time.Minute)},      // lane 1, ends at 50
				{at(2 * time.Minute), at(3 * time.Minute)},  // both busy: lane 1 frees first
				{at(9 * time.Minute), at(10 * time.Minute)}, // lane 0 is free again
			},
			[]barBox{{X: 10, Width: 80, Lane: 0}, {X: 20, Width: 30, Lane: 1}, {X: 30, Width: 10, Lane: 1}, {X: 100, Width: 10, Lane: 0}},
			2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := layoutTimeline(tc.spans, 120, 10, 4, 2, 7)
			if got.Lanes != tc.lanes || len(got.Bars) != len(tc.want) {
				t.Fatalf("layout = %+v, want bars %+v in %d lanes", got, tc.want, tc.lanes)
			}
			for i, w := range tc.want {
				if g := got.Bars[i]; !near(g.X, w.X) || !near(g.Width, w.Width) || g.Lane != w.Lane {
					t.Errorf("bar %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestLayoutTimelineTicks(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []string // nil: only check the count and the format
		dateOnly bool
	}{
		{"an hour: every 10 minutes", at(3 * time.Minute), at(58 * time.Minute), []string{"10:10", "10:20", "10:30", "10:40", "10:50"}, false},
		{"ticks include the window's ends when they fall on a step", at(0), at(time.Hour), []string{"10:00", "10:10", "10:20", "10:30", "10:40", "10:50", "11:00"}, false},
		{"across midnight: date and time", at(13 * time.Hour), at(15*time.Hour + 30*time.Minute),
			[]string{"Nov 26 23:00", "Nov 26 23:30", "Nov 27 00:00", "Nov 27 00:30", "Nov 27 01:00", "Nov 27 01:30"}, false},
		{"ten days: dates on UTC midnights", at(0), at(10 * day), nil, true},
		{"two years: the step keeps doubling", at(0), at(730 * day), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := layoutTimeline([]timeSpan{{tc.from, tc.to}}, 1000, 40, 4, 4, 7)
			var labels []string
			for i, tk := range got.Ticks {
				labels = append(labels, tk.Label)
				if tk.X < 40-1e-6 || tk.X > 960+1e-6 || (i > 0 && tk.X <= got.Ticks[i-1].X) {
					t.Errorf("tick %d at x=%v: outside the axis or out of order", i, tk.X)
				}
			}
			if tc.want != nil && strings.Join(labels, ",") != strings.Join(tc.want, ",") {
				t.Errorf("labels = %q, want %q", labels, tc.want)
			}
			if len(labels) == 0 || len(labels) > 7 {
				t.Errorf("%d ticks, want 1 to 7: %q", len(labels), labels)
			}
			if tc.dateOnly {
				for _, l := range labels {
					if strings.Contains(l, ":") {
						t.Errorf("label %q has a time of day; day steps label dates", l)
					}
				}
			}
		})
	}
}

func TestNewTimelineColoursLinksAndTooltips(t *testing.T) {
	ended := func(d time.Duration) *time.Time { e := at(d); return &e }
	now := at(20 * time.Minute)
	deploys := []schema.Deploy{ // newest first, as the store lists them
		{ID: "d/4", BuildID: "b4", Type: core.TypeRegular, State: core.StateRunning, Operator: "ann", CreatedAt: at(15 * time.Minute)},
		{ID: "d3", BuildID: "b2", Type: core.TypeRollback, State: core.StateSucceeded, Operator: "bob", CreatedAt: at(10 * time.Minute), EndedAt: ended(12 * time.Minute)},
		{ID: "d2", BuildID: "b3", Type: core.TypeRegular, State: core.StateFailing, Operator: "cy", CreatedAt: at(5 * time.Minute), EndedAt: ended(9 * time.Minute)},
		{ID: "d1", BuildID: "b1", Type: core.TypeHotfix, State: core.StateAborted, Operator: "di", CreatedAt: at(0), EndedAt: ended(4 * time.Minute)},
		{ID: "d0", BuildID: "b0", Type: core.TypeRestart, State: "SIDEWAYS", Operator: "ed", CreatedAt: at(0), EndedAt: ended(time.Minute)},
	}
	v := newTimeline(deploys, now)
	want := []struct {
		class    string
		rollback bool
		href     string
	}{
		{"tl-running", false, "/deploys/d%2F4"},
		{"tl-succeeded", true, "/deploys/d3"},
		{"tl-failing", false, "/deploys/d2"},
		{"tl-aborted", false, "/deploys/d1"},
		{"tl-unknown", false, "/deploys/d0"},
	}
	if len(v.Bars) != len(want) {
		t.Fatalf("%d bars, want %d", len(v.Bars), len(want))
	}
	for i, w := range want {
		if g := v.Bars[i]; g.Class != w.class || g.Rollback != w.rollback || g.Href != w.href {
			t.Errorf("bar %d = %+v, want class %s rollback %v href %s", i, g, w.class, w.rollback, w.href)
		}
	}
	if running := v.Bars[0]; !near(running.X+running.Width, timelineWidth-timelinePad) {
		t.Errorf("the running deploy ends at x=%v, want it to reach now at the axis end %v", running.X+running.Width, timelineWidth-timelinePad)
	}
	if tip := v.Bars[1].Tooltip; tip != "ROLLBACK of build b2 by bob\nSUCCEEDED for 2m0s, started 2026-11-26 10:10:00 UTC" {
		t.Errorf("tooltip = %q", tip)
	}
	if !v.From.Equal(at(0)) || !v.To.Equal(now) {
		t.Errorf("window %v to %v, want %v to %v", v.From, v.To, at(0), now)
	}
	// d0 and d1 overlap, so the picture needs a second lane and room for it.
	if v.Bars[4].Y == v.Bars[3].Y || v.Height <= timelineLaneH+timelineAxisH {
		t.Errorf("overlapping deploys share a lane or the picture is too short: %+v", v)
	}
}

func TestTimelineTemplateEscapesAndExplains(t *testing.T) {
	pages := template.Must(template.New("").Funcs(templateFuncs).ParseFS(templateFiles, "templates/*.html"))
	render := func(v timelineView) string {
		var sb strings.Builder
		if err := pages.ExecuteTemplate(&sb, "timeline", v); err != nil {
			t.Fatal(err)
		}
		return sb.String()
	}
	xss := "<script>alert(1)</script>"
	v := newTimeline([]schema.Deploy{{ID: "d1", BuildID: xss, Operator: xss, Type: core.TypeRollback, State: core.StateRunning, CreatedAt: t0}}, t0.Add(time.Minute))
	out := render(v)
	for _, want := range []string{
		"<svg ", `<a href="/deploys/d1">`, "<title>ROLLBACK of build &lt;script&gt;alert(1)&lt;/script&gt; by &lt;script&gt;",
		`class="tl-bar tl-running tl-rollback"`, `fill="url(#tl-hatch)"`, ">10:00</text>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<script>") {
		t.Errorf("user data rendered as markup:\n%s", out)
	}
	// An empty timeline draws nothing: the page around it says "No deploys yet." once.
	if out := render(newTimeline(nil, t0)); strings.TrimSpace(out) != "" {
		t.Errorf("empty timeline:\n%s", out)
	}
	if out := render(timelineView{Note: "could not be read"}); !strings.Contains(out, `<p class="error">could not be read</p>`) {
		t.Errorf("failed read:\n%s", out)
	}
}
