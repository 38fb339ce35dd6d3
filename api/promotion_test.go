package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/api"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// fakePromoter stands in for the Temporal-backed Promoter: it records what it was told
// and answers a status naming the stage.
type fakePromoter struct {
	mu        sync.Mutex
	published []string
	changed   []string
	actions   []string
}

func (f *fakePromoter) BuildPublished(_ context.Context, b *schema.Build) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = append(f.published, b.ID)
	return nil
}

func (f *fakePromoter) ConfigChanged(_ context.Context, st *schema.Stage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changed = append(f.changed, st.StageName)
	return nil
}

func (f *fakePromoter) PromotionStatus(_ context.Context, st *schema.Stage) (*api.PromotionStatus, error) {
	if st.Promote == nil {
		return nil, core.Errorf(core.ENOTFOUND, "stage %s/%s has no promote config", st.EnvName, st.StageName)
	}
	return &api.PromotionStatus{EnvName: st.EnvName, StageName: st.StageName, Why: "no candidate: waiting for a new build", Candidates: []api.PromotionCandidate{}}, nil
}

func (f *fakePromoter) PromotionAction(ctx context.Context, st *schema.Stage, action, operator string) (*api.PromotionStatus, error) {
	f.mu.Lock()
	f.actions = append(f.actions, action+" by "+operator)
	f.mu.Unlock()
	return f.PromotionStatus(ctx, st)
}

func TestPromoteConfigThroughTheAPI(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("web", "canary", `"promote":{"source":"BUILD","onEvent":true}`)
	a.createStage("web", "staging", `"promote":{"source":"canary","onEvent":true,"failPolicy":"ROLLBACK"}`)
	a.createStage("web", "prod", "")
	a.createStage("other", "qa", "")

	rec := a.call(http.MethodGet, "/v1/envs/web/staging", "")
	wantStatus(t, rec, http.StatusOK)
	got := decode[api.Stage](t, rec)
	if p := got.Promote; p == nil || p.Source != "canary" || p.QueueSize != 1 || p.DisablePolicy != core.PromoteDisableOnManual || p.FailPolicy != core.PromoteFailRollback {
		t.Fatalf("staging's promote config = %+v, want source canary with the defaults filled", p)
	}

	for _, tc := range []struct {
		name, stage, body, field, msg string
	}{
		{"cycle", "canary", `{"promote":{"source":"staging","onEvent":true}}`, "promote.source", "cycle of predecessor stages: canary ← staging ← canary"},
		{"other environment", "prod", `{"promote":{"source":"other/qa","onEvent":true}}`, "promote.source", "own environment"},
		{"missing predecessor", "prod", `{"promote":{"source":"nowhere","onEvent":true}}`, "promote.source", "does not exist"},
		{"invalid cron", "prod", `{"promote":{"source":"staging","cron":"every monday"}}`, "promote.cron", "5"},
		{"invalid time zone", "prod", `{"promote":{"source":"staging","onEvent":true,"timeZone":"Europe/Atlantis"}}`, "promote.timeZone", "IANA"},
		{"window that never opens", "prod", `{"promote":{"source":"staging","onEvent":true,"window":{"days":[],"start":"09:00","end":"17:00"}}}`, "promote.window.days", "never opens"},
		{"unknown field", "prod", `{"promote":{"source":"staging","onEvnt":true}}`, "promote.onEvnt", "unknown field"},
		{"wrong type", "prod", `{"promote":{"source":"staging","queueSize":"two"}}`, "promote.queueSize", "must be"},
		{"control character", "prod", `{"promote":{"source":"staging","onEvent":true,"branch":"a\u0007b"}}`, "promote.branch", ""},
	} {
		rec := a.call(http.MethodPut, "/v1/envs/web/"+tc.stage, tc.body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) || !strings.Contains(rec.Body.String(), tc.msg) {
			t.Errorf("%s: %d %s; want 400 on field %s saying %q", tc.name, rec.Code, rec.Body, tc.field, tc.msg)
		}
	}

	rec = a.call(http.MethodPut, "/v1/envs/web/prod", `{"promote":{"source":"staging","cron":"0 9 * * mon-fri","timeZone":"Europe/Berlin","window":{"days":["Mon","Tue"],"start":"09:00","end":"17:00"}}}`)
	wantStatus(t, rec, http.StatusOK)
	a.promoter.mu.Lock()
	changed := strings.Join(a.promoter.changed, ",")
	a.promoter.mu.Unlock()
	if changed != "canary,staging,prod" {
		t.Errorf("promotions told of config changes: %s, want canary,staging,prod", changed)
	}
	rec = a.call(http.MethodGet, "/v1/envs/web/prod/history", "")
	if !strings.Contains(rec.Body.String(), `"cron":"0 9 * * mon-fri"`) {
		t.Errorf("the config history does not record the promote config: %s", rec.Body)
	}

	// Deleting a predecessor is refused while a stage promotes from it.
	rec = a.call(http.MethodDelete, "/v1/envs/web/canary", "")
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "web/staging promotes from web/canary") {
		t.Errorf("delete a predecessor: %d %s, want 409 naming the successor", rec.Code, rec.Body)
	}

	// null removes it, and the promotion is told.
	rec = a.call(http.MethodPut, "/v1/envs/web/prod", `{"promote":null}`)
	wantStatus(t, rec, http.StatusOK)
	if decode[api.Stage](t, rec).Promote != nil {
		t.Error(`"promote": null left the promote config in place`)
	}
	a.promoter.mu.Lock()
	if n := len(a.promoter.changed); n != 4 {
		t.Errorf("removing the promote config told %d promotions, want 4 in all", n)
	}
	a.promoter.mu.Unlock()
}

