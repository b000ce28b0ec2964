package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// registryFunctions are the Terraform functions the registry package evaluates in
// Go when it checks a user's input against a module's validation blocks.
var registryFunctions = []string{
	"length", "regex", "can", "contains", "startswith", "endswith", "lower", "upper",
	"alltrue", "anytrue", "tonumber", "floor", "jsondecode", "keys", "values", "try",
}

// checkValidations returns one "file:line: problem" line per validation condition
// that the registry could not evaluate: a function outside registryFunctions, or a
// reference to anything but the variable itself (Terraform 1.5 forbids that too)
// and the names a for expression declares.
func checkValidations(filename string, src []byte) []string {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return []string{diags.Error()}
	}
	var problems []string
	report := func(rng hcl.Range, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", filename, rng.Start.Line, fmt.Sprintf(format, args...)))
	}
	for _, block := range file.Body.(*hclsyntax.Body).Blocks {
		if block.Type != "variable" || len(block.Labels) != 1 {
			continue
		}
		variable := block.Labels[0]
		for _, validation := range block.Body.Blocks {
			if validation.Type != "validation" {
				continue
			}
			cond, ok := validation.Body.Attributes["condition"]
			if !ok {
				report(validation.DefRange(), "variable %q: validation without condition", variable)
				continue
			}
			if _, ok := validation.Body.Attributes["error_message"]; !ok {
				report(validation.DefRange(), "variable %q: validation without error_message", variable)
			}
			var iterators []string
			hclsyntax.VisitAll(cond.Expr, func(node hclsyntax.Node) hcl.Diagnostics {
				if f, ok := node.(*hclsyntax.ForExpr); ok {
					iterators = append(iterators, f.KeyVar, f.ValVar)
				}
				return nil
			})
			hclsyntax.VisitAll(cond.Expr, func(node hclsyntax.Node) hcl.Diagnostics {
				switch n := node.(type) {
				case *hclsyntax.FunctionCallExpr:
					if !slices.Contains(registryFunctions, n.Name) {
						report(n.NameRange, "variable %q: function %s() is not one the registry evaluates", variable, n.Name)
					}
				case *hclsyntax.ScopeTraversalExpr:
					root := n.Traversal.RootName()
					switch {
					case root == "var":
						if attr, ok := traversalStep(n.Traversal, 1); !ok || attr.Name != variable {
							report(n.SrcRange, "variable %q: condition may only refer to var.%s", variable, variable)
						}
					case !slices.Contains(iterators, root):
						report(n.SrcRange, "variable %q: condition may only refer to var.%s, not %s", variable, variable, root)
					}
				}
				return nil
			})
		}
	}
	return problems
}

func TestValidationsAreEvaluable(t *testing.T) {
	root := repoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "modules", "*", "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no module files found")
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, name)
		for _, p := range checkValidations(filepath.ToSlash(rel), src) {
			t.Error(p)
		}
	}
}

func TestCheckValidationsCatchesMistakes(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "own variable, allowed functions, for expression",
			src: `variable "ids" {
  type = list(string)
  validation {
    condition     = length(var.ids) > 0 && alltrue([for s in var.ids : can(regex("^sg-", s))])
    error_message = "ids must be security group IDs."
  }
}`,
			want: nil,
		},
		{
			name: "function the registry does not evaluate",
			src: `variable "n" {
  type = string
  validation {
    condition     = cidrhost(var.n, 1) != ""
    error_message = "n must be a CIDR."
  }
}`,
			want: []string{`t.tf:4: variable "n": function cidrhost() is not one the registry evaluates`},
		},
		{
			name: "another variable",
			src: `variable "memory" {
  type = number
  validation {
    condition     = var.memory >= var.cpu * 2
    error_message = "memory must be at least twice cpu."
  }
}`,
			want: []string{`t.tf:4: variable "memory": condition may only refer to var.memory`},
		},
		{
			name: "a local value",
			src: `variable "x" {
  type = string
  validation {
    condition     = contains(local.allowed, var.x)
    error_message = "x must be allowed."
  }
}`,
			want: []string{`t.tf:4: variable "x": condition may only refer to var.x, not local`},
		},
		{
			name: "missing error_message",
			src: `variable "x" {
  type = string
  validation {
    condition = var.x != ""
  }
}`,
			want: []string{`t.tf:3: variable "x": validation without error_message`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkValidations("t.tf", []byte(tt.src))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("checkValidations problems (-want +got):\n%s", diff)
			}
		})
	}
}

// traversalStep returns step i of t when it is an attribute access.
func traversalStep(t hcl.Traversal, i int) (hcl.TraverseAttr, bool) {
	if i >= len(t) {
		return hcl.TraverseAttr{}, false
	}
	attr, ok := t[i].(hcl.TraverseAttr)
	return attr, ok
}
