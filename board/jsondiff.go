package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// jsonChangeKind says how a field differs between two JSON snapshots.
type jsonChangeKind string

// The kinds of jsonChange.
const (
	jsonAdded   jsonChangeKind = "added"
	jsonRemoved jsonChangeKind = "removed"
	jsonChanged jsonChangeKind = "changed"
)

// jsonChange is one difference between two JSON snapshots: a field or a map entry that was
// added, removed or changed, or (Item) one item added to or removed from a list.
type jsonChange struct {
	// Path is the field and, inside nested objects, the keys down to the value.
	Path []string
	Kind jsonChangeKind
	// Item marks a list item: Path names the list, Before or After holds the item.
	Item bool
	// Before and After are compact JSON; empty when the value is absent on that side.
	Before, After string
}

// Field is the change's path as people read it: scriptVariables[FOO].
func (c jsonChange) Field() string { return jsonPath(c.Path) }

// jsonPath writes a path as its first segment followed by [key] per nested key, so that a
// key holding dots (RESTARTING.process_timeout) stays one key.
func jsonPath(path []string) string {
	if len(path) == 0 {
		return "(whole document)"
	}
	var b strings.Builder
	b.WriteString(path[0])
	for _, k := range path[1:] {
		b.WriteString("[" + k + "]")
	}
	return b.String()
}

// decodeSnapshot reads one JSON snapshot; empty input and null both mean "no document"
// (the before of a creation) and come back as nil.
func decodeSnapshot(raw []byte) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// Numbers stay as written, so that large ids and 1 vs 1.0 are not blurred by float64.
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON snapshot: %w", err)
	}
	return v, nil
}

// compactJSON renders a decoded value back as JSON with sorted keys: the canonical form
// that equality and display both use.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Snapshots hold URLs and scripts' values; <, > and & must stay readable here, and the
	// templates escape them on output.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only values decoded from JSON reach here, and those always encode.
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// diffJSON lists the field-level differences from before to after: keys added, removed or
// changed, nested objects (script variables) per key, lists (alarms, hosts) as items added
// or removed. An empty or null side is no document, so a creation lists every field as
// added. Changes come sorted by path.
func diffJSON(before, after []byte) ([]jsonChange, error) {
	b, err := decodeSnapshot(before)
	if err != nil {
		return nil, fmt.Errorf("before: %w", err)
	}
	a, err := decodeSnapshot(after)
	if err != nil {
		return nil, fmt.Errorf("after: %w", err)
	}
	var out []jsonChange
	bm, bIsObj := b.(map[string]any)
	am, aIsObj := a.(map[string]any)
	switch {
	case b == nil && a == nil:
	case b == nil && aIsObj:
		diffObjects(nil, map[string]any{}, am, &out)
	case a == nil && bIsObj:
		diffObjects(nil, bm, map[string]any{}, &out)
	default:
		diffValues(nil, b, a, &out)
	}
	return out, nil
}

// diffObjects compares two objects key by key, in key order.
func diffObjects(path []string, before, after map[string]any, out *[]jsonChange) {
	for _, k := range unionKeys(before, after) {
		bv, inB := before[k]
		av, inA := after[k]
		p := appendPath(path, k)
		switch {
		case !inB:
			*out = append(*out, jsonChange{Path: p, Kind: jsonAdded, After: compactJSON(av)})
		case !inA:
			*out = append(*out, jsonChange{Path: p, Kind: jsonRemoved, Before: compactJSON(bv)})
		default:
			diffValues(p, bv, av, out)
		}
	}
}

// diffValues compares two present values: objects recurse, lists compare as lists, and
// anything else (including a change of type) is one change of the whole value.
func diffValues(path []string, before, after any, out *[]jsonChange) {
	bm, bIsObj := before.(map[string]any)
	am, aIsObj := after.(map[string]any)
	if bIsObj && aIsObj {
		diffObjects(path, bm, am, out)
		return
	}
	bl, bIsList := before.([]any)
	al, aIsList := after.([]any)
	if bIsList && aIsList {
		diffLists(path, bl, al, out)
		return
	}
	if bs, as := compactJSON(before), compactJSON(after); bs != as {
		*out = append(*out, jsonChange{Path: path, Kind: jsonChanged, Before: bs, After: as})
	}
}

