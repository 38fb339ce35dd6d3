package board_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

func TestHomeListsStagesAndEscapesUserData(t *testing.T) {
	gin.SetMode(gin.TestMode)
	st := schematest.SQLite(t)
	ctx := context.Background()
	s := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(ctx, s, "alice"); err != nil {
		t.Fatal(err)
	}
	d := &schema.Deploy{ID: "d1", StageID: s.ID, EnvName: "hello", StageName: "prod", BuildID: "b1", Type: core.TypeRegular, Operator: "<script>alert(1)</script>", WorkflowID: "deploy/d1"}
	if err := st.CreateDeploy(ctx, d); err != nil {
		t.Fatal(err)
	}
	engine := gin.New()
	(&board.Board{Store: st, TemporalUIURL: "http://127.0.0.1:8233"}).Register(engine)
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "hello/prod") || !strings.Contains(body, "RUNNING") {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("operator name not escaped: %s", body)
	}
	if !strings.Contains(body, "/namespaces/default/workflows/deploy%2Fd1") {
		t.Fatalf("no link to the deploy workflow: %s", body)
	}
}

func TestHomeWithoutStagesExplainsHowToStart(t *testing.T) {
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	(&board.Board{Store: schematest.SQLite(t)}).Register(engine)
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "No stages yet") {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body.String())
	}
}
