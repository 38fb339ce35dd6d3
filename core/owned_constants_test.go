package core_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/teletraan-on-temporal/teletraan/core"
)

// TestOnlyCoreDefinesDeployStatesAndHostPhases scans every Go file of the module outside
// core and fails on a constant named like a deploy type or state, failure policy, agent state, host
// outcome, host phase or host colour whose value is spelled as one of core's literals:
// those belong to core, and a second definition is how two copies drifted apart before.
// The agent's wire enums (agent/protocol) share some spellings with other meanings (the
// ROLLBACK opcode, the SUCCEEDED status) and are the agent's contract, so they are not
// scanned; neither are constants of other meanings that happen to share a spelling (the
// ROLLBACK failure policy), which the name pattern leaves out.
func TestOnlyCoreDefinesDeployStatesAndHostPhases(t *testing.T) {
	ownedName := regexp.MustCompile(`^(?i)(deploy|type|state|agent|outcome|phase|color|colour|host|failure)`)
	owned := map[string]bool{}
	for _, v := range []string{
		core.TypeRegular, core.TypeHotfix, core.TypeRollback, core.TypeRestart,
		core.StateRunning, core.StateFailing, core.StateSucceeding, core.StateSucceeded, core.StateAborted,
		core.AgentNormal, core.AgentPausedBySystem, core.AgentPausedByUser, core.AgentReset, core.AgentDelete,
		core.AgentUnreachable, core.AgentStop, core.AgentPausedInDeploy,
		core.OutcomeSucceeded, core.OutcomeFailed, core.OutcomeStuck, core.FailureWait, core.FailureRollback,
	} {
		owned[v] = true
	}
	for _, p := range core.HostPhases() {
		owned[string(p)] = true
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s has no go.mod: %v", root, err)
	}
	fset := token.NewFileSet()
	scanned := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "core" || rel == filepath.Join("agent", "protocol") || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		scanned++
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					s, err := strconv.Unquote(lit.Value)
					if err == nil && owned[s] && ownedName.MatchString(vs.Names[i].Name) {
						t.Errorf("%s: constant %s = %q redefines a value core owns; use core's constant", fset.Position(lit.Pos()), vs.Names[i].Name, s)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Fatalf("scanned only %d Go files under %s; the walk is broken", scanned, root)
	}
}
