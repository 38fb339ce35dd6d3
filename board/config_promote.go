package board

import (
	"slices"
	"strconv"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// promoteForm is the config page's auto-promotion section, filled from the stage's promote
// config (the defaults when it has none); static/config.js sends it as "promote", or null
// when "promote automatically" is unticked.
type promoteForm struct {
	Enabled bool
	// Sources are BUILD and the other stages of the environment.
	Sources []string
	Config  core.PromoteConfig
	// Days are the window's days, each with whether it is ticked.
	Days                   []promoteDay
	Catchup, Delay, Queue  string
	FailPolicies           []string
	DisablePolicies        []string
	WindowStart, WindowEnd string
}

type promoteDay struct {
	Name    string
	Checked bool
}

// newPromoteForm is the section for st among the environment's stages.
func newPromoteForm(st *schema.Stage, siblings []schema.Stage) promoteForm {
	f := promoteForm{Enabled: st.Promote != nil, Sources: []string{core.PromoteSourceBuild},
		FailPolicies:    []string{core.PromoteFailContinue, core.PromoteFailDisable, core.PromoteFailRollback},
		DisablePolicies: []string{core.PromoteDisableOnManual, core.PromoteDisableNever},
		WindowStart:     "09:00", WindowEnd: "17:00"}
	for _, s := range siblings {
		if s.StageName != st.StageName {
			f.Sources = append(f.Sources, s.StageName)
		}
	}
	if st.Promote != nil {
		f.Config = *st.Promote
	} else {
		f.Config = core.PromoteConfig{OnEvent: true}
		f.Config.Normalize()
	}
	if !slices.Contains(f.Sources, f.Config.Source) {
		f.Sources = append(f.Sources, f.Config.Source)
	}
	var days []string
	if w := f.Config.Window; w != nil {
		days, f.WindowStart, f.WindowEnd = w.Days, w.Start, w.End
	}
	for _, d := range core.Weekdays {
		f.Days = append(f.Days, promoteDay{Name: d, Checked: slices.Contains(days, d)})
	}
	f.Catchup, f.Delay, f.Queue = strconv.Itoa(f.Config.CatchupMinutes), strconv.Itoa(f.Config.DelaySeconds), strconv.Itoa(f.Config.QueueSize)
	return f
}
