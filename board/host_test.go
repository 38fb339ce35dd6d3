package board_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// hostStageRowHTML is the row of env/stage in a host page's stage table, with the error row
// that follows it, or "" when there is none.
func hostStageRowHTML(body, env, stage string) string {
	re := regexp.MustCompile(`(?s)<tr data-host="[^"]*" data-env="` + regexp.QuoteMeta(env) + `" data-stage="` + regexp.QuoteMeta(stage) + `".*?</tr>\n(<tr class="host-error">.*?</tr>)?`)
	return re.FindString(body)
}

func TestHostPageShowsMachineAndEveryStage(t *testing.T) {
	engine, f := boardEngine(t)
	ctx := context.Background()
	// The host also holds an agent row in a second stage, which does not list it.
	other := &schema.Stage{EnvName: "batch", StageName: "prod", StageConfig: schema.DefaultStageConfig("batch", "prod")}
	if err := f.store.CreateStage(ctx, other, "alice"); err != nil {
		t.Fatal(err)
	}
	row := schema.Agent{HostID: "h3-failed", StageID: other.ID, HostName: "h3-failed", DeployID: "d-gone", DeployStage: "SERVING_BUILD", Status: "SUCCEEDED",
		State: core.AgentNormal, StartedAt: f.deploy.CreatedAt, StageStartedAt: f.deploy.CreatedAt, UpdatedAt: f.deploy.CreatedAt}
	if _, err := f.store.DB().NewInsert().Model(&row).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	rec := get(t, engine, "/hosts/h3-failed")
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	for _, want := range []string{
		"<h1>Host h3-failed</h1>",
		"<td>h3-failed</td><td>h3-failed</td><td>—</td>", // id, name, no IP
		` UTC</time> <span class="muted">(0s ago)</span>`,
		`<script src="/static/hosts.js"></script>`,
		`id="sign-out"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	prod := hostStageRowHTML(body, "hello", "prod")
	for _, want := range []string{
		`<a href="/envs/hello/prod">hello/prod</a>`, `href="/envs/hello/prod/hosts"`,
		"named in capacity",
		`<td class="c-build">&lt;script&gt;alert(1)&lt;/script&gt;</td>`,
		`<a href="/deploys/d1">d1</a>`,
		`<td class="c-dstage">RESTARTING</td>`, `<td class="c-status">SCRIPT_FAILED</td>`, `<td class="c-state">PAUSED_BY_SYSTEM</td>`,
		`<td class="c-fail">0</td>`,
		`<pre>boom &lt;script&gt;alert(1)&lt;/script&gt;</pre>`,
		`<button type="button" data-needs-operator data-host-action="retry">Retry</button> <button type="button" data-needs-operator data-host-action="exclude">Exclude</button> </td>`,
	} {
		if !strings.Contains(prod, want) {
			t.Errorf("hello/prod row lacks %q: %s", want, prod)
		}
	}
	batch := hostStageRowHTML(body, "batch", "prod")
	for _, want := range []string{"removed from capacity, still reporting", `<a href="/deploys/d-gone">d-gone</a>`, "unknown build", `<td class="c-state">NORMAL</td>`} {
		if !strings.Contains(batch, want) {
			t.Errorf("batch/prod row lacks %q: %s", want, batch)
		}
	}
	if strings.Contains(batch, "host-error") {
		t.Errorf("batch/prod shows an error it does not have: %s", batch)
	}
	if strings.Index(body, "batch/prod") > strings.Index(body, "hello/prod") {
		t.Errorf("stages not sorted by env")
	}
}

func TestHostPageEscapesUserData(t *testing.T) {
	engine, _ := boardEngine(t)
	body := get(t, engine, "/hosts/h3-failed").Body.String()
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("user data rendered as markup: %s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("escaped user data missing: %s", body)
	}
}

func TestHostPageOfACapacityHostThatNeverPinged(t *testing.T) {
	engine, _ := boardEngine(t)
	rec := get(t, engine, "/hosts/h7-never")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `id="never-pinged"`) {
		t.Fatalf("status %d, body %s", rec.Code, body)
	}
	if row := hostStageRowHTML(body, "hello", "prod"); !strings.Contains(row, "not deployed here yet") || !strings.Contains(row, `<td class="c-build">—</td>`) {
		t.Fatalf("stage row %s", row)
	}
}

func TestHostPageNamesEachMachineOfAReusedName(t *testing.T) {
	engine, f := boardEngine(t)
	if err := f.store.RecordHost(context.Background(), &schema.Host{ID: "i-new", HostName: "h1-serving", IP: "10.1.2.3", AvailabilityZone: "us-east-1b", AgentVersion: "1.2.3", Groups: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	body := get(t, engine, "/hosts/h1-serving").Body.String()
	for _, want := range []string{"Several machines reported this name", "<th>Machine</th>",
		"<td>i-new</td><td>h1-serving</td><td>10.1.2.3</td><td>us-east-1b</td><td>1.2.3</td><td>web</td>", "<td>h1-serving</td><td>h1-serving</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if row := hostStageRowHTML(body, "hello", "prod"); !strings.Contains(row, "<td>h1-serving</td>") {
		t.Errorf("stage row does not say which machine: %s", row)
	}
	if t.Failed() {
		t.Logf("body: %s", body)
	}
}

func TestUnknownHostIsA404Page(t *testing.T) {
	engine, _ := boardEngine(t)
	for path, want := range map[string]string{
		"/hosts/nope":          "There is no host nope.",
		"/hosts/%3Cscript%3Ex": "There is no host &lt;script&gt;x.",
	} {
		rec := get(t, engine, path)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: status %d, body %s", path, rec.Code, rec.Body.String())
		}
	}
}
