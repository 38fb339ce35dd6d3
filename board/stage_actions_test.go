package board_test

import (
	"context"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/schema"
)

func TestStagePageOffersPromoteHotfixAndAlarms(t *testing.T) {
	engine, f := boardEngine(t)
	ctx := context.Background()
	body := get(t, engine, "/envs/hello/prod").Body.String()
	for _, want := range []string{`data-hotfix="b-old"`, "No alarms configured", `href="/envs/hello/prod/config"`, `data-deploy="d1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="promote"`) {
		t.Errorf("Promote offered with no other stage to promote to")
	}

	other := &schema.Stage{EnvName: "hello", StageName: "canary", StageConfig: schema.DefaultStageConfig("hello", "canary")}
	if err := f.store.CreateStage(ctx, other, "alice"); err != nil {
		t.Fatal(err)
	}
	alarms := []schema.Alarm{{Name: "errors " + xss, URL: "https://alarms.example.com/errors"}}
	if _, err := f.store.UpdateStageConfig(ctx, "hello", "prod", func(c *schema.StageConfig) { c.Alarms = alarms }, "alice"); err != nil {
		t.Fatal(err)
	}
	body = get(t, engine, "/envs/hello/prod").Body.String()
	for _, want := range []string{`<option value="canary">canary</option>`, `id="promote"`, `<table id="alarms"`,
		"errors &lt;script&gt;alert(1)&lt;/script&gt;", `href="https://alarms.example.com/errors"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Errorf("alarm name rendered as markup")
	}
}

func TestAnUnreadableStageIsAnOutagePageNotANotFound(t *testing.T) {
	engine, f := boardEngine(t)
	if err := f.store.DB().Close(); err != nil {
		t.Fatal(err)
	}
	rec := get(t, engine, "/envs/hello/prod")
	body := rec.Body.String()
	if rec.Code != 500 || !strings.Contains(body, "Could not read stage hello/prod: the database did not answer") || strings.Contains(body, "Not found") {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
}
