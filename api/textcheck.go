package api

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// checkBodyText applies core.CheckText to every string a decoded request body holds,
// map keys and list items included, naming each by its JSON path (such as
// "scriptVariables.PORT" or "alarms[1].url"), so that no handler can forget a field.
func checkBodyText(v any) error {
	return checkValueText("", reflect.ValueOf(v))
}

func checkValueText(path string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkValueText(path, v.Elem())
	case reflect.String:
		return core.CheckText(path, v.String())
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := jsonName(f)
			if name == "-" {
				continue
			}
			child := path
			if !f.Anonymous || f.Tag.Get("json") != "" {
				child = joinPath(path, name)
			}
			if err := checkValueText(child, v.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw JSON or bytes: not text we keep as such
		}
		for i := range v.Len() {
			if err := checkValueText(fmt.Sprintf("%s[%d]", path, i), v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			if k.Kind() == reflect.String {
				if err := core.CheckText(joinPath(path, "(key)"), k.String()); err != nil {
					return err
				}
			}
			if err := checkValueText(joinPath(path, fmt.Sprint(k)), v.MapIndex(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonName is the name encoding/json gives a struct field.
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "-"
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

func joinPath(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}
