package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/teletraan-on-temporal/teletraan/agent/protocol"
)

// responseTypes are the bodies the handlers answer with, keyed by the OpenAPI component
// that documents them. Extend it with every new response shape.
var responseTypes = map[string]any{
	"Stage":             Stage{},
	"StageConfig":       StageConfig{},
	"Alarm":             Alarm{},
	"Capacity":          Capacity{},
	"Build":             Build{},
	"Deploy":            Deploy{},
	"StageHost":         StageHost{},
	"Agent":             Agent{},
	"AgentError":        AgentError{},
	"ConfigChange":      ConfigChange{},
	"StageList":         stageList{},
	"ConfigHistory":     historyList{},
	"HostList":          hostList{},
	"BuildList":         buildList{},
	"BuildTag":          BuildTag{},
	"BuildTagList":      buildTagList{},
	"EffectiveBuildTag": EffectiveBuildTag{},
	"DeployList":        deployList{},
	"DeployView":        deployView{},
	"QueuedDeploy":      QueuedDeploy{},
	"DeployHosts":       deployHostsView{},
	"DeployWave":        waveView{},
	"DeployHost":        deployHostView{},
	"AlarmStatuses":     alarmsView{},
	"AlarmCheck":        AlarmCheck{},
	"WebhookDelivery":   WebhookDelivery{},
	"AlarmPolicy":       AlarmPolicy{},
	"Webhook":           Webhook{},
	"RollbackTarget":    rollbackTargetView{},
	"AlertsAnswer":      alertsAnswer{},
	"Health":            healthResponse{},
	"Error":             errorResponse{},
}

// requestTypes are the bodies the handlers decode.
var requestTypes = []any{
	stageBody{}, publishBuildBody{}, startDeployBody{}, Capacity{},
	actionBody{}, rollbackBody{}, hotfixBody{}, promoteBody{}, tagBody{}, acceptanceBody{},
}

// wireFields pins the JSON field names of the API's resources, "?" marking those left out
// when empty. They are written out, not derived, so that the test fails on any change to
// the wire, whichever side it comes from.
var wireFields = map[string][]string{
	"Stage": {"id", "envName", "stageName", "currentDeployId", "lastOperator", "createdAt", "updatedAt",
		"description", "buildName", "branch", "maxParallel", "maxParallelPct", "successThreshold",
		"stuckTimeoutSeconds", "bakeTimeSeconds", "scriptVariables", "secretVariables", "agentConfigs", "onFailure", "alarms", "stageType", "alarmPolicy", "webhooks", "acceptance?"},
	"StageConfig": {"description", "buildName", "branch", "maxParallel", "maxParallelPct", "successThreshold",
		"stuckTimeoutSeconds", "bakeTimeSeconds", "scriptVariables", "secretVariables", "agentConfigs", "onFailure", "alarms", "stageType", "alarmPolicy", "webhooks", "acceptance?"},
	"Alarm":    {"name", "kind", "url?", "query?", "op?", "threshold?"},
	"Capacity": {"hosts", "groups"},
	"Build": {"id", "name", "artifactUrl", "checksum", "repo", "branch", "commit", "commitShort", "commitInfo",
		"commitDate?", "publishInfo", "publisher", "publishedAt", "bad", "tag?"},
	"BuildTag":          {"id", "buildId", "value", "comment", "operator", "createdAt"},
	"EffectiveBuildTag": {"id", "buildId", "value", "comment", "operator", "createdAt", "inherited"},
	"Deploy": {"id", "stageId", "envName", "stageName", "buildId", "fromBuildId", "fromDeployId", "aliasDeployId",
		"type", "state", "stateReason", "acceptanceStatus", "operator", "description", "workflowId", "total",
		"succeeded", "failed", "inFlight", "remaining", "paused", "createdAt", "updatedAt", "succeededAt?", "endedAt?", "bakingUntil?", "failureReason?", "acceptance"},
	"StageHost": {"hostName", "hostId?", "ip?", "groups", "lastPingAt?", "memberBy", "phase", "actions", "agent?", "lastError?"},
	"Agent": {"hostId", "stageId", "hostName", "deployId", "deployStage", "status", "state", "failCount",
		"errorCode", "firstDeploy", "startedAt", "stageStartedAt", "updatedAt"},
	"AgentError":   {"hostId", "stageId", "hostName", "errorMessage", "updatedAt", "stale"},
	"ConfigChange": {"id", "stageId", "type", "operator", "createdAt", "before", "after"},
}

