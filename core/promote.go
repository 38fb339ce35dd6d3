package core

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// PromoteSourceBuild is the promote source that takes new builds of the stage's build name.
const PromoteSourceBuild = "BUILD"

// Fail policies of auto-promotion (Teletraan's PromoteFailPolicy): what a promoted deploy
// that fails (FAILING, or REJECTED by its acceptance) does to auto-promotion.
const (
	// PromoteFailContinue keeps promoting: the next candidate replaces the failed deploy.
	PromoteFailContinue = "CONTINUE"
	// PromoteFailDisable turns auto-promotion off until a person resumes it.
	PromoteFailDisable = "DISABLE"
	// PromoteFailRollback rolls the stage back to its last good build and turns
	// auto-promotion off.
	PromoteFailRollback = "ROLLBACK"
)

// Disable policies of auto-promotion: whether a person's own deploy turns it off.
const (
	// PromoteDisableOnManual turns auto-promotion off when a person deploys, rolls back,
	// restarts or hotfixes the stage, so that the promotion does not undo their choice
	// (Teletraan's default, AUTO).
	PromoteDisableOnManual = "ON_MANUAL_ACTION"
	// PromoteDisableNever keeps auto-promotion on whatever people do (Teletraan's MANUAL).
	PromoteDisableNever = "NEVER"
)

// MaxPromoteQueueSize bounds queueSize, as Teletraan does.
const MaxPromoteQueueSize = 10

// PromoteConfig is a stage's auto-promotion: where its candidates come from, what makes it
// promote, and the rules a candidate must pass. A stage without one is promoted by hand.
type PromoteConfig struct {
	// Source is PromoteSourceBuild, or the name of a stage of the same environment whose
	// qualified deploys are the candidates.
	Source string `json:"source"`
	// Branch limits a BUILD source to builds of one branch; "" takes every branch.
	Branch string `json:"branch,omitempty"`
	// OnEvent promotes as soon as a candidate arrives (a build published, a deploy
	// qualified) and passes the rules.
	OnEvent bool `json:"onEvent"`
	// Cron, a five-field expression in TimeZone, wakes the promotion through a Temporal
	// Schedule; with OnEvent false, candidates wait for it.
	Cron string `json:"cron,omitempty"`
	// TimeZone is the IANA zone of Cron and Window; "" is UTC.
	TimeZone string `json:"timeZone,omitempty"`
	// CatchupMinutes is how late a cron wake may still run after an outage; 0 means 10.
	CatchupMinutes int `json:"catchupMinutes,omitempty"`
	// DelaySeconds is how old a candidate must be before it is promoted.
	DelaySeconds int `json:"delaySeconds"`
	// QueueSize is Teletraan's queueSize: promote the QueueSize-th newest candidate, once
	// there are that many; 1 promotes the newest.
	QueueSize int `json:"queueSize"`
	// Window, when set, is when promotions may start; outside it they wait.
	Window *PromoteWindow `json:"window,omitempty"`
	// FailPolicy is PromoteFailContinue, PromoteFailDisable or PromoteFailRollback.
	FailPolicy string `json:"failPolicy"`
	// DisablePolicy is PromoteDisableOnManual or PromoteDisableNever.
	DisablePolicy string `json:"disablePolicy"`
}

// PromoteWindow is when promotions may start: on Days, from Start to End (HH:MM in the
// promote config's time zone). An End at or before Start runs past midnight into the next
// day; "24:00" ends at midnight.
type PromoteWindow struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// Weekdays are the day names a window takes, Monday first.
var Weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// Normalize fills the defaults of the fields a writer left out.
func (p *PromoteConfig) Normalize() {
	if p.QueueSize == 0 {
		p.QueueSize = 1
	}
	if p.FailPolicy == "" {
		p.FailPolicy = PromoteFailContinue
	}
	if p.DisablePolicy == "" {
		p.DisablePolicy = PromoteDisableOnManual
	}
	if p.Source == "" {
		p.Source = PromoteSourceBuild
	}
}

// FromStage is the predecessor stage the config promotes from, or "" for a BUILD source.
func (p *PromoteConfig) FromStage() string {
	if p == nil || p.Source == PromoteSourceBuild {
		return ""
	}
	return p.Source
}

