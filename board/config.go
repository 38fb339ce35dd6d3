package board

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// configField is one scalar input of the config form. Name is the JSON field, which is
// also what the API's field errors name, so the page can put an error next to its input.
type configField struct {
	Name, Label, Help string
	// Kind is the input's kind: text, number, select, list (names separated by commas or
	// spaces, sent as a JSON list) or json (a section edited as JSON: alarms, alarm policy,
	// webhooks).
	Kind string
	// Min and Max bound a number (the same bounds StageConfig.Validate applies); MaxLen
	// bounds a text.
	Min, Max, MaxLen int
	Unit             string
	Required         bool
	Options          []string
	Value            string
}

// configPair is one key/value row of a map field (script variables, agent configs).
type configPair struct {
	Key, Value string
}

// configPage is what config.html draws.
type configPage struct {
	Stage           *schema.Stage
	Fields          []configField
	ScriptVariables []configPair
	AgentConfigs    []configPair
	// CapacityKnown is false when the capacity could not be read; saving it then would
	// replace hosts nobody saw, so the form is disabled.
	CapacityKnown bool
	Hosts, Groups string
	Error         string
}

// configMaxSeconds is the longest stuck timeout or bake time the store accepts: 7 days.
const configMaxSeconds = 7 * 24 * 3600

// configFields lists the scalar fields of c as form inputs, with the bounds the store
// enforces and a line on what each one does.
func configFields(c schema.StageConfig) []configField {
	num := strconv.Itoa
	return []configField{
		{Name: "description", Label: "Description", Kind: "text", MaxLen: 1024, Value: c.Description,
			Help: "What this stage is for; shown under its name on the stage page."},
		{Name: "buildName", Label: "Build name", Kind: "text", MaxLen: 128, Required: true, Value: c.BuildName,
			Help: "The build stream this stage deploys; builds published under another name are refused. Letters, digits, '.', '-', '_'."},
		{Name: "branch", Label: "Branch", Kind: "text", MaxLen: 255, Value: c.Branch,
			Help: "The branch new builds are expected on; promotion and hotfix listings use it."},
		{Name: "maxParallel", Label: "Max parallel hosts", Kind: "number", Min: 0, Max: 100000, Unit: "hosts", Required: true, Value: num(c.MaxParallel),
			Help: "At most this many hosts deploy at once (0 = no count cap). With a percent cap too, the smaller window wins; rollbacks go twice as wide."},
		{Name: "maxParallelPct", Label: "Max parallel percent", Kind: "number", Min: 0, Max: 100, Unit: "% of hosts", Required: true, Value: num(c.MaxParallelPct),
			Help: "At most this percent of the stage's hosts deploy at once (0 = no percent cap). Set this or max parallel hosts above 0."},
		{Name: "successThreshold", Label: "Success threshold", Kind: "number", Min: 0, Max: 100, Unit: "% of hosts", Required: true, Value: num(c.SuccessThreshold),
			Help: "A deploy succeeds once this percent of hosts serve the build; when too many fail to reach it the deploy goes FAILING."},
		{Name: "stuckTimeoutSeconds", Label: "Stuck timeout", Kind: "number", Min: 10, Max: configMaxSeconds, Unit: "seconds", Required: true, Value: num(c.StuckTimeoutSeconds),
			Help: "A host that makes no progress for this long counts as failed (10 s to 7 days)."},
		{Name: "bakeTimeSeconds", Label: "Bake time", Kind: "number", Min: 0, Max: configMaxSeconds, Unit: "seconds", Required: true, Value: num(c.BakeTimeSeconds),
			Help: "Pause between waves so that problems show before the deploy goes wider (0 = no pause)."},
		{Name: "secretVariables", Label: "Secret variables", Kind: "list", MaxLen: 4096, Value: strings.Join(c.SecretVariables, ", "),
			Help: "Script variables whose values are write-only: names or globs such as DB_*, separated by commas. Names holding PASSWORD, SECRET, TOKEN, CREDENTIAL, PRIVATE_KEY or API_KEY always are. Their values show as (secret); leave (secret) in place to keep a value."},
		{Name: "onFailure", Label: "On failure", Kind: "select", Options: []string{core.FailureWait, core.FailureRollback}, Required: true, Value: c.OnFailure,
			Help: "What a FAILING deploy does: WAIT for a person to abort, roll back or redeploy, or ROLLBACK to the last good build at once."},
		{Name: "stageType", Label: "Stage type", Kind: "select", Options: core.StageTypes(), Required: true, Value: c.StageType,
			Help: "Teletraan's stage type, sent to every agent; the build's scripts read it as COMPUTE_ENV_TYPE."},
		{Name: "alarms", Label: "Alarms", Kind: "json", Value: jsonText(c.Alarms),
			Help: `A list, at most 20, of {"name", "kind": "HTTP", "url"} (fires on non-2xx or {"firing": true}; its "reason" is shown) or {"name", "kind": "PROMETHEUS", "query", "op", "threshold"} (op one of > < >= <= == !=; no op: any series fires; placeholders {{env}} {{stage}} {{build}} {{deploy}}). Checked before every wave, while hosts are in flight and during bakes.`},
		{Name: "alarmPolicy", Label: "Alarm policy", Kind: "json", Value: jsonText(c.AlarmPolicy),
			Help: `What an acting alarm or alert does: onFiring PAUSE, FAIL (default) or ROLLBACK; intervalSeconds (default 15); failureLimit consecutive firing checks (default 1); onInconclusive FIRING (default) or IGNORE; holdRollbacks (default false: rollbacks run while alarms fire); prometheus {url, bearerToken | username, password}; alertSecret; alertMaxAgeSeconds (default 600). Secrets show as (secret); leave it in place to keep a value.`},
		{Name: "webhooks", Label: "Webhooks", Kind: "json", Value: jsonText(c.Webhooks),
			Help: `A list, at most 20, of {"name", "url", "events": [] (all) or DEPLOY_STARTED, DEPLOY_SUCCEEDED, DEPLOY_FAILED, DEPLOY_ABORTED, DEPLOY_ROLLED_BACK, ACCEPTANCE_VERDICT, PROMOTION, "format": JSON or SLACK, "headers": {}, "secret" (signs X-Teletraan-Signature-256), "timeoutSeconds"}. Secrets and header values show as (secret).`},
	}
}

