package board

// navTab is one link of the stage pages' navigation bar.
type navTab struct {
	Label, Href string
	Active      bool
}

// stageNav is what the "stagenav" template draws: the stage and its pages.
type stageNav struct {
	Env, Stage string
	Tabs       []navTab
}

// stagePages are the pages every stage has, in the order the bar shows them; the key is
// what a page passes as active.
var stagePages = []struct{ key, label, suffix string }{
	{"overview", "Overview", ""},
	{"deploys", "Deploys", "/deploys"},
	{"hosts", "Hosts", "/hosts"},
	{"builds", "Builds", "/builds"},
	{"config", "Config", "/config"},
}

// newStageNav builds the navigation bar of a stage page, marking active as the current page.
func newStageNav(env, stage, active string) stageNav {
	n := stageNav{Env: env, Stage: stage}
	for _, p := range stagePages {
		n.Tabs = append(n.Tabs, navTab{Label: p.label, Href: stagePath(env, stage, p.suffix), Active: p.key == active})
	}
	n.Tabs = append(n.Tabs, navTab{Label: "Pipeline", Href: pipelinePath(env)})
	return n
}