// Location is the config's time zone (UTC when unset); Validate refuses an unknown one.
func (p *PromoteConfig) Location() *time.Location {
	if p == nil || p.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// CatchupWindow is how late a missed cron wake still runs.
func (p *PromoteConfig) CatchupWindow() time.Duration {
	if p.CatchupMinutes <= 0 {
		return 10 * time.Minute
	}
	return time.Duration(p.CatchupMinutes) * time.Minute
}

// Validate checks the fields one stage can check alone (the predecessor's existence,
// environment and cycles need the other stages: see PromoteChainError); env and stage are
// the stage's own. Errors name the field as "promote.<field>".
func (p *PromoteConfig) Validate(env, stage string) error {
	src := p.Source
	switch {
	case src == PromoteSourceBuild:
	case strings.Contains(src, "/"):
		e, s, _ := strings.Cut(src, "/")
		if e != env {
			return FieldErrorf("promote.source", "stage %s/%s is in environment %s; a stage promotes only from a stage of its own environment (%s)", e, s, e, env)
		}
		return FieldErrorf("promote.source", "name the predecessor stage without its environment: %q", s)
	case src == stage:
		return FieldErrorf("promote.source", "is %s itself; a stage cannot promote from itself", stage)
	case src == "" || len(src) > 64:
		return FieldErrorf("promote.source", "must be BUILD or the name of a stage of %s", env)
	}
	if p.Branch != "" && src != PromoteSourceBuild {
		return FieldErrorf("promote.branch", "applies only to source BUILD; a stage source promotes what that stage qualified")
	}
	if len(p.Branch) > 255 {
		return FieldErrorf("promote.branch", "is longer than 255 characters")
	}
	if !p.OnEvent && p.Cron == "" {
		return FieldErrorf("promote.onEvent", "nothing would ever promote: set onEvent true, a cron, or both")
	}
	if p.TimeZone != "" {
		if _, err := time.LoadLocation(p.TimeZone); err != nil || p.TimeZone == "Local" {
			return FieldErrorf("promote.timeZone", "%q is not an IANA time zone such as Europe/Berlin or UTC", p.TimeZone)
		}
	}
	if p.Cron != "" {
		c, err := ParseCron(p.Cron)
		if err != nil {
			return FieldErrorf("promote.cron", "%v", err)
		}
		if c.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
			return FieldErrorf("promote.cron", "%q never fires (no such day)", p.Cron)
		}
	}
	if p.CatchupMinutes < 0 || p.CatchupMinutes > 7*24*60 {
		return FieldErrorf("promote.catchupMinutes", "must be between 0 and 10080 (7 days), got %d", p.CatchupMinutes)
	}
	if p.DelaySeconds < 0 || p.DelaySeconds > 30*24*3600 {
		return FieldErrorf("promote.delaySeconds", "must be between 0 and 30 days, got %d", p.DelaySeconds)
	}
	if p.QueueSize < 1 || p.QueueSize > MaxPromoteQueueSize {
		return FieldErrorf("promote.queueSize", "must be between 1 and %d, got %d", MaxPromoteQueueSize, p.QueueSize)
	}
	switch p.FailPolicy {
	case PromoteFailContinue, PromoteFailDisable, PromoteFailRollback:
	default:
		return FieldErrorf("promote.failPolicy", "%q is not a fail policy: use CONTINUE, DISABLE or ROLLBACK", p.FailPolicy)
	}
	switch p.DisablePolicy {
	case PromoteDisableOnManual, PromoteDisableNever:
	default:
		return FieldErrorf("promote.disablePolicy", "%q is not a disable policy: use ON_MANUAL_ACTION or NEVER", p.DisablePolicy)
	}
	if p.Window != nil {
		return p.Window.validate()
	}
	return nil
}

func (w *PromoteWindow) validate() error {
	if len(w.Days) == 0 {
		return FieldErrorf("promote.window.days", "is empty, so the window never opens: name days such as [\"Mon\", \"Tue\"]")
	}
	for _, d := range w.Days {
		if !slices.Contains(Weekdays, d) {
			return FieldErrorf("promote.window.days", "%q is not a day: use %s", d, strings.Join(Weekdays, ", "))
		}
	}
	start, err := clockMinutes(w.Start)
	if err != nil || start == 24*60 {
		return FieldErrorf("promote.window.start", "%q is not a time of day HH:MM (00:00-23:59)", w.Start)
	}
	end, err := clockMinutes(w.End)
	if err != nil {
		return FieldErrorf("promote.window.end", "%q is not a time of day HH:MM (00:00-24:00)", w.End)
	}
	if start == end {
		return FieldErrorf("promote.window.end", "equals start (%s), so the window never opens; use start 00:00 and end 24:00 for a whole day", w.Start)
	}
	return nil
}

// clockMinutes parses "HH:MM" into minutes after midnight; "24:00" is 1440.
func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if s == "24:00" {
		return 24 * 60, nil
	}
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("not HH:MM")
	}
	return t.Hour()*60 + t.Minute(), nil
}

// openings are the windows that start on the day of t and the day before (a window past
// midnight is still open the next morning) and the next seven days, as [from, to) in loc.
func (w *PromoteWindow) openings(t time.Time, loc *time.Location) [][2]time.Time {
	start, _ := clockMinutes(w.Start)
	end, _ := clockMinutes(w.End)
	length := end - start
	if length <= 0 {
		length += 24 * 60
	}
	lt := t.In(loc)
	var out [][2]time.Time
	for d := -1; d <= 7; d++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+d, 0, 0, 0, 0, loc)
		if !slices.Contains(w.Days, Weekdays[(int(day.Weekday())+6)%7]) {
			continue
		}
		from := time.Date(day.Year(), day.Month(), day.Day(), 0, start, 0, 0, loc)
		to := time.Date(day.Year(), day.Month(), day.Day(), 0, start+length, 0, 0, loc)
		out = append(out, [2]time.Time{from, to})
	}
	return out
}

// WindowOpen reports whether w (nil: always) is open at t in loc.
func WindowOpen(w *PromoteWindow, t time.Time, loc *time.Location) bool {
	if w == nil {
		return true
	}
	for _, o := range w.openings(t, loc) {
		if !t.Before(o[0]) && t.Before(o[1]) {
			return true
		}
	}
	return false
}

// NextWindowOpening is when w next opens after t, or t itself while it is open.
func NextWindowOpening(w *PromoteWindow, t time.Time, loc *time.Location) time.Time {
	if WindowOpen(w, t, loc) {
		return t
	}
	for _, o := range w.openings(t, loc) {
		if o[0].After(t) {
			return o[0]
		}
	}
	return time.Time{} // unreachable for a validated window: some day of the week opens it
}

// WindowClosedText is "window closed until Mon 09:00 Europe/Berlin".
func WindowClosedText(opens time.Time, loc *time.Location) string {
	return "window closed until " + opens.In(loc).Format("Mon 15:04") + " " + loc.String()
}
