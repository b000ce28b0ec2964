package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
)

// TestRunnerRefusesOversizedPlan: a `terraform show -json` over the limit
// fails the plan run with a message saying so, and is never summarised
// (nor held whole in memory).
func TestRunnerRefusesOversizedPlan(t *testing.T) {
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "terraform")
	// init and plan succeed silently; show prints 1 MiB.
	script := "#!/bin/sh\nif [ \"$1\" = show ]; then head -c 1048576 /dev/zero | tr '\\0' ' '; fi\nexit 0\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	g := newTestRepo(t)
	summarised := 0
	r, err := NewRunner(RunnerOptions{Repo: g, DataDir: t.TempDir(), Terraform: bin, MaxPlanJSON: 64 << 10,
		Summarize: func([]byte) (flow.PlanSummary, error) { summarised++; return flow.PlanSummary{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.OpenChange(ctx, spec("a1", "dev", s3File)); err != nil {
		t.Fatal(err)
	}
	run, err := r.Dispatch(ctx, planDispatch("a1", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	want := "terraform show printed more than the 65536 bytes TfPilot reads of a plan; split the change into smaller requests"
	if run.Status != flow.RunFailed || !strings.HasPrefix(run.Failure, want) || summarised != 0 {
		t.Errorf("run = %v %q, summarised %d times; want failed with %q", run.Status, run.Failure, summarised, want)
	}
}
