package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// jsonSchema is the subset of the OpenAPI 3.0 Schema Object the document uses.
type jsonSchema struct {
	Ref                  string                 `json:"$ref,omitempty"`
	Type                 string                 `json:"type,omitempty"`
	Format               string                 `json:"format,omitempty"`
	Description          string                 `json:"description,omitempty"`
	Enum                 []string               `json:"enum,omitempty"`
	Minimum              *int                   `json:"minimum,omitempty"`
	Maximum              *int                   `json:"maximum,omitempty"`
	Properties           map[string]*jsonSchema `json:"properties,omitempty"`
	Required             []string               `json:"required,omitempty"`
	Items                *jsonSchema            `json:"items,omitempty"`
	AdditionalProperties any                    `json:"additionalProperties,omitempty"`
	AllOf                []*jsonSchema          `json:"allOf,omitempty"`
}

// modelSchemas derives component schemas from the API's Go types (types.go) by reflection,
// so that the document cannot drift from what the handlers actually marshal; descriptions, which
// reflection cannot see, come from a table keyed "Type.jsonName".
type modelSchemas struct {
	components   map[string]*jsonSchema
	descriptions map[string]string
}

func newModelSchemas(descriptions map[string]string) *modelSchemas {
	return &modelSchemas{components: map[string]*jsonSchema{}, descriptions: descriptions}
}

// ref registers the named struct type v's schema as a component and returns a reference.
func (m *modelSchemas) ref(v any) *jsonSchema {
	return m.schemaFor(reflect.TypeOf(v))
}

func (m *modelSchemas) schemaFor(t reflect.Type) *jsonSchema {
	switch t {
	case reflect.TypeFor[time.Time]():
		return &jsonSchema{Type: "string", Format: "date-time"}
	case reflect.TypeFor[json.RawMessage]():
		return &jsonSchema{Description: "any JSON value"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return m.schemaFor(t.Elem())
	case reflect.String:
		return &jsonSchema{Type: "string"}
	case reflect.Bool:
		return &jsonSchema{Type: "boolean"}
	case reflect.Int64:
		return &jsonSchema{Type: "integer", Format: "int64"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &jsonSchema{Type: "integer"}
	case reflect.Float32, reflect.Float64:
		return &jsonSchema{Type: "number"}
	case reflect.Slice, reflect.Array:
		return &jsonSchema{Type: "array", Items: m.schemaFor(t.Elem())}
	case reflect.Map:
		return &jsonSchema{Type: "object", AdditionalProperties: m.schemaFor(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if _, ok := m.components[name]; !ok {
			// Reserve the name first so that recursive types terminate.
			m.components[name] = &jsonSchema{}
			*m.components[name] = *m.structSchema(t)
		}
		return &jsonSchema{Ref: "#/components/schemas/" + name}
	}
	return &jsonSchema{}
}

// structSchema lists a struct's JSON fields. An embedded struct whose fields JSON promotes
// (Stage's StageConfig) becomes an allOf of its component, which keeps the config's schema
// in one place; embedded structs without JSON fields are skipped.
func (m *modelSchemas) structSchema(t reflect.Type) *jsonSchema {
	own := &jsonSchema{Type: "object", Properties: map[string]*jsonSchema{}}
	var embedded []*jsonSchema
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if hasJSONFields(f.Type) {
				embedded = append(embedded, m.schemaFor(f.Type))
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		prop := m.schemaFor(f.Type)
		if desc := m.descriptions[t.Name()+"."+name]; desc != "" {
			if prop.Ref != "" {
				// OpenAPI 3.0 ignores siblings of $ref; allOf carries the description.
				prop = &jsonSchema{AllOf: []*jsonSchema{prop}}
			}
			prop.Description = desc
		}
		own.Properties[name] = prop
		if !strings.Contains(opts, "omitempty") {
			own.Required = append(own.Required, name)
		}
	}
	if len(embedded) == 0 {
		return own
	}
	return &jsonSchema{AllOf: append(embedded, own)}
}

func hasJSONFields(t reflect.Type) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("json") != "-" {
			return true
		}
	}
	return false
}

// optionalCopy returns the component's properties with none required: the shape of a
// request in which every field may be left out.
func (m *modelSchemas) optionalCopy(name string) map[string]*jsonSchema {
	out := map[string]*jsonSchema{}
	for k, v := range m.components[name].Properties {
		out[k] = v
	}
	return out
}
