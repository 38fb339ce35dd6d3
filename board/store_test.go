package board_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// cmd/teletraan wires a *schema.Store into the board; this stops compiling when a page calls
// a method the store does not have.
var _ board.Store = (*schema.Store)(nil)

// failingStore answers one method with a domain error of code and reads the rest from a
// real store, so that a test can make any page's subject unreadable in any way.
type failingStore struct {
	board.Store
	method, code string
}

// failureMessage is what failingStore's errors say; markup in it must come out as text.
const failureMessage = "no access to <b>hello</b>"

func (s failingStore) fails(method string) error {
	if s.method == method {
		return core.Errorf(s.code, failureMessage)
	}
	return nil
}

func (s failingStore) GetStage(ctx context.Context, env, stage string) (*schema.Stage, error) {
	if err := s.fails("GetStage"); err != nil {
		return nil, err
	}
	return s.Store.GetStage(ctx, env, stage)
}

func (s failingStore) GetDeploy(ctx context.Context, id string) (*schema.Deploy, error) {
	if err := s.fails("GetDeploy"); err != nil {
		return nil, err
	}
	return s.Store.GetDeploy(ctx, id)
}

func (s failingStore) HostDetail(ctx context.Context, name string) (*schema.HostDetail, error) {
	if err := s.fails("HostDetail"); err != nil {
		return nil, err
	}
	return s.Store.HostDetail(ctx, name)
}

func (s failingStore) GetBuild(ctx context.Context, id string) (*schema.Build, error) {
	if err := s.fails("GetBuild"); err != nil {
		return nil, err
	}
	return s.Store.GetBuild(ctx, id)
}

func TestEveryPageAnswersAnUnreadableSubjectByItsCode(t *testing.T) {
	gin.SetMode(gin.TestMode)
	f := newFixture(t, schematest.SQLite(t))
	pages := []struct{ method, path, what string }{
		{"GetStage", "/envs/hello/prod", "stage hello/prod"},
		{"GetStage", "/envs/hello/prod/hosts", "stage hello/prod"},
		{"GetStage", "/envs/hello/prod/deploys", "stage hello/prod"},
		{"GetStage", "/envs/hello/prod/builds", "stage hello/prod"},
		{"GetStage", "/envs/hello/prod/config", "stage hello/prod"},
		{"GetStage", "/envs/hello/prod/config/history", "stage hello/prod"},
		{"GetDeploy", "/deploys/d1", "deploy d1"},
		{"HostDetail", "/hosts/h1-serving", "host h1-serving"},
	}
	for _, code := range []string{core.ENOTFOUND, core.EINVALID, core.EFORBIDDEN, core.ECONFLICT, core.EUNAVAILABLE, core.EINTERNAL} {
		for _, p := range pages {
			engine := gin.New()
			(&board.Board{Store: failingStore{Store: f.store, method: p.method, code: code}}).Register(engine)
			rec := get(t, engine, p.path)
			body := rec.Body.String()
			want := map[string]string{
				core.ENOTFOUND:    "There is no " + p.what + ".",
				core.EINVALID:     "Could not show " + p.what + ": no access to &lt;b&gt;hello&lt;/b&gt;",
				core.EFORBIDDEN:   "Could not show " + p.what + ": no access to &lt;b&gt;hello&lt;/b&gt;",
				core.ECONFLICT:    "Could not show " + p.what + ": no access to &lt;b&gt;hello&lt;/b&gt;",
				core.EUNAVAILABLE: "Could not read " + p.what + ": the database did not answer",
				core.EINTERNAL:    "Could not read " + p.what + ": the database did not answer",
			}[code]
			if rec.Code != core.HTTPStatus(code) || !strings.Contains(body, want) {
				t.Errorf("%s with %s failing %s: status %d, want %d and %q in\n%.600s", p.path, p.method, code, rec.Code, core.HTTPStatus(code), want, body)
			}
			if strings.Contains(body, "<b>hello") || (rec.Code >= 500 && strings.Contains(body, "no access")) {
				t.Errorf("%s with %s failing %s shows the error's message raw or on an outage:\n%.600s", p.path, p.method, code, body)
			}
		}
	}
}

func TestComparePageStatusFollowsTheUnreadableBuild(t *testing.T) {
	gin.SetMode(gin.TestMode)
	f := newFixture(t, schematest.SQLite(t))
	for _, tc := range []struct{ code, want string }{
		{core.ENOTFOUND, "There is no build b-old."},
		{core.EFORBIDDEN, "Build b-old: no access to &lt;b&gt;hello&lt;/b&gt;"},
		{core.EUNAVAILABLE, "Part of this page could not be read"},
	} {
		engine := gin.New()
		(&board.Board{Store: failingStore{Store: f.store, method: "GetBuild", code: tc.code}}).Register(engine)
		rec := get(t, engine, "/envs/hello/prod/builds/compare?from=b-old&to=b-old")
		if rec.Code != core.HTTPStatus(tc.code) || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("GetBuild failing %s: status %d, want %d and %q in\n%.600s", tc.code, rec.Code, core.HTTPStatus(tc.code), tc.want, rec.Body.String())
		}
	}
}
