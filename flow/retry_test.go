package flow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineRetriedApplyDispatchChecksTheChange: an apply whose dispatch ran
// out of retries, retried after the branch moved, is not dispatched: the
// retry checks the change as an apply does, and the request goes stale.
func TestEngineRetriedApplyDispatchChecksTheChange(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.applyDispatchFailed("Dispatch:apply")
	ports.Repo.Push(h.get(id).Change.Branch)
	_, err := h.eng.Handle(context.Background(), id, flow.Event{Kind: flow.EvRetry, Key: "retry", Actor: actor("U1")})
	if !errors.Is(err, flow.ErrBadEvent) {
		t.Fatalf("retry err = %v, want a refusal saying the change moved", err)
	}
	h.settle()
	r := h.get(id)
	if r.State != flow.Stale || r.FailedEffect != nil || ports.Runs.Count(id, flow.WorkflowApply) != 0 {
		t.Errorf("after retry: state %s, failed %+v, apply runs %d; want stale, none, 0", r.State, r.FailedEffect, ports.Runs.Count(id, flow.WorkflowApply))
	}
}

// TestEngineRetriedApplyAfterAnotherRequestMoved: an apply whose dispatch
// ran out of retries is retried after another request's merge moved the
// base (nobody pushed to the branch). The retry asks for the apply as Apply
// does: its dispatch waits for its turn, which plans again on the new base,
// and the same change is applied with the approval it had — no stale
// request, no second approval, no second press.
func TestEngineRetriedApplyAfterAnotherRequestMoved(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.applyDispatchFailed("Dispatch:apply")
	ports.Repo.MoveBaseBy("envs/dev/tfpilot_0123456789ab.tf")
	h.handle(id, flow.Event{Kind: flow.EvRetry, Actor: actor("U2")})
	h.settle()
	r := h.get(id)
	if r.State != flow.Applied || ports.Runs.Count(id, flow.WorkflowPlan) != 2 || ports.Runs.Count(id, flow.WorkflowApply) != 1 || approvalsGiven(r) != 1 {
		t.Errorf("after retry: state %s, %d plan runs, %d apply runs, %d approvals given, problem %q; want applied after a second plan, one approval",
			r.State, ports.Runs.Count(id, flow.WorkflowPlan), ports.Runs.Count(id, flow.WorkflowApply), approvalsGiven(r), r.Problem)
	}
}

// TestEngineLostApplyDispatchIsNotAppliedTwice: the apply run started but
// its answer was lost (here the fake fails after starting it, until the
// retries run out; in the fault matrix, an S3 500 when the result was
// saved), and another request's merge moved the base before the dispatch
// was performed again. The apply already ran: TfPilot follows that run
// rather than planning again and applying a second time.
func TestEngineLostApplyDispatchIsNotAppliedTwice(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.applyDispatchFailed("Dispatch:apply:done") // started, answer lost every time
	if n := ports.Runs.Count(id, flow.WorkflowApply); n != 1 {
		t.Fatalf("%d apply runs: want the one the lost dispatch started", n)
	}
	ports.Repo.MoveBaseBy("envs/dev/tfpilot_0123456789ab.tf")
	h.handle(id, flow.Event{Kind: flow.EvRetry, Actor: actor("U1")})
	h.settle()
	r := h.get(id)
	if r.State != flow.Applied || ports.Runs.Count(id, flow.WorkflowApply) != 1 || ports.Runs.Count(id, flow.WorkflowPlan) != 1 {
		t.Errorf("after retry: state %s, %d apply runs, %d plan runs, problem %q; want applied by the one apply run, no plan again",
			r.State, ports.Runs.Count(id, flow.WorkflowApply), ports.Runs.Count(id, flow.WorkflowPlan), r.Problem)
	}
}

// applyDispatchFailed approves a new dev request and presses Apply while
// fault op fails every dispatch attempt (the whole retry budget): the
// request is left applying with a failed dispatch_apply, which Retry owes
// again.
func (h *harness) applyDispatchFailed(op string) string {
	h.t.Helper()
	id := h.toAwaiting("dev")
	h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.ports.Runs.Fail(op, 3, flow.ErrTransient)
	h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(id); r.State != flow.Applying || r.FailedEffect == nil || r.FailedEffect.Kind != flow.EffDispatchApply {
		h.t.Fatalf("state %s, failed %+v: want applying with a failed dispatch_apply", r.State, r.FailedEffect)
	}
	return id
}
