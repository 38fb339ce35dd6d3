package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// promoteField is the "promote" field of a stage request: absent keeps the stage's
// auto-promotion, null removes it, an object sets it (fields left out take defaults).
type promoteField struct {
	PromoteConfig
	// set says the field was present, remove that it was null.
	set, remove bool
}

// UnmarshalJSON reads null as "remove" and an object strictly, as decodeJSON reads the
// whole body: an unknown field is refused by its path.
func (p *promoteField) UnmarshalJSON(b []byte) error {
	p.set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		p.remove = true
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.PromoteConfig); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return core.FieldErrorf("promote."+name, "unknown field; /v1/openapi.json lists the fields of promote")
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return core.FieldErrorf("promote."+typeErr.Field, "must be %s, got %s", jsonTypeName(typeErr.Type), typeErr.Value)
		}
		return core.FieldErrorf("promote", "must be an object of promote settings or null: %v", err)
	}
	return nil
}
