package workflows_test

import (
	"encoding/base64"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestEveryVersionGateIsInARecordedHistory fails when a workflow.GetVersion gate's change
// id occurs in no recorded history's markers: replaying the corpus would then never take
// that gate's new branch, and a broken gate would pass TestReplayRecordedHistories.
// Record a history that takes it (see ARCHITECTURE.md, "Changing a workflow").
func TestEveryVersionGateIsInARecordedHistory(t *testing.T) {
	gates := versionGates(t)
	if len(gates) == 0 {
		t.Fatal("found no workflow.GetVersion gates in the workflows package")
	}
	recorded := recordedChangeIDs(t)
	for _, id := range gates {
		if !recorded[id] {
			t.Errorf("gate %q occurs in no history under testdata/histories", id)
		}
	}
}

// versionGates returns the change ids of every workflow.GetVersion call in the package's
// non-test files; each must name a string constant, so that this test can read it.
func versionGates(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	var names []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "GetVersion" || len(n.Args) < 2 {
					return true
				}
				id, ok := n.Args[1].(*ast.Ident)
				if !ok {
					t.Errorf("%s: GetVersion's change id must be a named string constant", fset.Position(n.Pos()))
					return true
				}
				names = append(names, id.Name)
			}
			return true
		})
	}
	var gates []string
	for _, n := range names {
		v, ok := consts[n]
		if !ok {
			t.Errorf("GetVersion change id %s is not a string constant of this package", n)
			continue
		}
		gates = append(gates, v)
	}
	sort.Strings(gates)
	return gates
}

// recordedChangeIDs returns the change ids of the version markers in every recorded history.
func recordedChangeIDs(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Events []struct {
				MarkerRecordedEventAttributes *struct {
					MarkerName string
					Details    map[string]struct {
						Payloads []struct{ Data string }
					}
				}
			}
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range h.Events {
			m := e.MarkerRecordedEventAttributes
			if m == nil || m.MarkerName != "Version" || len(m.Details["change-id"].Payloads) == 0 {
				continue
			}
			data, err := base64.StdEncoding.DecodeString(m.Details["change-id"].Payloads[0].Data)
			if err != nil {
				t.Fatalf("%s: change id: %v", name, err)
			}
			var id string
			if err := json.Unmarshal(data, &id); err != nil {
				t.Fatalf("%s: change id %s: %v", name, data, err)
			}
			ids[id] = true
		}
	}
	return ids
}
