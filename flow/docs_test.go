package flow_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
)

var mermaidEdge = regexp.MustCompile(`^\s*(\[\*\]|[a-z_]+)\s*-->\s*([a-z_]+)\s*:\s*([a-z_]+)\s*$`)

// TestDiagramMatchesCode keeps docs/flow.md's state diagram and the code in
// step: the same states and the same (from, event, to) edges, both ways.
func TestDiagramMatchesCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/flow.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```mermaid\nstateDiagram-v2\n")
	if !ok {
		t.Fatal("docs/flow.md has no mermaid stateDiagram-v2 block")
	}
	block, _, _ := strings.Cut(rest, "```")
	diagram := map[string]bool{}
	states := map[string]bool{}
	for _, line := range strings.Split(block, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := mermaidEdge.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("diagram line not understood: %q", line)
			continue
		}
		diagram[m[1]+" -> "+m[2]+" : "+m[3]] = true
		states[m[1]], states[m[2]] = true, true
	}
	code := map[string]bool{}
	codeStates := map[string]bool{"[*]": true}
	for _, e := range flow.Edges() {
		from := "[*]"
		if e.From != 0 {
			from = e.From.String()
		}
		code[from+" -> "+e.To.String()+" : "+e.Event.String()] = true
	}
	for _, s := range flow.States() {
		codeStates[s.String()] = true
	}
	if diff := cmp.Diff(code, diagram); diff != "" {
		t.Errorf("edges (-code +diagram):\n%s", diff)
	}
	if diff := cmp.Diff(codeStates, states); diff != "" {
		t.Errorf("states (-code +diagram):\n%s", diff)
	}
}
