package board

import (
	"reflect"
	"strings"
	"testing"
)

func TestDiffJSON(t *testing.T) {
	tests := []struct {
		name          string
		before, after string
		want          []jsonChange
	}{
		{name: "identical", before: `{"a":1,"m":{"k":"v"},"l":[1]}`, after: `{"l":[1],"m":{"k":"v"},"a":1}`, want: nil},
		{name: "both empty", before: ``, after: `null`, want: nil},
		{name: "scalar changed", before: `{"successThreshold":100}`, after: `{"successThreshold":90}`,
			want: []jsonChange{{Path: []string{"successThreshold"}, Kind: jsonChanged, Before: "100", After: "90"}}},
		{name: "string changed keeps quotes and markup as text", before: `{"description":"a"}`, after: `{"description":"<b>&"}`,
			want: []jsonChange{{Path: []string{"description"}, Kind: jsonChanged, Before: `"a"`, After: `"<b>&"`}}},
		{name: "keys added and removed", before: `{"a":1,"b":2}`, after: `{"b":2,"c":3}`,
			want: []jsonChange{
				{Path: []string{"a"}, Kind: jsonRemoved, Before: "1"},
				{Path: []string{"c"}, Kind: jsonAdded, After: "3"},
			}},
		{name: "nested map per key", before: `{"scriptVariables":{"A":"1","B":"2","C":"3"}}`, after: `{"scriptVariables":{"A":"1","B":"two","D":"4"}}`,
			want: []jsonChange{
				{Path: []string{"scriptVariables", "B"}, Kind: jsonChanged, Before: `"2"`, After: `"two"`},
				{Path: []string{"scriptVariables", "C"}, Kind: jsonRemoved, Before: `"3"`},
				{Path: []string{"scriptVariables", "D"}, Kind: jsonAdded, After: `"4"`},
			}},
		{name: "dotted key stays one key", before: `{"agentConfigs":{}}`, after: `{"agentConfigs":{"RESTARTING.process_timeout":"60"}}`,
			want: []jsonChange{{Path: []string{"agentConfigs", "RESTARTING.process_timeout"}, Kind: jsonAdded, After: `"60"`}}},
		{name: "list items added and removed", before: `{"hosts":["h1","h2","h3"]}`, after: `{"hosts":["h2","h4","h1"]}`,
			want: []jsonChange{
				{Path: []string{"hosts"}, Kind: jsonRemoved, Item: true, Before: `"h3"`},
				{Path: []string{"hosts"}, Kind: jsonAdded, Item: true, After: `"h4"`},
			}},
		{name: "list of objects compares whole items", before: `{"alarms":[{"name":"a","url":"http://x"}]}`, after: `{"alarms":[{"url":"http://y","name":"a"}]}`,
			want: []jsonChange{
				{Path: []string{"alarms"}, Kind: jsonRemoved, Item: true, Before: `{"name":"a","url":"http://x"}`},
				{Path: []string{"alarms"}, Kind: jsonAdded, Item: true, After: `{"name":"a","url":"http://y"}`},
			}},
		{name: "duplicate items count", before: `{"l":["x","x"]}`, after: `{"l":["x"]}`,
			want: []jsonChange{{Path: []string{"l"}, Kind: jsonRemoved, Item: true, Before: `"x"`}}},
		{name: "reordered list is one change", before: `{"l":[1,2]}`, after: `{"l":[2,1]}`,
			want: []jsonChange{{Path: []string{"l"}, Kind: jsonChanged, Before: "[1,2]", After: "[2,1]"}}},
		{name: "type change is one change", before: `{"x":{"k":1}}`, after: `{"x":[1]}`,
			want: []jsonChange{{Path: []string{"x"}, Kind: jsonChanged, Before: `{"k":1}`, After: "[1]"}}},
		{name: "creation lists every field as added", before: `null`, after: `{"b":[],"a":{}}`,
			want: []jsonChange{
				{Path: []string{"a"}, Kind: jsonAdded, After: "{}"},
				{Path: []string{"b"}, Kind: jsonAdded, After: "[]"},
			}},
		{name: "deletion lists every field as removed", before: `{"a":1}`, after: ``,
			want: []jsonChange{{Path: []string{"a"}, Kind: jsonRemoved, Before: "1"}}},
		{name: "numbers keep their text", before: `{"n":1}`, after: `{"n":1.0}`,
			want: []jsonChange{{Path: []string{"n"}, Kind: jsonChanged, Before: "1", After: "1.0"}}},
		{name: "top-level scalars", before: `1`, after: `2`,
			want: []jsonChange{{Kind: jsonChanged, Before: "1", After: "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := diffJSON([]byte(tt.before), []byte(tt.after))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("diffJSON(%s, %s)\n got %+v\nwant %+v", tt.before, tt.after, got, tt.want)
			}
		})
	}
}

