package board

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// timelineDeploys is how many of a stage's newest deploys the timeline draws: a day or two
// of an active stage, few enough that each bar can still be hovered.
const timelineDeploys = 30

// Drawing constants of the timeline, in SVG user units (the picture scales to the page).
const (
	timelineWidth     = 1000.0
	timelinePad       = 40.0 // left and right margin, so centred edge labels are not cut
	timelineMinBar    = 4.0  // a deploy of a few seconds still gets a bar one can hover
	timelineLaneGap   = 2.0  // between bars that share a lane
	timelineMaxLanes  = 4    // overlapping deploys stack at most this deep
	timelineLaneH     = 16.0 // height of one bar
	timelineLaneSpace = 4.0  // between lanes
	timelineAxisH     = 20.0 // room under the bars for the tick labels
	timelineMaxTicks  = 7
	timelineMinSpan   = time.Minute // a window never narrower, so one instant is not a division by zero
)

// timelineSteps are the tick intervals the axis may use, smallest first.
var timelineSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// timeSpan is one deploy on the time axis: from its start to its end, or to now while it runs.
type timeSpan struct {
	Start, End time.Time
}

// barBox is where one span is drawn: its left edge, width and lane (0 is the top lane).
type barBox struct {
	X, Width float64
	Lane     int
}

// axisTick is one labelled time on the axis.
type axisTick struct {
	X     float64
	Label string
}

// timelineLayout is the geometry of a timeline: one box per span, in the spans' order.
type timelineLayout struct {
	Bars     []barBox
	Ticks    []axisTick
	Lanes    int
	From, To time.Time
}

// layoutTimeline places spans on an axis width units wide (pad units of margin each side):
// x grows with time over the window from the earliest start to the latest end; a bar is at
// least minBar wide and kept inside the axis; bars that would touch share no lane, up to
// maxLanes lanes. Ticks fall on whole multiples of a step from timelineSteps (UTC), at
// most maxTicks of them.
func layoutTimeline(spans []timeSpan, width, pad, minBar float64, maxLanes, maxTicks int) timelineLayout {
	if len(spans) == 0 {
		return timelineLayout{}
	}
	from, to := spans[0].Start, spans[0].End
	for _, s := range spans {
		if s.Start.Before(from) {
			from = s.Start
		}
		if s.End.After(to) {
			to = s.End
		}
	}
	if to.Sub(from) < timelineMinSpan {
		to = from.Add(timelineMinSpan)
	}
	plot := width - 2*pad
	span := to.Sub(from)
	x := func(t time.Time) float64 { return pad + plot*float64(t.Sub(from))/float64(span) }

	out := timelineLayout{Bars: make([]barBox, len(spans)), From: from, To: to}
	for i, s := range spans {
		left, right := x(s.Start), x(s.End)
		w := max(right-left, minBar)
		if left+w > pad+plot {
			left = pad + plot - w
		}
		out.Bars[i] = barBox{X: left, Width: w}
	}
	out.Lanes = assignLanes(out.Bars, maxLanes)
	out.Ticks = axisTicks(from, to, x, maxTicks)
	return out
}

// assignLanes puts each bar in the first lane whose last bar ends before it starts, taking
// bars from left to right; when all maxLanes lanes are busy the bar goes to the lane that
// frees first. It returns how many lanes are used.
func assignLanes(bars []barBox, maxLanes int) int {
	order := make([]int, len(bars))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return bars[order[a]].X < bars[order[b]].X })
	var laneEnds []float64
	for _, i := range order {
		lane := -1
		for l, end := range laneEnds {
			if end+timelineLaneGap <= bars[i].X {
				lane = l
				break
			}
		}
		if lane < 0 && len(laneEnds) < maxLanes {
			laneEnds = append(laneEnds, 0)
			lane = len(laneEnds) - 1
		}
		if lane < 0 {
			lane = 0
			for l, end := range laneEnds {
				if end < laneEnds[lane] {
					lane = l
				}
			}
		}
		bars[i].Lane = lane
		laneEnds[lane] = bars[i].X + bars[i].Width
	}
	return len(laneEnds)
}

