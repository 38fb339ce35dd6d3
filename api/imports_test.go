package api_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/teletraan-on-temporal/teletraan"

// TestAPIDoesNotLinkTemporal keeps the API free of the Temporal SDK and the workflows:
// the Temporal side of Deployer lives in temporal/deployer, so that the handlers build and
// test without either. It follows the module's own packages that api imports, so an
// indirect import through one of them fails too.
func TestAPIDoesNotLinkTemporal(t *testing.T) {
	seen := map[string]bool{}
	var walk func(pkg string, via []string)
	walk = func(pkg string, via []string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		for _, imp := range packageImports(t, filepath.Join("..", strings.TrimPrefix(pkg, module))) {
			path := append(via[:len(via):len(via)], imp)
			if strings.HasPrefix(imp, "go.temporal.io/") || imp == module+"/workflows" {
				t.Errorf("api imports %s (via %s)", imp, strings.Join(path, " -> "))
				continue
			}
			if strings.HasPrefix(imp, module+"/") {
				walk(imp, path)
			}
		}
	}
	walk(module+"/api", []string{module + "/api"})
	if !seen[module+"/schema"] {
		t.Fatalf("the walk never reached schema; it read %v", seen)
	}
}

// packageImports returns what the non-test Go files in dir import.
func packageImports(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range f.Imports {
			p, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
	}
	return out
}
