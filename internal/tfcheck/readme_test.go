package tfcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// declaredNames returns the labels of the variable and output blocks in the
// module's .tf files, each sorted.
func declaredNames(t *testing.T, dir string) (variables, outputs []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("parse %s: %v", name, diags)
		}
		for _, block := range file.Body.(*hclsyntax.Body).Blocks {
			switch {
			case block.Type == "variable" && len(block.Labels) == 1:
				variables = append(variables, block.Labels[0])
			case block.Type == "output" && len(block.Labels) == 1:
				outputs = append(outputs, block.Labels[0])
			}
		}
	}
	slices.Sort(variables)
	slices.Sort(outputs)
	return variables, outputs
}

// tableNames matches the first cell of a markdown table row: | `name` | ...
var tableNames = regexp.MustCompile("(?m)^\\|\\s*`([a-z0-9_]+)`\\s*\\|")

// readmeSections returns the names listed in the tables under each "## " heading.
func readmeSections(readme string) map[string][]string {
	sections := map[string][]string{}
	for _, part := range strings.Split(readme, "\n## ")[1:] {
		heading, body, _ := strings.Cut(part, "\n")
		var names []string
		for _, m := range tableNames.FindAllStringSubmatch(body, -1) {
			names = append(names, m[1])
		}
		slices.Sort(names)
		sections[strings.TrimSpace(heading)] = names
	}
	return sections
}

// TestReadmesListInputsAndOutputs keeps each module's README (the catalogue
// description and the reference people read) in step with its .tf files.
func TestReadmesListInputsAndOutputs(t *testing.T) {
	root := repoRoot(t)
	dirs, err := filepath.Glob(filepath.Join(root, "modules", "*", "variables.tf"))
	if err != nil {
		t.Fatal(err)
	}
	deploy := filepath.Join(root, "deploy", "terraform", "variables.tf")
	if _, err := os.Stat(deploy); err == nil {
		dirs = append(dirs, deploy)
	}
	if len(dirs) == 0 {
		t.Fatal("no modules with variables.tf found")
	}
	for _, varsFile := range dirs {
		dir := filepath.Dir(varsFile)
		rel, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			variables, outputs := declaredNames(t, dir)
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatalf("every module needs a README.md: %v", err)
			}
			sections := readmeSections(string(readme))
			if diff := cmp.Diff(variables, sections["Inputs"]); diff != "" {
				t.Errorf("README ## Inputs table does not match the variables (-declared +README):\n%s", diff)
			}
			if diff := cmp.Diff(outputs, sections["Outputs"]); diff != "" {
				t.Errorf("README ## Outputs table does not match the outputs (-declared +README):\n%s", diff)
			}
			if desc := firstParagraph(string(readme)); desc == "" || strings.Contains(desc, "\n") {
				t.Errorf("README must start with a # title and a one-line description; got %q", desc)
			}
		})
	}
}

// firstParagraph is the paragraph after the "# title" line: the catalogue shows it
// as the module's description.
func firstParagraph(readme string) string {
	title, rest, ok := strings.Cut(strings.TrimLeft(readme, "\n"), "\n")
	if !ok || !strings.HasPrefix(title, "# ") {
		return ""
	}
	para, _, _ := strings.Cut(strings.TrimLeft(rest, "\n"), "\n\n")
	return strings.TrimSpace(para)
}

func TestReadmeSections(t *testing.T) {
	readme := "# m\n\nDescription.\n\n## Inputs\n\n| name | type |\n|---|---|\n| `b` | `string` |\n| `a` | `bool` |\n\n## Outputs\n\n| name | description |\n|---|---|\n| `arn` | ARN. |\n"
	want := map[string][]string{"Inputs": {"a", "b"}, "Outputs": {"arn"}}
	if diff := cmp.Diff(want, readmeSections(readme)); diff != "" {
		t.Errorf("readmeSections (-want +got):\n%s", diff)
	}
	if got := firstParagraph(readme); got != "Description." {
		t.Errorf("firstParagraph = %q, want %q", got, "Description.")
	}
}
