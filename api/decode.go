package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/teletraan-on-temporal/teletraan/core"
)

// maxBodyBytes bounds request bodies so that one client cannot make the server buffer
// arbitrary amounts of memory; every legitimate body is far smaller.
const maxBodyBytes = 1 << 20

// decodeJSON reads the request body into dst, which must be a pointer to a struct. It is
// stricter than gin's binding on purpose: unknown fields are refused (a typo must not be
// silently ignored on a deploy system) and every failure names the byte offset or the
// field at fault.
func decodeJSON(c *gin.Context, dst any) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return core.Errorf(codeTooLarge, "request body is larger than the limit of %d bytes (1 MiB)", tooLarge.Limit)
		}
		return core.Errorf(core.EINVALID, "request body could not be read: %v", err)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return core.Errorf(core.EINVALID, "request body is required: send a JSON object")
	}
	if bytes.Equal(trimmed, []byte("null")) {
		// Decoding null into a struct succeeds and changes nothing, which would turn an
		// obviously broken request into a silent no-op.
		return core.Errorf(core.EINVALID, "request body must be a JSON object, got null")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return describeDecodeError(err, len(body), dst)
	}
	end := int(dec.InputOffset())
	if rest := bytes.TrimLeft(body[end:], " \t\r\n"); len(rest) > 0 {
		return core.Errorf(core.EINVALID, "request body must hold a single JSON object; more data follows at byte offset %d", len(body)-len(rest))
	}
	return checkBodyText(dst)
}

// describeDecodeError turns encoding/json's errors into field errors a user can act on.
func describeDecodeError(err error, bodyLen int, dst any) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		invalid   *json.InvalidUnmarshalError
	)
	var fieldErr *core.Error
	switch {
	case errors.As(err, &fieldErr):
		// A field's own decoder (promoteField) already said what is wrong, and where.
		return fieldErr
	case errors.As(err, &syntaxErr):
		// json counts the offending byte as read; report its 0-based position instead, so
		// that body[offset] is the byte at fault.
		return core.Errorf(core.EINVALID, "request body is not valid JSON: %v (at byte offset %d)", syntaxErr, max(syntaxErr.Offset-1, 0))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return core.Errorf(core.EINVALID, "request body is not valid JSON: it ends at byte offset %d before the value is complete", bodyLen)
	case errors.As(err, &typeErr):
		return describeTypeError(typeErr, dst)
	case errors.As(err, &invalid):
		return fmt.Errorf("decode request body: %w", err)
	}
	// encoding/json reports unknown fields only as text; this prefix has been stable since
	// DisallowUnknownFields was added.
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, uerr := strconv.Unquote(quoted)
		if uerr != nil {
			name = quoted
		}
		if name == "" {
			// An empty key would otherwise read ": unknown field" with no field named; its
			// JSON spelling is what the client can search its body for.
			name = `""`
		}
		return &core.Error{Code: core.EINVALID, Field: name,
			Message: fmt.Sprintf("%s: unknown field; /v1/openapi.json lists the fields of each request", name)}
	}
	return core.Errorf(core.EINVALID, "request body could not be decoded: %v", err)
}

func describeTypeError(e *json.UnmarshalTypeError, dst any) error {
	got := strings.Replace(e.Value, "bool", "boolean", 1)
	if e.Field == "" {
		return core.Errorf(core.EINVALID, "request body must be a JSON object, got %s", got)
	}
	// For a map or slice field json reports the element's type, which would make
	// "scriptVariables: must be a string" read as if the whole field had to be one.
	if ft, ok := jsonFieldType(reflect.TypeOf(dst), e.Field); ok && ft != e.Type {
		switch ft.Kind() {
		case reflect.Map:
			return core.FieldErrorf(e.Field, "every value must be %s, got %s", jsonTypeName(e.Type), got)
		case reflect.Slice, reflect.Array:
			return core.FieldErrorf(e.Field, "every element must be %s, got %s", jsonTypeName(e.Type), got)
		}
	}
	return core.FieldErrorf(e.Field, "must be %s, got %s", jsonTypeName(e.Type), got)
}

// jsonFieldType returns the Go type of the struct field that JSON name maps to.
func jsonFieldType(t reflect.Type, name string) (reflect.Type, bool) {
	t = derefType(t)
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return derefType(f.Type), true
		}
	}
	return nil, false
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonTypeName names a Go type the way a JSON author thinks of it.
func jsonTypeName(t reflect.Type) string {
	switch derefType(t).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a number (an integer)"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a " + t.String()
}