// TestAPITypesAreNotStoreModels keeps the store's models off the wire: no request or
// response type is, embeds or holds a type of package schema or bun, so that no change
// there can change the API.
func TestAPITypesAreNotStoreModels(t *testing.T) {
	all := slices.Clone(requestTypes)
	for _, v := range responseTypes {
		all = append(all, v)
	}
	all = append(all, tokenView{}, protocol.PingRequest{}, protocol.PingResponse{})
	for _, v := range all {
		seen := map[reflect.Type]bool{}
		var walk func(typ reflect.Type, path string)
		walk = func(typ reflect.Type, path string) {
			if seen[typ] {
				return
			}
			seen[typ] = true
			if p := typ.PkgPath(); strings.HasSuffix(p, "/teletraan/schema") || strings.HasPrefix(p, "github.com/uptrace/bun") {
				t.Errorf("%s is %s, a store type", path, typ)
				return
			}
			switch typ.Kind() {
			case reflect.Pointer:
				walk(typ.Elem(), path)
			case reflect.Slice, reflect.Array:
				walk(typ.Elem(), path+"[]")
			case reflect.Map:
				walk(typ.Key(), path+"{key}")
				walk(typ.Elem(), path+"{}")
			case reflect.Struct:
				for i := range typ.NumField() {
					f := typ.Field(i)
					walk(f.Type, path+"."+f.Name)
				}
			}
		}
		typ := reflect.TypeOf(v)
		walk(typ, typ.Name())
	}
}

// TestAPITypesMatchOpenAPI checks that every response type marshals exactly the fields its
// component lists, required where the type never omits them, with nested objects pointing
// at the component of their type; and that the resources keep their pinned wire names.
func TestAPITypesMatchOpenAPI(t *testing.T) {
	comps := buildOpenAPI().Components.Schemas
	componentOf := map[reflect.Type]string{}
	for name, v := range responseTypes {
		componentOf[reflect.TypeOf(v)] = name
	}
	for name, v := range responseTypes {
		sc, ok := comps[name]
		if !ok {
			t.Errorf("components/schemas lacks %s", name)
			continue
		}
		props, required := flatten(t, comps, sc)
		full, zero := marshalledKeys(t, v)
		if got, want := sortedKeys(props), full; !slices.Equal(got, want) {
			t.Errorf("%s: the document lists %v; the type marshals %v", name, got, want)
		}
		if got := sorted(required); !slices.Equal(got, zero) {
			t.Errorf("%s: the document requires %v; the type always marshals %v", name, got, zero)
		}
		if pinned, ok := wireFields[name]; ok {
			var all, always []string
			for _, f := range pinned {
				field, optional := strings.CutSuffix(f, "?")
				all = append(all, field)
				if !optional {
					always = append(always, field)
				}
			}
			if !slices.Equal(sorted(all), full) || !slices.Equal(sorted(always), zero) {
				t.Errorf("%s: the wire changed: want fields %v, always %v; the type marshals %v, always %v", name, sorted(all), sorted(always), full, zero)
			}
		}
		for field, ft := range jsonFields(reflect.TypeOf(v)) {
			inner := elemType(ft)
			want, isComp := componentOf[inner]
			if !isComp || props[field] == nil {
				continue
			}
			if got := refName(props[field]); got != want {
				t.Errorf("%s.%s: the document points at %q; the type holds %s", name, field, got, want)
			}
		}
	}
	if missing := diff(sortedKeys(wireFields), sortedKeys(responseTypes)); len(missing) > 0 {
		t.Errorf("wireFields pins %v, which are not response types", missing)
	}
}