// jsonText is v as the JSON a json field edits, indented for people.
func jsonText(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// configPairs lists a map as rows sorted by key, the order people look keys up in.
func configPairs(m map[string]string) []configPair {
	out := make([]configPair, 0, len(m))
	for k, v := range m {
		out = append(out, configPair{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// config renders the stage's config and capacity forms, filled with the stored values.
func (b *Board) config(c *gin.Context) {
	ctx := c.Request.Context()
	env, name := c.Param("env"), c.Param("stage")
	st, ok := b.loadStage(c, env, name)
	if !ok {
		return
	}
	// Secrets are write-only here too: the form shows their markers, which an update
	// sent back unchanged keeps.
	shown := st.StageConfig.Redacted(nil)
	view := *st
	view.StageConfig = shown
	page := configPage{
		Stage:           &view,
		Fields:          configFields(shown),
		ScriptVariables: configPairs(shown.ScriptVariables),
		AgentConfigs:    configPairs(st.AgentConfigs),
	}
	if capacity, err := b.Store.GetCapacity(ctx, env, name); err != nil {
		b.Logger.Error("board: get capacity", "env", env, "stage", name, "error", err)
		page.Error = "The capacity could not be read, so its form is disabled; the server log has the details. The config form works."
	} else {
		page.CapacityKnown = true
		page.Hosts = strings.Join(capacity.Hosts, "\n")
		page.Groups = strings.Join(capacity.Groups, "\n")
	}
	b.render(c, http.StatusOK, "config.html", page)
}