func TestPipelineAndPromotionRoutes(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("web", "canary", `"buildName":"web","promote":{"source":"BUILD","onEvent":true}`)
	a.createStage("web", "staging", `"buildName":"web","promote":{"source":"canary","onEvent":true}`)
	a.createStage("web", "prod", `"buildName":"web","promote":{"source":"staging","onEvent":true}`)
	a.createStage("web", "adhoc", `"buildName":"web"`)
	b := a.publishBuild("web", "abcdef1")
	a.promoter.mu.Lock()
	if len(a.promoter.published) != 1 || a.promoter.published[0] != b.ID {
		t.Errorf("promotions offered %v, want the published build %s", a.promoter.published, b.ID)
	}
	a.promoter.mu.Unlock()

	rec := a.call(http.MethodGet, "/v1/pipelines/web", "")
	wantStatus(t, rec, http.StatusOK)
	p := decode[api.Pipeline](t, rec)
	var order []string
	for _, s := range p.Stages {
		order = append(order, s.StageName)
	}
	if strings.Join(order, " ") != "adhoc canary staging prod" {
		t.Errorf("pipeline order %v, want adhoc canary staging prod", order)
	}
	if s := p.Stages[2]; s.Source != "canary" || s.Promotion == nil || s.Promotion.Why == "" {
		t.Errorf("staging in the pipeline: %+v, want its source and why", s)
	}
	if s := p.Stages[0]; s.Promotion != nil || s.Source != "" {
		t.Errorf("adhoc has no promotion, got %+v", s)
	}
	wantStatus(t, a.call(http.MethodGet, "/v1/pipelines/nowhere", ""), http.StatusNotFound)

	rec = a.call(http.MethodGet, "/v1/envs/web/prod/promotion", "")
	wantStatus(t, rec, http.StatusOK)
	rec = a.call(http.MethodGet, "/v1/envs/web/adhoc/promotion", "")
	wantStatus(t, rec, http.StatusNotFound)

	wantStatus(t, a.call(http.MethodPost, "/v1/envs/web/prod/promotion/actions/pause", ""), http.StatusOK)
	wantStatus(t, a.call(http.MethodPost, "/v1/envs/web/prod/promotion/actions/now", `{"description":"ship it"}`), http.StatusOK)
	rec = a.call(http.MethodPost, "/v1/envs/web/prod/promotion/actions/explode", "")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "pause, resume or now") {
		t.Errorf("unknown promotion action: %d %s", rec.Code, rec.Body)
	}
	a.promoter.mu.Lock()
	if got := strings.Join(a.promoter.actions, ","); got != "pause by alice,now by alice" {
		t.Errorf("promotion actions %s", got)
	}
	a.promoter.mu.Unlock()
}

func TestPredecessorWarning(t *testing.T) {
	a := newTestAPI(t)
	a.createStage("web", "staging", `"buildName":"web"`)
	a.createStage("web", "prod", `"buildName":"web","promote":{"source":"staging","onEvent":true}`)
	b := a.publishBuild("web", "abcdef1")
	rec := a.call(http.MethodPost, "/v1/envs/web/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	want := "build " + b.ID + " has no successful deploy in the predecessor stage staging"
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("deploy to prod of a build staging never ran: %s; want the warning %q", rec.Body, want)
	}
	// Once it succeeded in staging, the warning goes.
	rec = a.call(http.MethodPost, "/v1/envs/web/staging/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	d := decode[struct{ Deploy api.Deploy }](t, rec)
	if _, err := a.store.SetDeployState(t.Context(), d.Deploy.ID, core.StateSucceeding, "all hosts serving"); err != nil {
		t.Fatal(err)
	}
	rec = a.call(http.MethodPost, "/v1/envs/web/prod/deploys", `{"buildId":"`+b.ID+`"}`)
	wantStatus(t, rec, http.StatusCreated)
	if strings.Contains(rec.Body.String(), "predecessor") {
		t.Errorf("deploy to prod of a build that succeeded in staging still warns: %s", rec.Body)
	}
}
