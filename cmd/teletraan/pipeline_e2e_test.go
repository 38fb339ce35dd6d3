package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/teletraan-on-temporal/teletraan/board/browsertest"
	"github.com/teletraan-on-temporal/teletraan/workflows"
)

// pipelineView is what these tests read of GET /v1/pipelines/{env}.
type pipelineView struct {
	Stages []struct {
		StageName string
		Source    string
		Current   *struct{ ID, BuildID, State, Operator, Type string }
		Promotion *struct {
			Why, Disabled, PausedBy string
			NextScheduleTime        *time.Time
			ScheduleID              string
		}
		PromotionError string
	}
}

func readPipeline(t *testing.T, s *runningStack) pipelineView {
	t.Helper()
	var p pipelineView
	s.call(t, "GET", "/v1/pipelines/hello", nil, 200, &p)
	return p
}

// waitStageOn waits until stage's current deploy is of build and in state.
func waitStageOn(t *testing.T, s *runningStack, stage, build, state string) (deployID string) {
	t.Helper()
	waitFor(t, 90*time.Second, fmt.Sprintf("%s on build %s %s", stage, build, state), func() (bool, string) {
		for _, st := range readPipeline(t, s).Stages {
			if st.StageName != stage {
				continue
			}
			why := ""
			if st.Promotion != nil {
				why = st.Promotion.Why
			}
			if st.Current == nil {
				return false, "no deploy; promotion: " + why + st.PromotionError
			}
			deployID = st.Current.ID
			return st.Current.BuildID == build && st.Current.State == state,
				fmt.Sprintf("%s %s %s by %s; promotion: %s%s", st.Current.Type, st.Current.BuildID, st.Current.State, st.Current.Operator, why, st.PromotionError)
		}
		return false, "no stage " + stage
	})
	return deployID
}

