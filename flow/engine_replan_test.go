package flow_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineReplanAfterBaseMovedRebuilds: Re-plan pressed on a request
// awaiting approval whose base moved meanwhile (another request merged)
// rebuilds the change on the current base before planning, as a re-plan
// from Stale does; otherwise it plans the outdated commit again, and that
// plan is refused as stale when approved.
func TestEngineReplanAfterBaseMovedRebuilds(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("dev")
	ports.Repo.MoveBase()
	h.handle(id, flow.Event{Kind: flow.EvReplan, Actor: actor("U1")})
	h.settle()
	_, err := h.eng.Handle(context.Background(), id, flow.Event{Kind: flow.EvApprove, Key: "ap", Actor: actor("U3")})
	r := h.get(id)
	now, serr := ports.Repo.ChangeStatus(context.Background(), r.Project, *r.Change)
	if serr != nil {
		t.Fatal(serr)
	}
	type view struct {
		ApproveErr     error
		State          flow.State
		Base, PlanHead string
		PlanRuns       int
	}
	want := view{State: flow.Approved, Base: now.BaseSHA, PlanHead: now.HeadSHA, PlanRuns: 2}
	got := view{ApproveErr: err, State: r.State, Base: r.Change.BaseSHA, PlanHead: r.PlanRun.HeadSHA, PlanRuns: ports.Runs.Count(id, flow.WorkflowPlan)}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("after base moved, re-plan and approve (-want +got):\n%s", diff)
	}
}
