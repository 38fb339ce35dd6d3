package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/teletraan-on-temporal/teletraan/core"
	"github.com/teletraan-on-temporal/teletraan/schema"
)

// openAPIDoc is an OpenAPI 3.0.3 document; only the objects this API needs are modelled.
type openAPIDoc struct {
	OpenAPI    string                           `json:"openapi"`
	Info       openAPIInfo                      `json:"info"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components openAPIComponents                `json:"components"`
}

type openAPIInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type openAPIComponents struct {
	Schemas         map[string]*jsonSchema    `json:"schemas"`
	Responses       map[string]*response      `json:"responses"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme,omitempty"`
	In          string `json:"in,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description"`
}

type operation struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Description string                `json:"description,omitempty"`
	Tags        []string              `json:"tags"`
	Parameters  []parameter           `json:"parameters,omitempty"`
	RequestBody *requestBody          `json:"requestBody,omitempty"`
	Responses   map[string]*response  `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
}

type parameter struct {
	Name        string      `json:"name"`
	In          string      `json:"in"`
	Description string      `json:"description"`
	Required    bool        `json:"required"`
	Schema      *jsonSchema `json:"schema"`
}

type requestBody struct {
	Required bool                 `json:"required"`
	Content  map[string]mediaType `json:"content"`
}

type mediaType struct {
	Schema *jsonSchema `json:"schema"`
}

type response struct {
	Ref         string                `json:"$ref,omitempty"`
	Description string                `json:"description,omitempty"`
	Headers     map[string]respHeader `json:"headers,omitempty"`
	Content     map[string]mediaType  `json:"content,omitempty"`
}

type respHeader struct {
	Description string      `json:"description"`
	Schema      *jsonSchema `json:"schema"`
}

func (s *server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", s.openAPIJSON)
}

// mustMarshalOpenAPI builds and marshals the document once; it depends on nothing but
// types, so a failure is a programming error found by the first test run.
func mustMarshalOpenAPI() []byte {
	b, err := json.MarshalIndent(buildOpenAPI(), "", "  ")
	if err != nil {
		panic("api: marshal OpenAPI document: " + err.Error())
	}
	return b
}

// fieldDescriptions documents API type fields whose meaning the name alone does not carry.
func fieldDescriptions() map[string]string {
	return map[string]string{
		"StageConfig.buildName":           "the build stream this stage deploys; builds of another name are refused",
		"StageConfig.branch":              "the branch new builds are expected on",
		"StageConfig.maxParallel":         "hosts deploying at once, by count (0 = no count cap); 0-100000",
		"StageConfig.maxParallelPct":      "hosts deploying at once, by percent of the stage (0 = no percent cap); 0-100",
		"StageConfig.successThreshold":    "percent of hosts that must succeed for the deploy to succeed; 0-100",
		"StageConfig.stuckTimeoutSeconds": "how long a host may make no progress before it counts as failed; 10 s to 7 days",
		"StageConfig.bakeTimeSeconds":     "pause between waves; 0 to 7 days",
		"StageConfig.scriptVariables":     "exported to the build's lifecycle scripts; keys are environment variable names",
		"StageConfig.secretVariables":     "script variables whose values are write-only: names or globs such as DB_*; names holding PASSWORD, SECRET, TOKEN, CREDENTIAL, PRIVATE_KEY or API_KEY always are. Reads show their values, and alarm URLs' credentials, as (secret); sending (secret) back keeps the stored value",
		"StageConfig.agentConfigs":        "agent settings; keys may be prefixed by a deploy stage (RESTARTING.process_timeout)",
		"StageConfig.stageType":           "Teletraan's stage type, sent in every goal; agents export it to scripts as COMPUTE_ENV_TYPE (default DEFAULT)",
		"StageConfig.onFailure":           "what a FAILING deploy does: WAIT (default) for a person, or ROLLBACK to the newest SUCCEEDED deploy of another build",
		"StageConfig.alarms":              "at most 20 alarms, checked before every wave, while hosts are in flight and during bakes; one that acts applies alarmPolicy.onFiring",
		"StageConfig.alarmPolicy":         "how alarms and alerts act; its bearerToken, password and alertSecret are write-only and read as (secret)",
		"StageConfig.webhooks":            "at most 20 endpoints told about the stage's deploy events; secrets, header values and URL credentials are write-only",
		"StageConfig.acceptance":          "what a deploy that reached SUCCEEDING must pass to qualify: a bake, HTTP checks, a command run by a worker started with --allow-acceptance-commands, an external verdict (PUT /v1/deploys/{id}/acceptance) by a deadline; combinable. A REJECTED deploy counts as failed for onFailure. Send {} to remove it",
		"Deploy.acceptance":               "where the deploy's qualification stands: status, summary in words (\"no acceptance configured\"), the reason, the evidence (each check's outcome; a command's exit code and output tail) and who decided",
		"Alarm.name":                      "unique among the stage's alarms; named in the deploy's reason when firing",
		"Alarm.kind":                      "HTTP (default) or PROMETHEUS",
		"Alarm.url":                       "HTTP: the http or https URL to GET; fires on non-2xx or {\"firing\": true} (its \"reason\" shown); unreachable within 5 s is inconclusive",
		"Alarm.query":                     "PROMETHEUS: a PromQL instant query, checked by the Prometheus server when the config is saved; placeholders {{env}} {{stage}} {{build}} {{deploy}}",
		"Alarm.op":                        "PROMETHEUS: > < >= <= == != against threshold; empty: fires when the query returns any series. No series or NaN where a value is compared is inconclusive",
		"AlarmPolicy.onFiring":            "PAUSE (hold the deploy for a person), FAIL (default: FAILING, then onFailure applies) or ROLLBACK (FAILING and roll back at once)",
		"AlarmPolicy.intervalSeconds":     "how often alarms are checked while hosts are in flight and during bakes; 0 means 15",
		"AlarmPolicy.failureLimit":        "consecutive firing checks before an alarm acts; 0 means 1",
		"AlarmPolicy.onInconclusive":      "FIRING (default: a failed or empty check counts as firing) or IGNORE",
		"AlarmPolicy.holdRollbacks":       "let alarms and alerts hold ROLLBACK deploys too; false (default): a rollback runs while alarms fire",
		"AlarmPolicy.alertSecret":         "lets senders without a token post alerts with the header X-Teletraan-Alert-Secret or ?secret=; at least 16 characters",
		"AlarmPolicy.alertMaxAgeSeconds":  "a firing alert older than this (by startsAt) is recorded and does nothing; 0 means 600",
		"Webhook.events":                  "events wanted; empty means all",
		"Webhook.format":                  "JSON (default) or SLACK (a Slack incoming-webhook body)",
		"Webhook.secret":                  "signs each body: X-Teletraan-Signature-256: sha256=<hex HMAC-SHA256 of the body>",
		"Webhook.timeoutSeconds":          "bound of one attempt; 0 means 5; failed attempts are retried with backoff, 5 attempts in all",
		"Stage.currentDeployId":           "the stage's latest deploy, empty before the first one",
		"Build.id":                        "random id, suffixed by the short commit when one is given",
		"Build.checksum":                  "hex SHA-256 of the artifact",
		"Build.publisher":                 "name of the token that published the build",
		"Build.bad":                       "a BAD tag speaks for the build (tag): deploying it by hand needs force; promotion and automatic rollback skip it",
		"Build.tag":                       "the tag that speaks for the build: its own newest, or that of an earlier build of its branch (a BAD tag applies to later builds of the branch until one tagged GOOD or CERTIFIED)",
		"BuildTag.buildId":                "the build the tag was put on",
		"BuildTag.value":                  "BAD, GOOD or CERTIFIED",
		"BuildTag.operator":               "the name of the token that tagged the build",
		"EffectiveBuildTag.inherited":     "the tag was put on another build (buildId): an earlier build of the same branch, or one of the same commit",
		"Deploy.operator":                 "name of the token that started the deploy",
		"Deploy.workflowId":               "id of the Temporal workflow running the deploy",
		"Deploy.type":                     "REGULAR, HOTFIX, ROLLBACK or RESTART",
		"Deploy.inFlight":                 "hosts deploying now, as the workflow last counted",
		"Deploy.remaining":                "hosts waiting for an admission, as the workflow last counted",
		"Deploy.paused":                   "an operator paused the deploy: it admits no new hosts until resumed",
		"Deploy.bakingUntil":              "while the deploy bakes between waves (phase BAKING), when the bake ends",
		"StageHost.memberBy":              `"host", "group:<name>", or "removed" for a host still reporting a stage it left`,
		"StageHost.phase":                 "where the host stands against the stage's current deploy: serving its build, deploying, failed, paused (held at its step by a person, stopped or leaving), excluded by an operator, on another build, unreachable (no ping for 5 min), or never seen",
		"StageHost.actions":               "the host actions that apply to the host now (retry, exclude, pause, resume); the others are refused",
		"AgentError.stale":                "the host serves a build since this error: it is from an attempt the host got past",
		"ConfigChange.before":             "the config or capacity before the change (null for a creation)",
		"ConfigChange.after":              "the config or capacity after the change",
		"AuditEntry.actor":                "the name of the token that made the call; empty when no valid token came",
		"AuditEntry.route":                "the route pattern the call matched, such as /v1/envs/:env/:stage/deploys",
		"AuditEntry.errorCode":            "the refusal's error code; absent when the call succeeded",
	}
}

func buildOpenAPI() *openAPIDoc {
	m := newModelSchemas(fieldDescriptions())
	stageRef := m.ref(Stage{})
	capacityRef := m.ref(Capacity{})
	buildRef := m.ref(Build{})
	deployRef := m.ref(Deploy{})
	hostRef := m.ref(StageHost{})
	changeRef := m.ref(ConfigChange{})
	auditRef := m.ref(AuditEntry{})

	comps := m.components
	// Reflection sees a string; the enum tells clients the two policies Validate accepts.
	comps["StageConfig"].Properties["onFailure"].Enum = []string{core.FailureWait, core.FailureRollback}
	comps["StageConfig"].Properties["stageType"].Enum = core.StageTypes()
	for _, p := range core.HostPhases() {
		comps["StageHost"].Properties["phase"].Enum = append(comps["StageHost"].Properties["phase"].Enum, string(p))
	}
	comps["Error"] = object(map[string]*jsonSchema{
		"error": object(map[string]*jsonSchema{
			"code": {Type: "string", Enum: []string{core.EINVALID, core.EUNAUTHORIZED, core.EFORBIDDEN,
				core.ENOTFOUND, codeMethodNotAllowed, core.ECONFLICT, codeTooLarge, core.EUNAVAILABLE, core.EINTERNAL}},
			"message": {Type: "string", Description: "what went wrong, written for people"},
			"field":   {Type: "string", Description: "the request field or query parameter at fault, when there is one"},
		}, "code", "message"),
	}, "error")
	comps["Health"] = object(map[string]*jsonSchema{
		"status":   {Type: "string", Enum: []string{"ok", "unavailable"}},
		"database": {Type: "string", Description: `"ok" or "unreachable: <why>"`},
		"temporal": {Type: "string", Description: `"ok", "not checked", or "unreachable: <why>"`},
	}, "status", "database", "temporal")
	for name, sc := range pingSchemas() {
		comps[name] = sc
	}
	comps["StageList"] = object(map[string]*jsonSchema{"stages": arrayOf(stageRef)}, "stages")
	comps["ConfigHistory"] = object(map[string]*jsonSchema{"changes": arrayOf(changeRef)}, "changes")
	comps["HostList"] = object(map[string]*jsonSchema{"hosts": arrayOf(hostRef)}, "hosts")
	comps["AlarmStatuses"] = object(map[string]*jsonSchema{
		"alarms": arrayOf(object(map[string]*jsonSchema{
			"name":      {Type: "string"},
			"kind":      {Type: "string", Enum: []string{core.AlarmKindHTTP, core.AlarmKindPrometheus}},
			"url":       {Type: "string", Description: "an HTTP alarm's URL without its credentials"},
			"query":     {Type: "string", Description: "a PROMETHEUS alarm's query as run"},
			"outcome":   {Type: "string", Enum: []string{core.AlarmOK, core.AlarmFiring, core.AlarmInconclusive}},
			"firing":    {Type: "boolean", Description: "outcome is FIRING"},
			"value":     {Type: "number", Description: "the value read"},
			"threshold": {Type: "string", Description: "the comparison, such as \"> 1\""},
			"detail":    {Type: "string", Description: "the alarm's reason: why it fires, or what it read"},
		}, "name", "kind", "outcome", "firing")),
		"firing":          {Type: "integer", Description: "how many alarms fire"},
		"checkedAt":       {Type: "string", Format: "date-time", Description: "when the alarms were asked; answers are reused for up to 15 s"},
		"policy":          {Type: "string", Description: "what an acting alarm does: PAUSE, FAIL or ROLLBACK"},
		"failureLimit":    {Type: "integer"},
		"intervalSeconds": {Type: "integer"},
	}, "alarms", "firing", "checkedAt", "policy", "failureLimit", "intervalSeconds")
	comps["RollbackTarget"] = object(map[string]*jsonSchema{
		"deployId":        {Type: "string", Description: "the deploy a rollback returns to"},
		"buildId":         {Type: "string"},
		"buildName":       {Type: "string"},
		"commit":          {Type: "string"},
		"branch":          {Type: "string"},
		"currentDeployId": {Type: "string"},
		"currentBuildId":  {Type: "string"},
	}, "deployId", "buildId", "buildName", "commit", "branch", "currentDeployId", "currentBuildId")
	comps["AlertsAnswer"] = object(map[string]*jsonSchema{"alerts": arrayOf(object(map[string]*jsonSchema{
		"name":     {Type: "string"},
		"status":   {Type: "string"},
		"action":   {Type: "string", Description: "PAUSE, FAIL, ROLLBACK, or none"},
		"deployId": {Type: "string"},
		"why":      {Type: "string"},
	}, "name", "status", "action", "why"))}, "alerts")
	comps["AlertList"] = object(map[string]*jsonSchema{"alerts": arrayOf(object(map[string]*jsonSchema{
		"id":          {Type: "integer"},
		"deployId":    {Type: "string"},
		"name":        {Type: "string"},
		"status":      {Type: "string"},
		"fingerprint": {Type: "string"},
		"summary":     {Type: "string"},
		"action":      {Type: "string", Description: "what intake did, and why"},
		"startsAt":    {Type: "string", Format: "date-time"},
		"receivedAt":  {Type: "string", Format: "date-time"},
	}, "id", "deployId", "name", "status", "fingerprint", "summary", "action", "receivedAt"))}, "alerts")
	comps["BuildList"] = object(map[string]*jsonSchema{"builds": arrayOf(buildRef)}, "builds")
	comps["AuditList"] = object(map[string]*jsonSchema{"entries": arrayOf(auditRef)}, "entries")
	comps["DeployList"] = object(map[string]*jsonSchema{"deploys": arrayOf(deployRef)}, "deploys")
	comps["DeployView"] = object(map[string]*jsonSchema{
		"deploy":            deployRef,
		"build":             buildRef,
		"workflowUrl":       {Type: "string", Format: "uri", Description: "the deploy's workflow in the Temporal UI; absent when the server does not know the UI's address"},
		"clearedQueue":      {Type: "string", Description: "a newly started deploy only: the id of the queued deploy it dropped from the stage's queue"},
		"warnings":          arrayOf(&jsonSchema{Type: "string", Description: "a newly started deploy only: what deserves a second look, such as a build from another branch than the stage's"}),
		"alarmChecks":       arrayOf(m.ref(AlarmCheck{})),
		"webhookDeliveries": arrayOf(m.ref(WebhookDelivery{})),
		"reasons": arrayOf(object(map[string]*jsonSchema{
			"state":     {Type: "string", Description: "the state the deploy was put in"},
			"reason":    {Type: "string", Description: "why, as it was recorded then"},
			"createdAt": {Type: "string", Format: "date-time"},
		}, "state", "reason", "createdAt")),
	}, "deploy")
	comps["QueuedDeploy"] = object(map[string]*jsonSchema{
		"queued":     {Type: "boolean", Description: "always true"},
		"deployId":   {Type: "string", Description: "the id the deploy will have once it starts; GET /v1/deploys/{id} answers 404 until then"},
		"buildId":    {Type: "string"},
		"type":       {Type: "string", Description: "REGULAR"},
		"operator":   {Type: "string"},
		"queuedAt":   {Type: "string", Format: "date-time", Description: "GET .../queue only: when the stage queued it"},
		"waitingFor": {Type: "string", Description: `the deploy it waits for, "<TYPE> deploy <id> (RUNNING)"`},
		"replaced":   {Type: "string", Description: "POST .../deploys only: the older queued deploy this one replaced; a stage queues one deploy"},
	}, "queued", "deployId", "waitingFor")

	comps["DeployHost"] = object(map[string]*jsonSchema{
		"hostName":     {Type: "string"},
		"hostId":       {Type: "string"},
		"outcome":      {Type: "string", Enum: []string{core.OutcomeInFlight, core.OutcomeSucceeded, core.OutcomeFailed, core.OutcomeStuck}, Description: `"" while the host is in flight`},
		"errorMessage": {Type: "string", Description: "FAILED: the tail of the failing script's output (or the step and status); STUCK: where the host stopped"},
		"finishedAt":   {Type: "string", Format: "date-time", Description: "when the host reached its outcome; absent while in flight"},
	}, "hostName", "hostId", "outcome", "errorMessage")
	comps["DeployWave"] = object(map[string]*jsonSchema{
		"wave":       {Type: "integer", Description: "1 for the deploy's first admission, and so on; 0 holds hosts that joined the stage and installed without an admission"},
		"admittedAt": {Type: "string", Format: "date-time", Description: "the wave's earliest admission (wave 0: when a host was first seen)"},
		"hosts":      arrayOf(ref("DeployHost")),
	}, "wave", "admittedAt", "hosts")
	comps["DeployHosts"] = object(map[string]*jsonSchema{
		"deployId": {Type: "string"},
		"waves":    arrayOf(ref("DeployWave")),
	}, "deployId", "waves")

	createStage := object(m.optionalCopy("StageConfig"), "envName", "stageName")
	createStage.Properties["envName"] = &jsonSchema{Type: "string", Description: "1-64 letters, digits, '-' or '_'"}
	createStage.Properties["stageName"] = &jsonSchema{Type: "string", Description: "1-64 letters, digits, '-' or '_'"}
	createStage.Description = "a new stage; config fields left out take their defaults"
	createStage.AdditionalProperties = false
	comps["CreateStageRequest"] = createStage

	updateStage := object(m.optionalCopy("StageConfig"))
	updateStage.Description = "fields present replace the current value (a map replaces the whole map); fields left out, or null, keep theirs; envName, stageName and the server-maintained fields are refused"
	updateStage.AdditionalProperties = false
	comps["UpdateStageRequest"] = updateStage

	startDeploy := object(map[string]*jsonSchema{
		"buildId":     {Type: "string", Description: "a build whose name is the stage's buildName"},
		"description": {Type: "string", Description: "why this deploy; at most 1024 characters"},
		"force":       {Type: "boolean", Description: "replace a running HOTFIX or ROLLBACK deploy, and deploy a build tagged BAD (the build's bad field); both are refused (409) otherwise"},
		"queue":       {Type: "boolean", Description: "wait for a running HOTFIX or ROLLBACK deploy instead of being refused: the stage queues this deploy (202) and starts it once that deploy reaches SUCCEEDING or FAILING, ends, or is aborted"},
	}, "buildId")
	startDeploy.AdditionalProperties = false
	comps["StartDeployRequest"] = startDeploy

	description := &jsonSchema{Type: "string", Description: "why; at most 1024 characters"}
	action := object(map[string]*jsonSchema{
		"description":      description,
		"toDeployId":       {Type: "string", Description: "rollback only: the deploy whose build to return to; default the newest SUCCEEDED deploy of another build than the current one"},
		"buildId":          {Type: "string", Description: "hotfix only, and required there: the build to deploy at once"},
		"toStage":          {Type: "string", Description: "promote only, and required there: the stage of the same environment that gets this stage's current build"},
		"allowUnsucceeded": {Type: "boolean", Description: "promote only: promote even though the current deploy here has not SUCCEEDED (or its acceptance was rejected), which is refused (409) otherwise"},
		"force":            {Type: "boolean", Description: "promote: as for POST .../deploys on the target stage; rollback and hotfix: deploy a build tagged BAD, which is refused (409) otherwise"},
		"queue":            {Type: "boolean", Description: "promote only: as for POST .../deploys on the target stage"},
	})
	action.Description = "optional for pause, resume, abort, restart and rollback (send no body, or {}); a hotfix needs buildId, a promote toStage"
	action.AdditionalProperties = false
	comps["StageActionRequest"] = action
	hostAction := object(map[string]*jsonSchema{"description": description})
	hostAction.Description = "optional"
	hostAction.AdditionalProperties = false
	comps["HostActionRequest"] = hostAction

	publish := object(map[string]*jsonSchema{
		"name":        {Type: "string", Description: "the build stream: 1-128 letters, digits, '.', '-' or '_'"},
		"artifactUrl": {Type: "string", Format: "uri", Description: "https, http or file URL of the build tarball"},
		"checksum":    {Type: "string", Description: "hex SHA-256 of the artifact, optionally prefixed sha256:"},
		"repo":        {Type: "string"},
		"branch":      {Type: "string"},
		"commit":      {Type: "string", Description: "4-64 hex digits"},
		"commitInfo":  {Type: "string"},
		"commitDate":  {Type: "string", Format: "date-time", Description: "RFC 3339"},
		"publishInfo": {Type: "string", Description: "where the build came from, such as a CI job URL"},
	}, "name", "artifactUrl")
	publish.AdditionalProperties = false
	comps["PublishBuildRequest"] = publish

	doc := &openAPIDoc{
		OpenAPI: "3.0.3",
		Info: openAPIInfo{
			Title:   "Teletraan API",
			Version: "1",
			Description: "Stages, builds and deploys; every deploy runs as a Temporal workflow. " +
				"Every request but GET /v1/auth/config needs a caller (Authorization: Bearer <token>, or Teletraan's token <token>; the ID token of teletraan login; " +
				"or the board's session cookie with X-CSRF-Token on changes) whose role allows it: READER and above for reads (not PINGER), " +
				"PINGER for agent pings, PUBLISHER for publishing builds, OPERATOR for stages, capacity, deploys and actions (ADMIN can do everything); " +
				"a token scoped to one environment may only act on that environment, and a person's role comes from the server's mapping of their groups, per environment. " +
				"Bodies are JSON objects of at most 1 MiB; unknown fields are refused. Every error has the Error shape.",
		},
		Paths: map[string]map[string]*operation{},
		Components: openAPIComponents{
			Schemas: comps,
			Responses: map[string]*response{
				"BadRequest":       errorResponseDoc("the request is invalid; field names the culprit when there is one"),
				"Unauthorized":     errorResponseDoc("no token, or a token that is unknown, revoked or expired"),
				"Forbidden":        errorResponseDoc("the token's role or scope does not allow this request; the message says what it lacks"),
				"NotFound":         errorResponseDoc("the named stage, build or deploy does not exist"),
				"Conflict":         errorResponseDoc("the request clashes with the current state"),
				"TooLarge":         errorResponseDoc("the body is larger than 1 MiB (code too_large)"),
				"Unavailable":      errorResponseDoc("a dependency (database, Temporal) cannot be reached; retry later"),
				"InternalError":    errorResponseDoc("an unexpected failure; the message carries the request id to look up in the server log"),
				"MethodNotAllowed": errorResponseDoc("the path exists but not with this method; the Allow header lists the methods"),
			},
			SecuritySchemes: map[string]securityScheme{
				"bearer":  {Type: "http", Scheme: "bearer", Description: "a Teletraan token, or the ID token `teletraan login` keeps; Teletraan's \"Authorization: token <token>\" form is accepted too"},
				"session": {Type: "apiKey", In: "cookie", Name: sessionCookie, Description: "the board's session; every change made with it must send the session's CSRF token in X-CSRF-Token"},
			},
		},
	}

	envParam := pathParam("env", "environment name")
	stageParam := pathParam("stage", "stage name within the environment")
	limit := queryParam("limit", "rows to return; 0 or absent for the default", &jsonSchema{Type: "integer", Minimum: intPtr(0), Maximum: intPtr(maxPageSize)})
	offset := queryParam("offset", "rows to skip", &jsonSchema{Type: "integer", Minimum: intPtr(0)})
	str := &jsonSchema{Type: "string"}
	created := func(desc, schemaName string) *response {
		r := jsonResponse(desc, ref(schemaName))
		r.Headers = map[string]respHeader{"Location": {Description: "path of the new resource", Schema: str}}
		return r
	}

	add := func(method, path string, op *operation) {
		if doc.Paths[path] == nil {
			doc.Paths[path] = map[string]*operation{}
		}
		op.Responses["500"] = refResponse("InternalError")
		if rule, ok := accessRules[method+" "+ginPath(path)]; ok && !rule.open {
			op.Security = []map[string][]string{{"bearer": {}}, {"session": {}}}
			op.Responses["401"] = refResponse("Unauthorized")
			op.Responses["403"] = refResponse("Forbidden")
			if op.RequestBody != nil {
				op.Responses["400"] = refResponse("BadRequest")
				op.Responses["413"] = refResponse("TooLarge")
			}
		}
		doc.Paths[path][strings.ToLower(method)] = op
	}

	add(http.MethodGet, "/healthz", &operation{
		OperationID: "health", Summary: "Report whether the database and Temporal answer", Tags: []string{"health"},
		Responses: map[string]*response{
			"200": jsonResponse("everything answers", ref("Health")),
			"503": jsonResponse("a dependency does not answer; its field says why", ref("Health")),
		},
	})
	add(http.MethodGet, "/metrics", &operation{
		OperationID: "metrics", Summary: "The service's metrics in Prometheus's text format", Tags: []string{"health"},
		Description: "HTTP requests and their durations by route, pings by outcome and opcode, held long polls, deploys by type and state, " +
			"hosts by phase per stage, the Temporal SDK's client metrics, and the Go runtime's. No credentials: it carries counts and stage names only. " +
			"Database-derived gauges are the same on every replica: aggregate them with max, not sum.",
		Responses: map[string]*response{"200": {Description: "the metrics",
			Content: map[string]mediaType{"text/plain; version=0.0.4": {Schema: &jsonSchema{Type: "string"}}}}},
	})
	add(http.MethodGet, "/v1/openapi.json", &operation{
		OperationID: "openapi", Summary: "This document", Tags: []string{"meta"},
		Responses: map[string]*response{"200": jsonResponse("the OpenAPI 3.0 document", &jsonSchema{Type: "object"})},
	})

	add(http.MethodGet, "/v1/auth/config", &operation{
		OperationID: "signInConfig", Summary: "How people sign in here: the OpenID issuer and the CLI's client id (no secrets)", Tags: []string{"meta"},
		Description: "With oidc among the methods, browsers sign in at GET /auth/oidc/login?next=<path> (the provider returns to /auth/oidc/callback); " +
			"teletraan dev adds GET /auth/dev?key=<printed key>. These answer redirects, not JSON, and exist only when configured.",
		Responses: map[string]*response{"200": jsonResponse("the sign-in methods", object(map[string]*jsonSchema{
			"issuer":      {Type: "string", Description: "the OpenID provider's issuer; absent without one"},
			"cliClientId": {Type: "string", Description: "the public client `teletraan login` signs in with"},
			"scopes":      {Type: "array", Items: str},
			"methods":     {Type: "array", Items: str, Description: "oidc, proxy, token"},
		}, "methods"))},
	})
	add(http.MethodPost, "/auth/token", &operation{
		OperationID: "signInWithToken", Summary: "Open a board session for an API token (the sign-in page's form: token, next)", Tags: []string{"meta"},
		Description: "Only a form posted from this server's own pages (Origin) is accepted. Answers 303 to next, or to /login?why=... when refused.",
		Responses:   map[string]*response{"303": {Description: "signed in (or refused), see Location"}, "403": refResponse("Forbidden")},
	})
	add(http.MethodPost, "/auth/logout", &operation{
		OperationID: "signOut", Summary: "End the board session (needs its CSRF token: X-CSRF-Token or the form's csrf field)", Tags: []string{"meta"},
		Responses: map[string]*response{"303": {Description: "signed out, see Location"}, "403": refResponse("Forbidden")},
	})
	add(http.MethodGet, "/v1/auth/token", &operation{
		OperationID: "whoAmI", Summary: "Describe the caller: a token's name, role and scope, or a person's email, groups and roles", Tags: []string{"meta"},
		Responses: map[string]*response{
			"200": jsonResponse("the caller", object(map[string]*jsonSchema{
				"kind":       {Type: "string", Enum: []string{"token", "person"}},
				"name":       {Type: "string", Description: "what the caller's actions record: a token's name or a person's email"},
				"via":        {Type: "string", Description: "how it authenticated: token, oidc-id-token, proxy, session:oidc, session:token, session:dev"},
				"role":       {Type: "string", Enum: []string{"", schema.RoleAdmin, schema.RoleOperator, schema.RolePublisher, schema.RolePinger, schema.RoleReader}},
				"scope":      {Type: "string", Description: "* for every environment, else the one environment the token may change"},
				"envRoles":   {Type: "object", Description: "a person's role in each environment where it differs from role"},
				"email":      {Type: "string"},
				"groups":     {Type: "array", Items: str},
				"expiresAt":  {Type: "string", Format: "date-time"},
				"canOperate": {Type: "boolean", Description: "may deploy and act on the stages of its scope"},
				"canPublish": {Type: "boolean", Description: "may publish builds"},
				"csrfToken":  {Type: "string", Description: "for a board session: send it back in X-CSRF-Token on every change"},
			}, "kind", "name", "via", "role", "scope", "canOperate", "canPublish")),
			"401": refResponse("Unauthorized"),
		},
	})
	add(http.MethodGet, "/v1/envs", &operation{
		OperationID: "listStages", Summary: "List stages, optionally of one environment", Tags: []string{"stages"},
		Parameters: []parameter{queryParam("env", "only stages of this environment", str)},
		Responses:  map[string]*response{"200": jsonResponse("stages ordered by environment and name", ref("StageList"))},
	})
	add(http.MethodPost, "/v1/envs", &operation{
		OperationID: "createStage", Summary: "Create a stage", Tags: []string{"stages"},
		RequestBody: jsonBody(ref("CreateStageRequest")),
		Responses: map[string]*response{
			"201": created("the new stage", "Stage"),
			"409": refResponse("Conflict"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}", &operation{
		OperationID: "listEnvStages", Summary: "List the stages of an environment", Tags: []string{"stages"},
		Parameters: []parameter{envParam},
		Responses: map[string]*response{
			"200": jsonResponse("the environment's stages", ref("StageList")),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}", &operation{
		OperationID: "getStage", Summary: "Get a stage", Tags: []string{"stages"},
		Parameters: []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("the stage", stageRef),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodPut, "/v1/envs/{env}/{stage}", &operation{
		OperationID: "updateStage", Summary: "Change a stage's config (merge)", Tags: []string{"stages"},
		Description: "Fields present replace the current value; a present map replaces the whole map; fields left out keep their value.",
		Parameters:  []parameter{envParam, stageParam},
		RequestBody: jsonBody(ref("UpdateStageRequest")),
		Responses: map[string]*response{
			"200": jsonResponse("the updated stage", stageRef),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodDelete, "/v1/envs/{env}/{stage}", &operation{
		OperationID: "deleteStage", Summary: "Delete a stage", Tags: []string{"stages"},
		Description: "Needs an ADMIN token. Removes the stage and its capacity and records the deletion, with the last config, in the audit trail; " +
			"the stage's deploys stay readable at /v1/deploys/{id}. Refused (409) while the stage's current deploy has not ended or a deploy is queued: abort it first. " +
			"Hosts keep the build they run; a host that pings again is no longer a member.",
		Parameters: []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("the stage as it was when deleted", stageRef),
			"403": refResponse("Forbidden"),
			"404": refResponse("NotFound"),
			"409": refResponse("Conflict"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/history", &operation{
		OperationID: "stageHistory", Summary: "List a stage's config and capacity changes, newest first", Tags: []string{"stages"},
		Parameters: []parameter{envParam, stageParam, limit},
		Responses: map[string]*response{
			"200": jsonResponse("the changes", ref("ConfigHistory")),
			"400": refResponse("BadRequest"),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/capacity", &operation{
		OperationID: "getCapacity", Summary: "Get the hosts and groups a stage deploys to", Tags: []string{"capacity"},
		Parameters: []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("the capacity", capacityRef),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodPut, "/v1/envs/{env}/{stage}/capacity", &operation{
		OperationID: "setCapacity", Summary: "Replace the hosts and groups a stage deploys to", Tags: []string{"capacity"},
		Description: "The body is the whole capacity: a list left out is emptied. A host or group belongs to at most one stage of an environment.",
		Parameters:  []parameter{envParam, stageParam},
		RequestBody: jsonBody(capacityRef),
		Responses: map[string]*response{
			"200": jsonResponse("the stored capacity, sorted and de-duplicated", capacityRef),
			"404": refResponse("NotFound"),
			"409": refResponse("Conflict"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/hosts", &operation{
		OperationID: "listHosts", Summary: "List a stage's hosts with their deploy status", Tags: []string{"capacity"},
		Parameters: []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("hosts sorted by name", ref("HostList")),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/alarms", &operation{
		OperationID: "stageAlarms", Summary: "Ask the stage's alarms whether they fire now", Tags: []string{"stages"},
		Description: "Each alarm URL is asked the way a deploy asks it before every wave. Answers are cached for 15 s per server so that watching the board does not load the alarm endpoints.",
		Parameters:  []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("every alarm's status, in the stage's order", ref("AlarmStatuses")),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/deploys", &operation{
		OperationID: "listDeploys", Summary: "List a stage's deploys, newest first", Tags: []string{"deploys"},
		Parameters: []parameter{envParam, stageParam, limit, offset,
			queryParam("type", "only deploys of this type", &jsonSchema{Type: "string", Enum: []string{core.TypeRegular, core.TypeHotfix, core.TypeRollback, core.TypeRestart}}),
			queryParam("state", "only deploys in this state", &jsonSchema{Type: "string", Enum: []string{core.StateRunning, core.StateFailing, core.StateSucceeding, core.StateSucceeded, core.StateAborted}})},
		Responses: map[string]*response{
			"200": jsonResponse("the deploys", ref("DeployList")),
			"400": refResponse("BadRequest"),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodPost, "/v1/envs/{env}/{stage}/deploys", &operation{
		OperationID: "startDeploy", Summary: "Deploy a build to a stage", Tags: []string{"deploys"},
		Parameters:  []parameter{envParam, stageParam},
		RequestBody: jsonBody(ref("StartDeployRequest")),
		Responses: map[string]*response{
			"201": created("the deploy, started as a workflow", "DeployView"),
			"202": jsonResponse("queue only: the deploy is queued behind a running HOTFIX or ROLLBACK; no deploy row exists until it starts, so GET /v1/deploys/{deployId} answers 404 until then", ref("QueuedDeploy")),
			"404": refResponse("NotFound"),
			"409": refResponse("Conflict"),
			"503": refResponse("Unavailable"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/queue", &operation{
		OperationID: "getQueue", Summary: "Get a stage's queued deploy", Tags: []string{"deploys"},
		Description: "the deploy queued with queue: true, waiting for a HOTFIX or ROLLBACK deploy; a stage queues at most one",
		Parameters:  []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("the queued deploy", ref("QueuedDeploy")),
			"404": refResponse("NotFound"),
			"503": refResponse("Unavailable"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/deploys/current", &operation{
		OperationID: "currentDeploy", Summary: "Get a stage's current deploy", Tags: []string{"deploys"},
		Parameters: []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("the current deploy and its build", ref("DeployView")),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodPost, "/v1/envs/{env}/{stage}/actions/{action}", &operation{
		OperationID: "stageAction", Summary: "Pause, resume, abort, roll back, hotfix, restart or promote a stage's deploy", Tags: []string{"deploys"},
		Description: "pause: the current deploy admits no new hosts (hosts already deploying finish) until resumed. " +
			"resume: a paused deploy continues. abort: the current deploy ends ABORTED, \"aborted by <operator>\". " +
			"rollback: a ROLLBACK deploy of the build of toDeployId, or of the newest SUCCEEDED deploy of another build; it rolls twice as wide as the stage's window, and hosts still holding that build skip the download. " +
			"hotfix: a HOTFIX deploy of buildId that replaces the running deploy; REGULAR deploys are refused while it runs unless they send force. " +
			"restart: a RESTART deploy of the current build (agents restart the service; the download is a no-op). " +
			"promote: a REGULAR deploy of this stage's current build on toStage of the same environment; refused (409) unless the deploy here SUCCEEDED (or is SUCCEEDING) and its acceptance was not rejected, or allowUnsucceeded is sent. " +
			"pause, resume and abort answer 200 with the deploy; rollback, hotfix, restart and promote answer 201 with the new deploy (promote: 202 when queued on the target). " +
			"409 carries the stage workflow's reason, such as nothing to pause or a HOTFIX running.",
		Parameters: []parameter{envParam, stageParam, {Name: "action", In: "path", Required: true, Description: "the action",
			Schema: &jsonSchema{Type: "string", Enum: append([]string(nil), stageActions...)}}},
		RequestBody: &requestBody{Required: false, Content: map[string]mediaType{"application/json": {Schema: ref("StageActionRequest")}}},
		Responses: map[string]*response{
			"200": jsonResponse("pause, resume, abort: the deploy acted on", ref("DeployView")),
			"201": created("rollback, hotfix, restart, promote: the new deploy, started as a workflow", "DeployView"),
			"202": jsonResponse("promote with queue only: the deploy is queued on the target stage behind a running HOTFIX or ROLLBACK", ref("QueuedDeploy")),
			"404": refResponse("NotFound"),
			"409": refResponse("Conflict"),
			"503": refResponse("Unavailable"),
		},
	})
	add(http.MethodPost, "/v1/envs/{env}/{stage}/hosts/{host}/actions/{action}", &operation{
		OperationID: "hostAction", Summary: "Retry, exclude, pause, resume or stop one host of a stage", Tags: []string{"capacity"},
		Description: "retry: the host starts the stage's current deploy over from PRE_DOWNLOAD (agent state RESET). " +
			"exclude (Teletraan's \"pause host\"): deploys skip the host and count it only in their total; it keeps its build (PAUSED_BY_USER). " +
			"pause: the host takes no further step, but the deploy keeps counting it as in flight and waits for it, so it turns stuck after the stuck timeout (PAUSED_IN_DEPLOY). " +
			"resume: an excluded or paused host takes part again (NORMAL). " +
			"409 when the host never pinged, or the action does not apply to its state (a host's actions lists the ones that do).",
		Parameters: []parameter{envParam, stageParam, pathParam("host", "host name or id"), {Name: "action", In: "path", Required: true, Description: "the action",
			Schema: &jsonSchema{Type: "string", Enum: []string{"retry", "exclude", "pause", "resume", "stop"}}}},
		RequestBody: &requestBody{Required: false, Content: map[string]mediaType{"application/json": {Schema: ref("HostActionRequest")}}},
		Responses: map[string]*response{
			"200": jsonResponse("the host after the action", hostRef),
			"404": refResponse("NotFound"),
			"409": refResponse("Conflict"),
		},
	})
	add(http.MethodGet, "/v1/deploys/{id}", &operation{
		OperationID: "getDeploy", Summary: "Get a deploy", Tags: []string{"deploys"},
		Parameters: []parameter{pathParam("id", "deploy id")},
		Responses: map[string]*response{
			"200": jsonResponse("the deploy and its build", ref("DeployView")),
			"404": refResponse("NotFound"),
		},
	})

	verdict := object(map[string]*jsonSchema{
		"status": {Type: "string", Enum: []string{core.AcceptanceAccepted, core.AcceptanceRejected}},
		"reason": {Type: "string", Description: "why; at most 1024 characters, kept with the verdict"},
	}, "status")
	verdict.AdditionalProperties = false
	comps["AcceptanceVerdictRequest"] = verdict
	add(http.MethodPut, "/v1/deploys/{id}/acceptance", &operation{
		OperationID: "giveAcceptance", Summary: "Accept or reject a deploy whose stage's acceptance waits for an external verdict", Tags: []string{"deploys"},
		Description: "Teletraan's MANUAL acceptance: the deploy's qualification (acceptance.external in the stage's config) waits for this until its deadline; no verdict by then rejects the deploy. " +
			"Needs an OPERATOR or ADMIN token of the deploy's environment. 409 when the deploy is not PENDING_ACCEPT, its stage takes no external verdict, or a verdict was given already. " +
			"The stage workflow records the verdict a moment later: a REJECTED deploy counts as failed for the stage's onFailure (WAIT, or ROLLBACK).",
		Parameters:  []parameter{pathParam("id", "deploy id")},
		RequestBody: jsonBody(ref("AcceptanceVerdictRequest")),
		Responses: map[string]*response{
			"200": jsonResponse("the deploy as it stands when the verdict was handed over", ref("DeployView")),
			"404": refResponse("NotFound"),
			"409": refResponse("Conflict"),
			"503": refResponse("Unavailable"),
		},
	})

	add(http.MethodGet, "/v1/deploys/{id}/hosts", &operation{
		OperationID: "getDeployHosts", Summary: "List a deploy's hosts by wave, with how each ended", Tags: []string{"deploys"},
		Description: "Every host the deploy admitted, grouped by the wave that admitted it, with its outcome: SUCCEEDED, FAILED (with the host's error text), STUCK, or \"\" while in flight. " +
			"Outcomes are recorded while the deploy waits for hosts, so a host that changes after the deploy ended keeps the outcome it had then.",
		Parameters: []parameter{pathParam("id", "deploy id")},
		Responses: map[string]*response{
			"200": jsonResponse("the deploy's waves, in order; each wave's hosts by name", ref("DeployHosts")),
			"404": refResponse("NotFound"),
		},
	})

	add(http.MethodGet, "/v1/envs/{env}/{stage}/rollback-target", &operation{
		OperationID: "rollbackTarget", Summary: "Say which deploy and build a rollback that names none would return to", Tags: []string{"deploys"},
		Description: "The newest deploy of another build than the current one's that SUCCEEDED (and was ACCEPTED where the stage has acceptance), of a build not tagged bad, and not rolled back away from. The CLI and the board name it before acting.",
		Parameters:  []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("the target", ref("RollbackTarget")),
			"404": refResponse("NotFound"),
			"409": refResponse("Conflict"),
		},
	})
	add(http.MethodPost, "/v1/envs/{env}/{stage}/alerts", &operation{
		OperationID: "postAlerts", Summary: "Post alerts (Alertmanager's webhook payload, or {name, status, summary, startsAt}) to a stage", Tags: []string{"stages"},
		Description: "Needs an ALERTER token (or OPERATOR, ADMIN), or the stage's alarmPolicy.alertSecret in X-Teletraan-Alert-Secret or ?secret=. Every alert is recorded. The first firing alert whose startsAt is within alarmPolicy.alertMaxAgeSeconds acts on the current deploy by alarmPolicy.onFiring, or by ?actions= (rollback, pause, fail); ROLLBACK deploys are not held unless holdRollbacks. Resolved and stale alerts do nothing. ?actions=markbadbuild tags the current build bad.",
		Parameters: []parameter{envParam, stageParam,
			queryParam("actions", "space- or comma-separated: rollback, pause, fail, markbadbuild", &jsonSchema{Type: "string"}),
			queryParam("secret", "the stage's alert secret, for senders without a token", &jsonSchema{Type: "string"})},
		RequestBody: &requestBody{Required: true, Content: map[string]mediaType{"application/json": {Schema: &jsonSchema{Type: "object"}}}},
		Responses: map[string]*response{
			"200": jsonResponse("what was done with each alert", ref("AlertsAnswer")),
			"400": refResponse("BadRequest"),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodGet, "/v1/envs/{env}/{stage}/alerts", &operation{
		OperationID: "listAlerts", Summary: "List the latest 100 alerts a stage received, newest first", Tags: []string{"stages"},
		Parameters: []parameter{envParam, stageParam},
		Responses: map[string]*response{
			"200": jsonResponse("the alerts", ref("AlertList")),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodPost, "/v1/envs/{env}/{stage}/stop", &operation{
		OperationID: "stopStage", Summary: "Stop the service on every host of a stage that deployed there (before its machines are terminated)", Tags: []string{"hosts"},
		Description: "Each host that deployed in the stage is set to STOP, as the per-host stop action does: its agent runs the build's STOPPING script once and rests at STOPPED, and deploys count it as held. " +
			"Hosts that never deployed there, left the stage or are stopped already are listed as skipped with why. resume brings a host back.",
		Parameters:  []parameter{envParam, stageParam},
		RequestBody: &requestBody{Required: false, Content: map[string]mediaType{"application/json": {Schema: ref("StageActionRequest")}}},
		Responses: map[string]*response{
			"200": jsonResponse("the hosts stopped and those skipped", &jsonSchema{Type: "object", Properties: map[string]*jsonSchema{
				"stopped": arrayOf(&jsonSchema{Type: "string"}),
				"skipped": {Type: "object", Description: "host name → why it was not stopped"}}}),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodPost, "/v1/hosts/{host}/actions/reset-identity", &operation{
		OperationID: "resetHostIdentity", Summary: "Unbind a host from its credential and token, so that a re-imaged machine can enroll again", Tags: []string{"hosts"},
		Description: "A host is bound to the first token that pings as it and, with this module's agent, to a credential only its agent holds; " +
			"pings for it that do not present that credential are refused. Resetting clears both for every host id with that name (or that id): its next ping claims it. ADMIN only.",
		Parameters: []parameter{pathParam("host", "host name or id")},
		Responses: map[string]*response{
			"200": jsonResponse("how many host ids were reset", &jsonSchema{Type: "object", Properties: map[string]*jsonSchema{
				"host": {Type: "string"}, "reset": {Type: "integer"}}}),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodGet, "/v1/audit", &operation{
		OperationID: "listAudit", Summary: "Read the audit trail, newest first", Tags: []string{"audit"},
		Description: "Every call that asked to change something, refused or not (agents' pings aside): who (the token's name and role), " +
			"from where, what (method, route, path, environment, stage) and the answer (status, error code). Append-only. " +
			"Needs an OPERATOR or ADMIN token; a token scoped to one environment must filter by it.",
		Parameters: []parameter{
			queryParam("env", "only calls on this environment", str),
			queryParam("stage", "only calls on this stage (with env)", str),
			queryParam("actor", "only calls by this token", str),
			queryParam("since", "only calls at or after this time (RFC 3339)", str),
			queryParam("until", "only calls before this time (RFC 3339)", str),
			limit, offset,
		},
		Responses: map[string]*response{
			"200": jsonResponse("the entries, newest first", ref("AuditList")),
			"400": refResponse("BadRequest"),
		},
	})

	add(http.MethodPost, "/v1/builds", &operation{
		OperationID: "publishBuild", Summary: "Publish a build", Tags: []string{"builds"},
		RequestBody: jsonBody(ref("PublishBuildRequest")),
		Responses:   map[string]*response{"201": created("the published build", "Build")},
	})
	add(http.MethodGet, "/v1/builds", &operation{
		OperationID: "listBuilds", Summary: "List builds, newest first", Tags: []string{"builds"},
		Parameters: []parameter{
			queryParam("name", "only builds of this name", str),
			queryParam("branch", "only builds of this branch", str),
			queryParam("commit", "only builds whose commit starts with this (at least 4 hex digits)", str),
			limit, offset,
		},
		Responses: map[string]*response{
			"200": jsonResponse("the builds", ref("BuildList")),
			"400": refResponse("BadRequest"),
		},
	})
	add(http.MethodGet, "/v1/builds/{id}", &operation{
		OperationID: "getBuild", Summary: "Get a build", Tags: []string{"builds"},
		Parameters: []parameter{pathParam("id", "build id")},
		Responses: map[string]*response{
			"200": jsonResponse("the build", buildRef),
			"404": refResponse("NotFound"),
		},
	})
	tagRef := m.ref(BuildTag{})
	comps["BuildTagList"] = object(map[string]*jsonSchema{
		"effective": m.ref(EffectiveBuildTag{}),
		"tags":      arrayOf(tagRef),
	}, "tags")
	tagBody := object(map[string]*jsonSchema{
		"value":   {Type: "string", Enum: core.TagValues(), Description: "BAD stops the build and later builds of its branch (until a GOOD or CERTIFIED one) from being promoted, rolled back to, or deployed by hand without force"},
		"comment": {Type: "string", Description: "why; at most 1024 characters"},
	}, "value")
	tagBody.AdditionalProperties = false
	comps["TagBuildRequest"] = tagBody
	add(http.MethodPost, "/v1/builds/{id}/tags", &operation{
		OperationID: "tagBuild", Summary: "Tag a build BAD, GOOD or CERTIFIED", Tags: []string{"builds"},
		Description: "Tags are append-only; the newest tag on a build replaces an older one's effect. A BAD tag applies to later builds of the same name, repo and branch until a build tagged GOOD or CERTIFIED. " +
			"Needs OPERATOR; a token scoped to one environment may tag only builds that a stage of its environment deploys.",
		Parameters:  []parameter{pathParam("id", "build id")},
		RequestBody: jsonBody(ref("TagBuildRequest")),
		Responses: map[string]*response{
			"201": created("the tag", "BuildTag"),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodGet, "/v1/builds/{id}/tags", &operation{
		OperationID: "listBuildTags", Summary: "List a build's tags and the one that speaks for it", Tags: []string{"builds"},
		Parameters: []parameter{pathParam("id", "build id")},
		Responses: map[string]*response{
			"200": jsonResponse("the tags put on the build, newest first, and the effective one", ref("BuildTagList")),
			"404": refResponse("NotFound"),
		},
	})
	add(http.MethodPost, "/v1/system/ping", pingOperation())
	return doc
}

func object(props map[string]*jsonSchema, required ...string) *jsonSchema {
	return &jsonSchema{Type: "object", Properties: props, Required: required}
}

func arrayOf(items *jsonSchema) *jsonSchema { return &jsonSchema{Type: "array", Items: items} }

func ref(name string) *jsonSchema { return &jsonSchema{Ref: "#/components/schemas/" + name} }

func intPtr(n int) *int { return &n }

func pathParam(name, desc string) parameter {
	return parameter{Name: name, In: "path", Description: desc, Required: true, Schema: &jsonSchema{Type: "string"}}
}

func queryParam(name, desc string, s *jsonSchema) parameter {
	return parameter{Name: name, In: "query", Description: desc, Schema: s}
}

func jsonBody(s *jsonSchema) *requestBody {
	return &requestBody{Required: true, Content: map[string]mediaType{"application/json": {Schema: s}}}
}

func jsonResponse(desc string, s *jsonSchema) *response {
	return &response{Description: desc, Content: map[string]mediaType{"application/json": {Schema: s}}}
}

func refResponse(name string) *response { return &response{Ref: "#/components/responses/" + name} }

func errorResponseDoc(desc string) *response { return jsonResponse(desc, ref("Error")) }

// openAPIParam is a path parameter as the OpenAPI document writes it: {name}.
var openAPIParam = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

// ginPath is an OpenAPI path as gin writes the route: {env} becomes :env, so that the
// document and the access rules name routes alike.
func ginPath(path string) string {
	return openAPIParam.ReplaceAllString(path, ":$1")
}