// TestRequestTypesMatchOpenAPI checks that the document describes exactly the fields each
// request decodes; stage bodies also decode the server-maintained fields, only to refuse
// them by name.
func TestRequestTypesMatchOpenAPI(t *testing.T) {
	comps := buildOpenAPI().Components.Schemas
	refused := []string{"id", "currentDeployId", "lastOperator", "createdAt", "updatedAt"}
	stageFields := sortedKeys(jsonFields(reflect.TypeFor[stageBody]()))
	actionFields := map[string]reflect.Type{}
	for _, v := range []any{actionBody{}, rollbackBody{}, hotfixBody{}, promoteBody{}} {
		for k, ft := range jsonFields(reflect.TypeOf(v)) {
			actionFields[k] = ft
		}
	}
	for _, c := range []struct {
		component string
		fields    []string
	}{
		{"CreateStageRequest", diff(stageFields, refused)},
		{"UpdateStageRequest", diff(stageFields, append([]string{"envName", "stageName"}, refused...))},
		{"PublishBuildRequest", sortedKeys(jsonFields(reflect.TypeFor[publishBuildBody]()))},
		{"StartDeployRequest", sortedKeys(jsonFields(reflect.TypeFor[startDeployBody]()))},
		{"StageActionRequest", sortedKeys(actionFields)},
		{"HostActionRequest", sortedKeys(jsonFields(reflect.TypeFor[actionBody]()))},
		{"Capacity", sortedKeys(jsonFields(reflect.TypeFor[Capacity]()))},
	} {
		props, _ := flatten(t, comps, comps[c.component])
		if got := sortedKeys(props); !slices.Equal(got, c.fields) {
			t.Errorf("%s: the document lists %v; the handler decodes %v", c.component, got, c.fields)
		}
	}
}

// flatten merges a component's own properties with those of the components its allOf
// names, as a client reading the document would.
func flatten(t *testing.T, comps map[string]*jsonSchema, sc *jsonSchema) (map[string]*jsonSchema, []string) {
	t.Helper()
	props := map[string]*jsonSchema{}
	var required []string
	var add func(s *jsonSchema)
	add = func(s *jsonSchema) {
		if name := refName(s); name != "" {
			target, ok := comps[name]
			if !ok {
				t.Fatalf("$ref %s does not resolve", s.Ref)
			}
			s = target
		}
		for k, p := range s.Properties {
			props[k] = p
		}
		required = append(required, s.Required...)
		for _, a := range s.AllOf {
			add(a)
		}
	}
	add(sc)
	return props, required
}

// refName is the component a property points at, through arrays and allOf wrappers.
func refName(s *jsonSchema) string {
	for s != nil {
		if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
			return name
		}
		switch {
		case s.Items != nil:
			s = s.Items
		case len(s.AllOf) == 1:
			s = s.AllOf[0]
		default:
			return ""
		}
	}
	return ""
}

// marshalledKeys returns the top-level keys of v marshalled with every field set, and of
// its zero value: what the type can send, and what it always sends.
func marshalledKeys(t *testing.T, v any) (full, zero []string) {
	t.Helper()
	keys := func(x any) []string {
		raw, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return sortedKeys(m)
	}
	filled := reflect.New(reflect.TypeOf(v)).Elem()
	fill(filled)
	return keys(filled.Interface()), keys(v)
}

// fill sets every exported field of v to a non-zero value, so that nothing is omitted.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`{}`))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// jsonFields maps the JSON names of a struct's fields, embedded structs' included, to
// their Go types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			for k, ft := range jsonFields(f.Type) {
				out[k] = ft
			}
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// diff is the sorted elements of a that b lacks.
func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}