// TestPipelinePromotesCanaryStagingProd: three stages with one real agent each, canary
// promoting new builds and qualifying them with an HTTP acceptance against a server the
// test runs, staging promoting what canary qualified and qualifying it with a command the
// worker runs, prod promoting what staging qualified. Publishing one build reaches prod with
// no further call; a build whose canary acceptance fails stops there and canary rolls back
// (fail policy ROLLBACK, which also turns canary's promotion off until resumed); a BAD tag
// stops the next build; once tagged GOOD, promote-now takes it to canary and a
// schedule-driven promotion (a Temporal Schedule every few seconds) moves it on.
func TestPipelinePromotesCanaryStagingProd(t *testing.T) {
	var checked atomic.Int32
	checks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checked.Add(1)
		// Build 2 is broken: its health check fails on canary.
		if strings.HasSuffix(r.URL.Path, "c0ffee2") {
			http.Error(w, "health: 0 of 3 checks pass", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "healthy")
	}))
	defer checks.Close()
	s := startTestStackWith(t, t.TempDir(), func(c *devConfig) { c.allowCommands = true })
	startFleet(t, s, 3)
	stages := []struct {
		name, host, promote string
		acceptance          map[string]any
	}{
		{"canary", "host-1", `{"source":"BUILD","onEvent":true,"failPolicy":"ROLLBACK"}`,
			map[string]any{"http": []map[string]any{{"name": "health", "url": checks.URL + "/health/{build}", "bodyContains": "healthy"}}}},
		{"staging", "host-2", `{"source":"canary","onEvent":true}`,
			map[string]any{"command": map[string]any{"run": `test "$TELETRAAN_STAGE" = staging && echo "suite passed for $TELETRAAN_DEPLOY_ID"`, "timeoutSeconds": 60}}},
		{"prod", "host-3", `{"source":"staging","onEvent":true}`, nil},
	}
	for _, st := range stages {
		s.call(t, "POST", "/v1/envs", map[string]any{"envName": "hello", "stageName": st.name, "buildName": "hello",
			"maxParallel": 1, "stuckTimeoutSeconds": 60, "promote": rawJSON(st.promote)}, 201, nil)
		s.call(t, "PUT", "/v1/envs/hello/"+st.name+"/capacity", map[string]any{"hosts": []string{st.host}, "groups": []string{}}, 200, nil)
		if st.acceptance != nil {
			// A command acceptance is taken once the worker that runs commands polls.
			waitFor(t, 30*time.Second, st.name+" to take its acceptance", func() (bool, string) {
				code, body := tryCall(s, "PUT", "/v1/envs/hello/"+st.name, map[string]any{"acceptance": st.acceptance})
				return code == 200, body
			})
		}
	}

	b1 := publishMarkerBuild(t, s, "1")
	canary1 := waitStageOn(t, s, "canary", b1, "SUCCEEDING")
	waitAcceptance(t, s, canary1, "ACCEPTED")
	staging1 := waitStageOn(t, s, "staging", b1, "SUCCEEDING")
	if a := waitAcceptance(t, s, staging1, "ACCEPTED"); len(a.Evidence) == 0 || !strings.Contains(a.Evidence[len(a.Evidence)-1].Output, "suite passed for "+staging1) {
		t.Errorf("staging's command acceptance evidence: %+v", a.Evidence)
	}
	prod1 := waitStageOn(t, s, "prod", b1, "SUCCEEDING")
	var d deployResponse
	s.call(t, "GET", "/v1/deploys/"+prod1, nil, 200, &d)
	if d.Deploy.Operator != "promotion:hello/prod" {
		t.Errorf("prod's deploy: operator %q, want the promotion", d.Deploy.Operator)
	}

	// Build 2 fails canary's acceptance; canary's failPolicy rolls it back to build 1 and
	// turns its promotion off; staging and prod keep build 1.
	b2 := publishMarkerBuild(t, s, "2")
	waitFor(t, 90*time.Second, "canary rolled back to build 1", func() (bool, string) {
		var cur struct {
			Deploy struct{ Type, BuildID, State, StateReason string }
		}
		s.call(t, "GET", "/v1/envs/hello/canary/deploys/current", nil, 200, &cur)
		return cur.Deploy.Type == "ROLLBACK" && cur.Deploy.BuildID == b1 && cur.Deploy.State == "SUCCEEDING",
			cur.Deploy.Type + " " + cur.Deploy.BuildID + " " + cur.Deploy.State + " " + cur.Deploy.StateReason
	})
	waitFor(t, 30*time.Second, "canary's promotion disabled by its fail policy", func() (bool, string) {
		for _, st := range readPipeline(t, s).Stages {
			if st.StageName == "canary" && st.Promotion != nil {
				return strings.Contains(st.Promotion.Disabled, "went REJECTED (failPolicy ROLLBACK"), st.Promotion.Why
			}
		}
		return false, "no canary promotion"
	})
	for _, st := range readPipeline(t, s).Stages {
		if (st.StageName == "staging" || st.StageName == "prod") && (st.Current == nil || st.Current.BuildID != b1) {
			t.Errorf("%s left build 1 after build 2 failed on canary: %+v", st.StageName, st.Current)
		}
	}
	var deploys struct{ Deploys []struct{ BuildID string } }
	s.call(t, "GET", "/v1/envs/hello/staging/deploys", nil, 200, &deploys)
	for _, dep := range deploys.Deploys {
		if dep.BuildID == b2 {
			t.Errorf("staging deployed build 2, which failed on canary")
		}
	}

	// A BAD tag on build 2 stops build 3 (a later build of its branch) at canary's door.
	s.call(t, "PUT", "/v1/envs/hello/staging", map[string]any{"promote": rawJSON(`{"source":"canary","onEvent":false,"cron":"@every 3s"}`)}, 200, nil)
	s.call(t, "POST", "/v1/envs/hello/canary/promotion/actions/resume", map[string]any{}, 200, nil)
	s.call(t, "POST", "/v1/builds/"+b2+"/tags", map[string]any{"value": "BAD", "comment": "crashes on start"}, 201, nil)
	b3 := publishMarkerBuild(t, s, "3")
	waitFor(t, 30*time.Second, "canary's promotion to refuse build 3 as BAD", func() (bool, string) {
		for _, st := range readPipeline(t, s).Stages {
			if st.StageName == "canary" && st.Promotion != nil {
				return strings.Contains(st.Promotion.Why, "build "+b3+" tagged BAD by") && strings.Contains(st.Promotion.Why, "crashes on start"), st.Promotion.Why
			}
		}
		return false, "no canary promotion"
	})
	if cur := currentOf(t, s, "canary"); cur.BuildID != b1 {
		t.Errorf("canary runs %s, want build 1 still: build 3 is BAD", cur.BuildID)
	}

	// Tagged GOOD, build 3 goes to canary by promote-now, and on by the schedule.
	s.call(t, "POST", "/v1/builds/"+b3+"/tags", map[string]any{"value": "GOOD", "comment": "fixed in 3"}, 201, nil)
	// Refused (409, with why) while canary's rollback still awaits its own acceptance.
	waitFor(t, 60*time.Second, "promote now to start a deploy of build 3 on canary", func() (bool, string) {
		code, body := tryCall(s, "POST", "/v1/envs/hello/canary/promotion/actions/now", map[string]any{"description": "tagged GOOD"})
		return code == 200 && strings.Contains(body, `"deployId"`), body
	})
	waitAcceptance(t, s, waitStageOn(t, s, "canary", b3, "SUCCEEDING"), "ACCEPTED")
	waitStageOn(t, s, "staging", b3, "SUCCEEDING")
	prod3 := waitStageOn(t, s, "prod", b3, "SUCCEEDING")
	var staging deployResponse
	s.call(t, "GET", "/v1/envs/hello/staging/deploys/current", nil, 200, &staging)
	if staging.Deploy.Operator != "promotion:hello/staging" {
		t.Errorf("staging's deploy of build 3 by %q, want its promotion", staging.Deploy.Operator)
	}
	for _, st := range readPipeline(t, s).Stages {
		if st.StageName == "staging" && (st.Promotion == nil || st.Promotion.NextScheduleTime == nil || st.Promotion.ScheduleID != "promote/hello/staging") {
			t.Errorf("staging's pipeline entry lacks its schedule: %+v", st.Promotion)
		}
	}
	if checked.Load() < 3 {
		t.Errorf("canary's health check was asked %d times, want one per canary deploy at least", checked.Load())
	}
	// The promotion hears of prod's verdict a moment after the deploy row has it.
	waitFor(t, 30*time.Second, "prod's promotion to wait for staging again", func() (bool, string) {
		for _, st := range readPipeline(t, s).Stages {
			if st.StageName == "prod" && st.Promotion != nil {
				return strings.Contains(st.Promotion.Why, "qualify in staging"), st.Promotion.Why
			}
		}
		return false, "no prod promotion"
	})
	out, err := runCommand(t, "pipeline", "hello", "--url", s.apiURL, "--token", s.adminToken)
	if err != nil {
		t.Fatalf("teletraan pipeline hello: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[1], "canary") || !strings.HasPrefix(lines[2], "staging") || !strings.HasPrefix(lines[3], "prod") ||
		!strings.HasPrefix(lines[4], "dev") || !strings.Contains(lines[3], b3) || !strings.Contains(lines[1], "ACCEPTED") || !strings.Contains(lines[3], "none") || !strings.Contains(lines[3], "qualify in staging") {
		t.Errorf("teletraan pipeline hello:\n%s\nwant canary (ACCEPTED), staging, prod (no acceptance) in order with prod on build 3 and why it waits, then dev", out)
	}
	out, err = runCommand(t, "promotion", "pause", "hello", "staging", "--url", s.apiURL, "--token", s.adminToken)
	if err != nil || !strings.Contains(out, "paused:   by ") {
		t.Errorf("teletraan promotion pause hello staging: %v\n%s", err, out)
	}
	pipelineInChromium(t, s, b3)
	recordHistories(t, s, "promotion",
		workflows.StageWorkflowID("hello", "canary"), workflows.PromotionWorkflowID("hello", "canary"),
		workflows.PromotionWorkflowID("hello", "staging"), workflows.PromotionWorkflowID("hello", "prod"),
		workflows.DeployWorkflowID(prod3), workflows.StageWorkflowID("hello", "staging"))
}

// currentOf is stage's current deploy.
func currentOf(t *testing.T, s *runningStack, stage string) struct{ ID, BuildID, State string } {
	t.Helper()
	var cur struct {
		Deploy struct{ ID, BuildID, State string }
	}
	s.call(t, "GET", "/v1/envs/hello/"+stage+"/deploys/current", nil, 200, &cur)
	return cur.Deploy
}

// pipelineInChromium checks the pipeline page: each stage's build and its promotion's
// why line, the arrows between stages, and the pause and resume buttons.
func pipelineInChromium(t *testing.T, s *runningStack, build string) {
	t.Helper()
	if browsertest.Path(t) == "" {
		return
	}
	ctx := browsertest.Start(t, 2*time.Minute)
	show := `Array.from(document.querySelectorAll('.pipe-stage')).map(e => e.dataset.stage + ': ' + e.querySelector('.pipe-build').textContent + ' / ' + ((e.querySelector('.pipe-why') || {}).textContent || '-')).join(' | ') + ' status=' + document.getElementById('status').textContent`
	// The dev stack's login link signs the local user in and lands on the pipeline.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.loginURL+"&next=/pipelines/hello"), chromedp.WaitVisible(chromedp.CSS("#pipeline"))); err != nil {
		t.Fatal(err)
	}
	order := browsertest.Eval(t, ctx, `Array.from(document.querySelectorAll('.pipe-stage')).map(e => e.dataset.stage).join(' ')`)
	if order != "canary staging prod dev" {
		t.Errorf("pipeline page order %q, want canary staging prod dev", order)
	}
	if n := browsertest.Eval(t, ctx, `String(document.querySelectorAll('.pipe-arrow').length)`); n != "2" {
		t.Errorf("%s arrows, want 2: canary → staging → prod, and dev on its own", n)
	}
	for _, st := range []string{"canary", "staging", "prod"} {
		browsertest.WaitFor(t, ctx, 20*time.Second, st+" on build 3 with its why line",
			`(() => { const e = document.querySelector('.pipe-stage[data-stage="`+st+`"]'); return e.querySelector('.pipe-build').textContent === `+browsertest.JSString(build)+
				` && !e.querySelector('.pipe-why').textContent.includes('asking'); })()`, show)
	}
	browsertest.WaitFor(t, ctx, 10*time.Second, "staging's why line says who paused it",
		`document.querySelector('.pipe-stage[data-stage="staging"] .pipe-why').textContent.includes('paused by')`, show)
	browsertest.WaitFor(t, ctx, 10*time.Second, "prod's why line says what it waits for",
		`document.querySelector('.pipe-stage[data-stage="prod"] .pipe-why').textContent.includes('qualify in staging')`, show)
	browsertest.Screenshot(t, ctx, "pipeline-1-three-stages")
	browsertest.Eval(t, ctx, `(window.prompt = () => 'back on', 'ok')`)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.pipe-stage[data-stage="staging"] button[data-promotion-action="resume"]`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, 20*time.Second, "the resume accepted and staging's why line no longer paused",
		`document.getElementById('status').textContent.includes('accepted') && !document.querySelector('.pipe-stage[data-stage="staging"] .pipe-why').textContent.includes('paused by')`, show)
	browsertest.Screenshot(t, ctx, "pipeline-2-resumed")

	// Prod now waits for a person's verdict; the pipeline page offers Accept once a build
	// gets there, and the click records it.
	s.call(t, "PUT", "/v1/envs/hello/prod", map[string]any{"acceptance": map[string]any{"external": map[string]any{"deadlineSeconds": 600}}}, 200, nil)
	b4 := publishMarkerBuild(t, s, "4")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.apiURL+"/pipelines/hello"), chromedp.WaitVisible(chromedp.CSS("#pipeline"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Eval(t, ctx, `(window.prompt = () => 'looks good', 'ok')`)
	browsertest.WaitFor(t, ctx, 90*time.Second, "prod waiting for a verdict on build 4, with Accept offered",
		`(() => { const e = document.querySelector('.pipe-stage[data-stage="prod"]'); const v = e.querySelector('.pipe-verdict');
			return e.querySelector('.pipe-build').textContent === `+browsertest.JSString(b4)+` && v && !v.hidden; })()`, show)
	browsertest.Screenshot(t, ctx, "pipeline-3-verdict-pending")
	prod4 := currentOf(t, s, "prod").ID
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.pipe-stage[data-stage="prod"] button[data-verdict="ACCEPTED"]`))); err != nil {
		t.Fatal(err)
	}
	waitAcceptance(t, s, prod4, "ACCEPTED")
}

// rawJSON passes a JSON text through s.call's marshalling as it is.
type rawJSON string

// MarshalJSON implements json.Marshaler.
func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }
