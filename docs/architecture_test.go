package docs

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const architecture = "ARCHITECTURE.md"

// testSupport is the subgraph of packages that only tests may import.
const testSupport = "testsupport"

// drawing is what ARCHITECTURE.md says about the packages: the graph TD
// block (nodes, arrows, the test-support subgraph) and the package table's
// "may import" column. Paths are relative to the module root.
type drawing struct {
	nodes       map[string]bool
	edges       map[string]bool // "from --> to"
	testSupport map[string]bool
	mayImport   map[string]map[string]bool // table row → packages it may import
}

// TestArchitectureGraph keeps docs/ARCHITECTURE.md's package graph equal to
// the module's real import graph (non-test imports, from `go list`), both
// ways, and holds the code to the doc's rules: no package outside test
// support imports a test-support package, and every import is one the
// package table's "may import" column allows.
func TestArchitectureGraph(t *testing.T) {
	doc, err := os.ReadFile(architecture)
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDrawing(string(doc))
	if err != nil {
		t.Fatalf("%s: %v", architecture, err)
	}
	nodes, edges := importGraph(t)

	if diff := cmp.Diff(nodes, d.nodes); diff != "" {
		t.Errorf("packages (-go list +%s):\n%s"+
			"Declare every package as a node (id[\"path/from/module/root\"]) in the graph TD block of docs/%[1]s, "+
			"inside subgraph %s when only tests may import it, and give it a row in the Packages table; "+
			"delete the node and the row of a package that is gone.", architecture, diff, testSupport)
	}
	if diff := cmp.Diff(edges, d.edges); diff != "" {
		t.Errorf("imports (-go list +%s):\n%s"+
			"The arrows of the graph TD block in docs/%[1]s are the non-test imports between the module's packages "+
			"(go list -f '{{.ImportPath}} {{.Imports}}' ./...): add an \"a --> b\" line for each - and delete the line of each +. "+
			"If a new import breaks a rule of the Packages table, change the code, not the doc.", architecture, diff)
	}
	for e := range edges {
		from, to, _ := strings.Cut(e, " --> ")
		if d.testSupport[to] && !d.testSupport[from] {
			t.Errorf("%s imports %s, which only tests may import (subgraph %s of docs/%s)", from, to, testSupport, architecture)
		}
		if allowed, ok := d.mayImport[from]; ok && !allowed[to] {
			t.Errorf("%s imports %s, which the Packages table of docs/%s does not allow it to: "+
				"remove the import, or (if the design changes) add `%[2]s` to its \"may import\" cell and say why", from, to, architecture)
		}
	}
	rows := map[string]bool{}
	for p := range d.mayImport {
		rows[p] = true
	}
	if diff := cmp.Diff(d.nodes, rows); diff != "" {
		t.Errorf("Packages table rows (-graph +table) of docs/%s:\n%sEvery node of the graph has one row and every row is a node.", architecture, diff)
	}
}

// importGraph returns the module's packages (those with non-test Go files)
// and the imports between them, from `go list` run at the module root.
func importGraph(t *testing.T) (nodes, edges map[string]bool) {
	t.Helper()
	// go test puts its own GOROOT/bin first on PATH, so this is the go
	// command (and toolchain) running the test; GOFLAGS and the rest of
	// the environment pass through.
	cmd := exec.Command("go", "list", "-f",
		`{{.Module.Path}}{{"\t"}}{{.ImportPath}}{{"\t"}}{{len .GoFiles}}{{"\t"}}{{join .Imports " "}}`, "./...")
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	nodes, edges = map[string]bool{}, map[string]bool{}
	type pkg struct {
		path    string
		imports []string
	}
	var pkgs []pkg
	module := ""
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("go list line not understood: %q", line)
		}
		if module == "" {
			module = f[0]
		} else if module != f[0] {
			t.Fatalf("go list ./... lists packages of two modules: %s and %s", module, f[0])
		}
		if n, err := strconv.Atoi(f[2]); err != nil || n == 0 {
			continue // only _test.go files: nothing can import it
		}
		pkgs = append(pkgs, pkg{f[1], strings.Fields(f[3])})
	}
	rel := func(path string) (string, bool) { return strings.CutPrefix(path, module+"/") }
	for _, p := range pkgs {
		from, ok := rel(p.path)
		if !ok {
			t.Fatalf("package %s is the module root or outside it", p.path)
		}
		nodes[from] = true
		for _, imp := range p.imports {
			if to, ok := rel(imp); ok {
				edges[from+" --> "+to] = true
			}
		}
	}
	return nodes, edges
}

var (
	nodeLine     = regexp.MustCompile(`^([A-Za-z0-9_]+)\["([^"]+)"\]$`)
	edgeLine     = regexp.MustCompile(`^([A-Za-z0-9_]+) --> ([A-Za-z0-9_]+)$`)
	subgraphLine = regexp.MustCompile(`^subgraph ([A-Za-z0-9_]+) \[[^\]"]*\]$`)
	tableRow     = regexp.MustCompile("^\\| `([^`]+)` \\|")
	backticked   = regexp.MustCompile("`([^`]+)`")
)

// parseDrawing reads the first ```mermaid graph TD block of doc and the
// table of its "## Packages" section. Anything in the block that is not a
// node, an arrow, a subgraph, its end, a %% comment or blank is an error,
// so a typo cannot hide an arrow.
func parseDrawing(doc string) (drawing, error) {
	d := drawing{nodes: map[string]bool{}, edges: map[string]bool{}, testSupport: map[string]bool{}, mayImport: map[string]map[string]bool{}}
	before, rest, ok := strings.Cut(doc, "```mermaid\ngraph TD\n")
	if !ok {
		return d, fmt.Errorf("no ```mermaid block starting with graph TD")
	}
	first := strings.Count(before, "\n") + 3 // line number of the block's first line
	block, _, _ := strings.Cut(rest, "```")
	ids := map[string]string{} // node ID → package path
	type arrow struct {
		from, to string
		line     int
	}
	var arrows []arrow
	subgraph := ""
	for i, line := range strings.Split(block, "\n") {
		n := first + i // line number in the file
		line = strings.TrimSpace(line)
		switch m := nodeLine.FindStringSubmatch(line); {
		case line == "" || strings.HasPrefix(line, "%%"):
		case m != nil:
			if _, dup := ids[m[1]]; dup {
				return d, fmt.Errorf("line %d: node %s declared twice", n, m[1])
			}
			if d.nodes[m[2]] {
				return d, fmt.Errorf("line %d: package %s drawn twice", n, m[2])
			}
			ids[m[1]] = m[2]
			d.nodes[m[2]] = true
			if subgraph == testSupport {
				d.testSupport[m[2]] = true
			}
		case edgeLine.MatchString(line):
			e := edgeLine.FindStringSubmatch(line)
			arrows = append(arrows, arrow{e[1], e[2], n})
		case subgraphLine.MatchString(line):
			if subgraph != "" {
				return d, fmt.Errorf("line %d: nested subgraph", n)
			}
			subgraph = subgraphLine.FindStringSubmatch(line)[1]
		case line == "end" && subgraph != "":
			subgraph = ""
		default:
			return d, fmt.Errorf("line %d not understood: %q (write nodes as id[\"path\"] and arrows as \"a --> b\", one per line)", n, line)
		}
	}
	for _, a := range arrows {
		from, ok1 := ids[a.from]
		to, ok2 := ids[a.to]
		if !ok1 || !ok2 {
			return d, fmt.Errorf("line %d: arrow %s --> %s names an undeclared node", a.line, a.from, a.to)
		}
		d.edges[from+" --> "+to] = true
	}

	_, section, ok := strings.Cut(doc, "\n## Packages\n")
	if !ok {
		return d, fmt.Errorf("no \"## Packages\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, line := range strings.Split(section, "\n") {
		m := tableRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			return d, fmt.Errorf("Packages row %q: want 4 cells (package | owns | may import | must not), got %d", m[1], len(cells))
		}
		if _, dup := d.mayImport[m[1]]; dup {
			return d, fmt.Errorf("Packages table: %s has two rows", m[1])
		}
		allowed := map[string]bool{}
		for _, p := range backticked.FindAllStringSubmatch(cells[2], -1) {
			if !d.nodes[p[1]] {
				return d, fmt.Errorf("Packages row %s: may import `%s`, which is not a package of the graph (name outside libraries without backticks)", m[1], p[1])
			}
			allowed[p[1]] = true
		}
		d.mayImport[m[1]] = allowed
	}
	return d, nil
}