// diffLists treats lists as multisets of items: each item of after without a match in
// before is added, each unmatched item of before removed. Lists holding the same items in
// another order are one change of the whole list, since the order may matter to a reader.
func diffLists(path []string, before, after []any, out *[]jsonChange) {
	left := map[string]int{}
	for _, v := range before {
		left[compactJSON(v)]++
	}
	var added []string
	for _, v := range after {
		s := compactJSON(v)
		if left[s] > 0 {
			left[s]--
			continue
		}
		added = append(added, s)
	}
	var removed []string
	for _, v := range before {
		s := compactJSON(v)
		if left[s] > 0 {
			left[s]--
			removed = append(removed, s)
		}
	}
	for _, s := range removed {
		*out = append(*out, jsonChange{Path: path, Kind: jsonRemoved, Item: true, Before: s})
	}
	for _, s := range added {
		*out = append(*out, jsonChange{Path: path, Kind: jsonAdded, Item: true, After: s})
	}
	if len(added) == 0 && len(removed) == 0 {
		if bs, as := compactJSON(before), compactJSON(after); bs != as {
			*out = append(*out, jsonChange{Path: path, Kind: jsonChanged, Before: bs, After: as})
		}
	}
}

// jsonField is one leaf of a flattened snapshot: objects are opened key by key, and a
// list is one value with an item per line.
type jsonField struct {
	Path  []string
	Value string
}

// flattenJSON opens a snapshot into its leaves, in path order, for side-by-side display.
// An empty object or list is a leaf of its own, so that "no script variables" still shows.
func flattenJSON(raw []byte) ([]jsonField, error) {
	v, err := decodeSnapshot(raw)
	if err != nil {
		return nil, err
	}
	var out []jsonField
	flattenValue(nil, v, &out)
	return out, nil
}

func flattenValue(path []string, v any, out *[]jsonField) {
	switch t := v.(type) {
	case nil:
		if path != nil {
			*out = append(*out, jsonField{Path: path, Value: "null"})
		}
	case map[string]any:
		if len(t) == 0 {
			*out = append(*out, jsonField{Path: path, Value: "{}"})
			return
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flattenValue(appendPath(path, k), t[k], out)
		}
	case []any:
		if len(t) == 0 {
			*out = append(*out, jsonField{Path: path, Value: "[]"})
			return
		}
		items := make([]string, len(t))
		for i, item := range t {
			items[i] = compactJSON(item)
		}
		*out = append(*out, jsonField{Path: path, Value: strings.Join(items, "\n")})
	default:
		*out = append(*out, jsonField{Path: path, Value: compactJSON(t)})
	}
}

// compareRow is one line of a side-by-side comparison of two snapshots.
type compareRow struct {
	Field string
	// A and B are the values on each side; InA and InB say whether the side has the field.
	A, B     string
	InA, InB bool
	Differs  bool
}

// compareSnapshots lines two snapshots up field by field, every field of either side once,
// in path order, marking the rows whose values differ.
func compareSnapshots(a, b []byte) ([]compareRow, error) {
	fa, err := flattenJSON(a)
	if err != nil {
		return nil, fmt.Errorf("first snapshot: %w", err)
	}
	fb, err := flattenJSON(b)
	if err != nil {
		return nil, fmt.Errorf("second snapshot: %w", err)
	}
	rows := map[string]*compareRow{}
	var order []string
	row := func(path []string) *compareRow {
		// Segments are joined with NUL, which sorts before any other byte, so that a
		// map's keys sort together right under the map's name.
		key := strings.Join(path, "\x00")
		r, ok := rows[key]
		if !ok {
			r = &compareRow{Field: jsonPath(path)}
			rows[key] = r
			order = append(order, key)
		}
		return r
	}
	for _, f := range fa {
		r := row(f.Path)
		r.A, r.InA = f.Value, true
	}
	for _, f := range fb {
		r := row(f.Path)
		r.B, r.InB = f.Value, true
	}
	sort.Strings(order)
	out := make([]compareRow, len(order))
	for i, key := range order {
		r := rows[key]
		r.Differs = r.InA != r.InB || r.A != r.B
		out[i] = *r
	}
	return out, nil
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// appendPath returns path+key in a new slice, so that sibling paths never share storage.
func appendPath(path []string, key string) []string {
	out := make([]string, len(path), len(path)+1)
	copy(out, path)
	return append(out, key)
}
