package tfcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// queuedWorkflows share one concurrency group per environment, so a plan never
// runs while an apply changes the same state.
var queuedWorkflows = []string{".github/workflows/plan.yml", ".github/workflows/apply.yml"}

// concurrencyProblems checks a workflow's top-level concurrency block. The
// pinned actionlint does not know `queue:` (its message is ignored in
// .github/actionlint.yaml), so this check is what keeps the value one GitHub
// accepts: single (its default) or max (up to 100 pending runs, in order).
func concurrencyProblems(data []byte) []string {
	var wf struct {
		Concurrency *struct {
			Group            string `yaml:"group"`
			CancelInProgress *bool  `yaml:"cancel-in-progress"`
			Queue            string `yaml:"queue"`
		} `yaml:"concurrency"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return []string{fmt.Sprintf("parse: %v", err)}
	}
	c := wf.Concurrency
	if c == nil {
		return []string{"no concurrency block"}
	}
	var out []string
	if want := "tfpilot-${{ inputs.environment }}"; c.Group != want {
		out = append(out, fmt.Sprintf("concurrency.group is %q, want %q", c.Group, want))
	}
	if c.CancelInProgress == nil || *c.CancelInProgress {
		out = append(out, "concurrency.cancel-in-progress must be false: a running plan or apply is never cancelled")
	}
	if c.Queue != "single" && c.Queue != "max" {
		out = append(out, fmt.Sprintf("concurrency.queue is %q, want single or max", c.Queue))
	}
	return out
}

func TestWorkflowsConcurrency(t *testing.T) {
	root := repoRoot(t)
	for _, path := range queuedWorkflows {
		data, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string(nil), concurrencyProblems(data)); diff != "" {
			t.Errorf("%s: concurrency problems (-want +got):\n%s", path, diff)
		}
	}
}

func TestConcurrencyProblems(t *testing.T) {
	const group = "  group: tfpilot-${{ inputs.environment }}\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{name: "max", yaml: "concurrency:\n" + group + "  cancel-in-progress: false\n  queue: max\n"},
		{name: "single", yaml: "concurrency:\n" + group + "  cancel-in-progress: false\n  queue: single\n"},
		{name: "unknown queue", yaml: "concurrency:\n" + group + "  cancel-in-progress: false\n  queue: all\n",
			want: []string{`concurrency.queue is "all", want single or max`}},
		{name: "no queue", yaml: "concurrency:\n" + group + "  cancel-in-progress: false\n",
			want: []string{`concurrency.queue is "", want single or max`}},
		{name: "cancels in progress", yaml: "concurrency:\n" + group + "  cancel-in-progress: true\n  queue: max\n",
			want: []string{"concurrency.cancel-in-progress must be false: a running plan or apply is never cancelled"}},
		{name: "no cancel-in-progress", yaml: "concurrency:\n" + group + "  queue: max\n",
			want: []string{"concurrency.cancel-in-progress must be false: a running plan or apply is never cancelled"}},
		{name: "other group", yaml: "concurrency:\n  group: tfpilot\n  cancel-in-progress: false\n  queue: max\n",
			want: []string{`concurrency.group is "tfpilot", want "tfpilot-${{ inputs.environment }}"`}},
		{name: "no block", yaml: "name: x\n", want: []string{"no concurrency block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, concurrencyProblems([]byte(tt.yaml))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
