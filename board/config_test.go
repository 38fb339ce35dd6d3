package board_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/board"
	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
	"github.com/teletraan-on-temporal/teletraan/schema/schematest"
)

// newConfigStage creates hello/prod with user data carrying markup in every kind of field
// the config page shows, and a capacity.
func newConfigStage(t *testing.T, st *schema.Store) {
	t.Helper()
	ctx := context.Background()
	s := &schema.Stage{EnvName: "hello", StageName: "prod", StageConfig: schema.DefaultStageConfig("hello", "prod")}
	if err := st.CreateStage(ctx, s, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err := st.UpdateStageConfig(ctx, "hello", "prod", func(c *schema.StageConfig) {
		c.Description = "prod " + xss
		c.SuccessThreshold = 90
		c.OnFailure = core.FailureRollback
		c.ScriptVariables = map[string]string{"GREETING": xss, "ANSWER": "42"}
		c.AgentConfigs = map[string]string{"RESTARTING.process_timeout": "60"}
		c.Alarms = []schema.Alarm{{Name: "errors " + xss, URL: "https://alarms.example.com/errors"}}
	}, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetCapacity(ctx, "hello", "prod", schema.Capacity{Hosts: []string{"h2", "h1"}, Groups: []string{"web"}}, "alice"); err != nil {
		t.Fatal(err)
	}
}

func getConfigPage(t *testing.T, st *schema.Store, path string) (int, string) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	engine := gin.New()
	(&board.Board{Store: st}).Register(engine)
	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestConfigPageHasEveryFieldFilledAndEscaped(t *testing.T) {
	st := schematest.SQLite(t)
	newConfigStage(t, st)
	code, body := getConfigPage(t, st, "/envs/hello/prod/config")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	// The form must follow the config as it grows: every JSON field of StageConfig needs a
	// place for its value and for the server's error about it.
	cfg := reflect.TypeFor[schema.StageConfig]()
	for i := range cfg.NumField() {
		name, _, _ := strings.Cut(cfg.Field(i).Tag.Get("json"), ",")
		for _, want := range []string{`data-field="` + name + `"`, `data-error-for="` + name + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("config form lacks %s for StageConfig field %s", want, cfg.Field(i).Name)
			}
		}
	}
	for _, want := range []string{
		`name="successThreshold" type="number" step="1" min="0" max="100" value="90"`,
		`name="stuckTimeoutSeconds" type="number" step="1" min="10" max="604800" value="600"`,
		`<option value="ROLLBACK" selected>`,
		`value="ANSWER"`, `value="42"`, `value="GREETING"`, `value="RESTARTING.process_timeout"`,
		`&#34;url&#34;: &#34;https://alarms.example.com/errors&#34;`,
		">h1\nh2</textarea>", ">web</textarea>",
		`href="/envs/hello/prod/config/history"`,
		"Promotion settings will appear",
		"A host that makes no progress for this long counts as failed",
		`/static/config.js`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("config page lacks %q", want)
		}
	}
	// Rows come sorted by key, so ANSWER precedes GREETING.
	if strings.Index(body, `value="ANSWER"`) > strings.Index(body, `value="GREETING"`) {
		t.Errorf("script variables not sorted by name")
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("user data not escaped: %s", body)
	}
	if strings.Contains(body, `id="save-capacity" data-needs-operator disabled`) {
		t.Errorf("capacity form disabled although the capacity was read")
	}
}

func TestConfigPageOfMissingStageIsNotFound(t *testing.T) {
	st := schematest.SQLite(t)
	code, body := getConfigPage(t, st, "/envs/hello/nope/config")
	if code != http.StatusNotFound || !strings.Contains(body, "There is no stage hello/nope") {
		t.Fatalf("status %d, body %s", code, body)
	}
}

func TestConfigPageWithUnreadableCapacityKeepsTheConfigForm(t *testing.T) {
	st := schematest.SQLite(t)
	newConfigStage(t, st)
	if _, err := st.DB().ExecContext(context.Background(), "DROP TABLE stage_hosts"); err != nil {
		t.Fatal(err)
	}
	code, body := getConfigPage(t, st, "/envs/hello/prod/config")
	if code != http.StatusOK {
		t.Fatalf("status %d, body %s", code, body)
	}
	for _, want := range []string{"The capacity could not be read", `id="save-capacity" data-needs-operator disabled`, `value="GREETING"`, `id="save-config"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