// axisTicks labels the window with the smallest step that gives at most maxTicks ticks.
// Labels are UTC: the date alone for day steps, the date and time when the window crosses
// midnight, the time alone otherwise.
func axisTicks(from, to time.Time, x func(time.Time) float64, maxTicks int) []axisTick {
	span := to.Sub(from)
	step := timelineSteps[len(timelineSteps)-1]
	for _, s := range timelineSteps {
		if span/s < time.Duration(maxTicks) {
			step = s
			break
		}
	}
	for span/step >= time.Duration(maxTicks) {
		step *= 2
	}
	layout := "15:04"
	switch {
	case step >= 24*time.Hour:
		layout = "Jan 2"
	case from.UTC().YearDay() != to.UTC().YearDay() || from.UTC().Year() != to.UTC().Year():
		layout = "Jan 2 15:04"
	}
	var ticks []axisTick
	t := from.Truncate(step)
	if t.Before(from) {
		t = t.Add(step)
	}
	for ; !t.After(to); t = t.Add(step) {
		ticks = append(ticks, axisTick{X: x(t), Label: t.UTC().Format(layout)})
	}
	return ticks
}

// timelineBar is one drawn deploy: its box, colour class, tooltip and link.
type timelineBar struct {
	X, Y, Width float64
	Class       string
	Rollback    bool
	Tooltip     string
	Href        string
}

// timelineTick is one drawn axis label.
type timelineTick struct {
	X     float64
	Label string
}

// timelineView is what the "timeline" template draws.
type timelineView struct {
	Width, Height float64
	BarHeight     float64
	// AxisY is the axis line; ticks reach down to TickY and labels sit on LabelY.
	AxisY, TickY, LabelY float64
	Bars                 []timelineBar
	Ticks                []timelineTick
	From, To             time.Time
	// Note replaces the picture when the deploys could not be read.
	Note string
}

// timelineClass maps a deploy state to the bar's colour class; the class never carries
// anything but these fixed names.
func timelineClass(state string) string {
	switch state {
	case core.StateSucceeded:
		return "tl-succeeded"
	case core.StateRunning, core.StateSucceeding:
		return "tl-running"
	case core.StateFailing:
		return "tl-failing"
	case core.StateAborted:
		return "tl-aborted"
	}
	return "tl-unknown"
}

// newTimeline draws deploys (any order) as of now: a running deploy's bar reaches now.
func newTimeline(deploys []schema.Deploy, now time.Time) timelineView {
	spans := make([]timeSpan, len(deploys))
	for i, d := range deploys {
		end := deployEnd(d, now)
		if end.Before(d.CreatedAt) {
			end = d.CreatedAt
		}
		spans[i] = timeSpan{Start: d.CreatedAt, End: end}
	}
	layout := layoutTimeline(spans, timelineWidth, timelinePad, timelineMinBar, timelineMaxLanes, timelineMaxTicks)
	lanes := max(layout.Lanes, 1)
	axisY := float64(lanes)*timelineLaneH + float64(lanes-1)*timelineLaneSpace + 4
	v := timelineView{Width: timelineWidth, Height: axisY + timelineAxisH, BarHeight: timelineLaneH,
		AxisY: axisY, TickY: axisY + 4, LabelY: axisY + 16, From: layout.From, To: layout.To}
	for i, d := range deploys {
		box := layout.Bars[i]
		v.Bars = append(v.Bars, timelineBar{
			X: box.X, Y: float64(box.Lane) * (timelineLaneH + timelineLaneSpace), Width: box.Width,
			Class:    timelineClass(d.State),
			Rollback: d.Type == core.TypeRollback,
			Tooltip:  timelineTooltip(d, now),
			Href:     deployPagePath(d.ID),
		})
	}
	for _, t := range layout.Ticks {
		v.Ticks = append(v.Ticks, timelineTick(t))
	}
	return v
}

// timelineTooltip is the hover text of a bar: what an on-call engineer asks first.
func timelineTooltip(d schema.Deploy, now time.Time) string {
	return fmt.Sprintf("%s of build %s by %s\n%s for %s, started %s",
		d.Type, d.BuildID, d.Operator, d.State, duration(d, now), formatUTC(d.CreatedAt))
}

// timelineUnreadable is the note drawn instead of a timeline whose deploys could not be read.
const timelineUnreadable = "The deploy timeline could not be read; the server log has the details."

// recentTimeline reads a stage's newest deploys and draws them; a failed read becomes a
// note in the picture's place, so the page around it still renders.
func (b *Board) recentTimeline(ctx context.Context, env, stage string, now time.Time) timelineView {
	deploys, err := b.Store.ListDeploys(ctx, env, stage, schema.DeployFilter{Limit: timelineDeploys})
	if err != nil {
		b.Logger.Error("board: list deploys for the timeline", "env", env, "stage", stage, "error", err)
		return timelineView{Note: timelineUnreadable}
	}
	return newTimeline(deploys, now)
}
