package github

import (
	"context"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/ghfake"
)

func TestConcurrencyQueue(t *testing.T) {
	for _, tc := range []struct{ name, yml, want string }{
		{"ours", "name: x\nconcurrency:\n  group: tfpilot-${{ inputs.environment }}\n  cancel-in-progress: false\n  queue: max\n\npermissions: {}\n", "max"},
		{"quoted, with a comment", "concurrency:\n  queue: \"max\" # keep order\n", "max"},
		{"single", "concurrency:\n  group: g\n  queue: single\n", "single"},
		{"absent: GitHub's default", "concurrency:\n  group: g\n", ""},
		{"a job's concurrency is not the workflow's", "concurrency:\n  group: g\njobs:\n  plan:\n    concurrency:\n      queue: max\n", ""},
		{"commented out", "concurrency:\n  group: g\n  # queue: max\n", ""},
	} {
		if got := concurrencyQueue(tc.yml); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestStatusCancelledUnderQueueMax: where plan.yml says queue: max, GitHub
// displaces no pending run, so a pending run found cancelled with a newer
// run behind it was cancelled by a person: it is reported cancelled, never
// dispatched again over their decision. The same runs under queue: single
// read as displaced.
func TestStatusCancelledUnderQueueMax(t *testing.T) {
	dev := func(id string) map[string]string { return map[string]string{"request_id": id, "environment": "dev"} }
	for _, tc := range []struct {
		name, plan string
		want       flow.RunStatus
	}{
		{"queue: max", "concurrency:\n  group: tfpilot-${{ inputs.environment }}\n  queue: max\n", flow.RunCancelled},
		{"queue: single", "concurrency:\n  group: tfpilot-${{ inputs.environment }}\n  queue: single\n", flow.RunCancelledPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := ghfake.New(t)
			files := baseFiles(t)
			files[".github/workflows/plan.yml"] = tc.plan
			f.AddRepo("acme", "infra", "main", files)
			clk := newClock()
			f.SetNow(clk.Now)
			e := &env{f: f, clk: clk, sum: &summarizer{}}
			e.c = e.client(t)
			f.SetQueue(ghfake.QueueSingle) // the runs as queue: single leaves them
			f.AddRun(fullRepo, "plan", "main", dev("a"))
			id := f.AddRun(fullRepo, "plan", "main", dev("b"))
			f.AddRun(fullRepo, "plan", "main", dev("c"))
			got, err := e.c.Status(context.Background(), project, flow.Run{Workflow: flow.WorkflowPlan, ID: id})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want {
				t.Errorf("status %s, want %s", got.Status, tc.want)
			}
		})
	}
}
