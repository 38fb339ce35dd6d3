package board

import "net/url"

// Board URLs. Every name in a path is escaped as one path segment, so a stage, host or
// deploy whose name holds "/", "?" or "#" still links to its own page; query values are
// escaped by url.Values. static/board.js builds the host and deploy paths the same way.

// stagePath is the board URL of a stage's page plus suffix ("", "/hosts", "/builds", …).
func stagePath(env, stage, suffix string) string {
	return "/envs/" + url.PathEscape(env) + "/" + url.PathEscape(stage) + suffix
}

// hostsFilterPath is a stage's hosts page showing only the hosts of one grid colour or
// agent state.
func hostsFilterPath(env, stage, state string) string {
	return stagePath(env, stage, "/hosts") + "?" + url.Values{"state": {state}}.Encode()
}

// hostPagePath is the board URL of a host's detail page.
func hostPagePath(name string) string {
	return "/hosts/" + url.PathEscape(name)
}

// deployPagePath is the board URL of a deploy's detail page.
func deployPagePath(id string) string {
	return "/deploys/" + url.PathEscape(id)
}

// buildComparePath is the compare page of a stage for two build ids.
func buildComparePath(env, stage, from, to string) string {
	q := url.Values{}
	q.Set("from", from)
	q.Set("to", to)
	return stagePath(env, stage, "/builds/compare") + "?" + q.Encode()
}

// pipelinePath is the board URL of an environment's pipeline.
func pipelinePath(env string) string {
	return "/pipelines/" + url.PathEscape(env)
}
