package flow_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOneHomeInSource reads flow's own code (not its tests) for rules
// that have one home: time is read only through Config.Now (so a fake
// clock governs leases and event times everywhere; waits are timers), and
// audit records are built in one function (auditRecord).
func TestOneHomeInSource(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var clockReads, auditLiterals []string
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
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "time" &&
						(sel.Sel.Name == "Now" || sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
						clockReads = append(clockReads, fset.Position(n.Pos()).String())
					}
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "AuditRecord" {
					auditLiterals = append(auditLiterals, filepath.Base(fset.Position(n.Pos()).Filename))
				}
			}
			return true
		})
	}
	if len(clockReads) > 0 {
		t.Errorf("flow reads the wall clock outside Config.Now at %v", clockReads)
	}
	if diff := cmp.Diff([]string{"step.go"}, auditLiterals); diff != "" {
		t.Errorf("files building AuditRecord literals (-want +got):\n%s", diff)
	}
}