func TestDiffJSONRefusesBrokenSnapshots(t *testing.T) {
	for _, tt := range []struct{ before, after, wantErr string }{
		{`{`, `{}`, "before"},
		{`{}`, `{"a":`, "after"},
	} {
		if _, err := diffJSON([]byte(tt.before), []byte(tt.after)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("diffJSON(%q, %q) error %v, want one naming %q", tt.before, tt.after, err, tt.wantErr)
		}
	}
}

func TestJSONChangeField(t *testing.T) {
	for _, tt := range []struct {
		path []string
		want string
	}{
		{nil, "(whole document)"},
		{[]string{"maxParallel"}, "maxParallel"},
		{[]string{"agentConfigs", "RESTARTING.process_timeout"}, "agentConfigs[RESTARTING.process_timeout]"},
		{[]string{"a", "b", "c"}, "a[b][c]"},
	} {
		if got := (jsonChange{Path: tt.path}).Field(); got != tt.want {
			t.Errorf("Field of %q = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestFlattenJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     []jsonField
	}{
		{name: "null", in: `null`, want: nil},
		{name: "scalars, maps per key, lists one item a line", in: `{"b":2,"m":{"y":"2","x":"1"},"l":["h1",{"n":"a"}],"e":{},"z":[]}`,
			want: []jsonField{
				{Path: []string{"b"}, Value: "2"},
				{Path: []string{"e"}, Value: "{}"},
				{Path: []string{"l"}, Value: "\"h1\"\n{\"n\":\"a\"}"},
				{Path: []string{"m", "x"}, Value: `"1"`},
				{Path: []string{"m", "y"}, Value: `"2"`},
				{Path: []string{"z"}, Value: "[]"},
			}},
		{name: "null field", in: `{"a":null}`, want: []jsonField{{Path: []string{"a"}, Value: "null"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flattenJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("flattenJSON(%s)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompareSnapshots(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want []compareRow
	}{
		{name: "same", a: `{"x":1}`, b: `{"x":1}`,
			want: []compareRow{{Field: "x", A: "1", B: "1", InA: true, InB: true}}},
		{name: "differing, one-sided and map keys grouped under their map", a: `{"m":{"k":"1"},"m2":2,"only":"a"}`, b: `{"m":{"k":"2","j":"0"},"m2":2}`,
			want: []compareRow{
				{Field: "m[j]", B: `"0"`, InB: true, Differs: true},
				{Field: "m[k]", A: `"1"`, B: `"2"`, InA: true, InB: true, Differs: true},
				{Field: "m2", A: "2", B: "2", InA: true, InB: true},
				{Field: "only", A: `"a"`, InA: true, Differs: true},
			}},
		{name: "against nothing", a: `null`, b: `{"x":[]}`,
			want: []compareRow{{Field: "x", B: "[]", InB: true, Differs: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compareSnapshots([]byte(tt.a), []byte(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("compareSnapshots(%s, %s)\n got %+v\nwant %+v", tt.a, tt.b, got, tt.want)
			}
		})
	}
	if _, err := compareSnapshots([]byte(`{}`), []byte(`[`)); err == nil || !strings.Contains(err.Error(), "second") {
		t.Fatalf("broken second snapshot: error %v", err)
	}
}
