package github

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// TestApplyCarriesPlanRunAttempt: Status records the plan run's attempt as
// GitHub reports it (a re-run shows as attempt 2), and an apply dispatch
// passes the approved attempt as plan_run_attempt, which apply.yml's
// check-apply.sh compares with the plan run's run_attempt.
func TestApplyCarriesPlanRunAttempt(t *testing.T) {
	e := newEnv(t)
	mustOpen(t, e.c, spec(fileContent))
	plan, err := e.c.Dispatch(context.Background(), planDispatch())
	if err != nil {
		t.Fatal(err)
	}
	status := func() flow.Run {
		t.Helper()
		e.clk.Advance(e.c.poll) // past the run list's cache
		st, err := e.c.Status(context.Background(), project, plan)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	e.f.CompleteRun(plan.ID, "success")
	first := status()
	e.f.Rerun(plan.ID, "alice")
	e.f.CompleteRun(plan.ID, "success")
	// A run seen completed is not polled again (the budget spends nothing
	// on it); a client that looks afresh (a restarted TfPilot) sees the
	// re-run's attempt.
	rerun, err := e.client(t).Status(context.Background(), project, plan)
	if err != nil {
		t.Fatal(err)
	}

	apply := func(attempt int, key string) string {
		t.Helper()
		d := applyDispatch(plan.ID)
		d.PlanRunAttempt, d.Key = attempt, key
		run, err := e.c.Dispatch(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		e.f.CompleteRun(run.ID, "failure") // so the next dispatch starts a new run
		runs := e.f.Runs(fullRepo)
		return runs[len(runs)-1].Inputs["plan_run_attempt"]
	}
	got := []any{plan.Attempt, first.Attempt, rerun.Attempt,
		apply(rerun.Attempt, "9-dispatch_apply"), apply(0, "12-dispatch_apply")}
	// Dispatched at 1, seen at 1, re-run to 2; the apply passes 2, and 1
	// for a plan run whose attempt was never recorded.
	want := []any{1, 1, 2, "2", "1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts: dispatched, finished, re-run; plan_run_attempt inputs (-want +got):\n%s", diff)
	}
}
