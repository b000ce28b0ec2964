package flow_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// approvalsGiven counts the approvals people gave r, as its history has
// them (a carried approval is not given again).
func approvalsGiven(r *flow.Request) int {
	n := 0
	for _, tr := range r.History {
		if tr.Event == flow.EvApprove {
			n++
		}
	}
	return n
}

func replied(ports *flowtest.Ports, id, text string) bool {
	return slices.ContainsFunc(ports.Chat.Replies(id), func(s string) bool { return strings.Contains(s, text) })
}

// TestEngineApprovalCarriesOverAnotherMerge: B is approved; A is applied
// and merged, so B plans again on the new base by itself. Only A's file
// moved the base and B's new plan makes the same changes, so B's approval
// carries over: B is approved without anyone approving again, and applies.
func TestEngineApprovalCarriesOverAnotherMerge(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a, b := h.toAwaiting("dev"), h.toAwaiting("dev")
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	first := h.get(b).PlanRun.ID
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	rb := h.get(b)
	if rb.State != flow.Approved || ports.Runs.Count(b, flow.WorkflowPlan) != 2 || rb.PlanRun.ID == first {
		t.Fatalf("B: state %s, %d plan runs, plan run %d (first %d), problem %q; want approved on a second plan",
			rb.State, ports.Runs.Count(b, flow.WorkflowPlan), rb.PlanRun.ID, first, rb.Problem)
	}
	cur := flow.CurrentApprovals(rb)
	if len(cur) != 1 || cur[0].Actor.ID != "U3" || cur[0].CarriedFrom != first || approvalsGiven(rb) != 1 {
		t.Errorf("B's approvals: current %+v, all %+v; want U3's carried from plan run %d", cur, rb.Approvals, first)
	}
	if !replied(ports, b, "carries over") {
		t.Errorf("B's replies do not say the approval carried over: %q", ports.Chat.Replies(b))
	}
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(b); r.State != flow.Applied || !r.Change.Merged {
		t.Errorf("B: state %s problem %q, want applied and merged", r.State, r.Problem)
	}
}

// TestEngineQueuedApplyCarriesOver: B's apply waits in the queue behind
// A's; A merges and moves the base (by A's file only), so at its turn B
// plans again, and since the new plan is the same change it is applied
// without anyone approving or pressing Apply again.
func TestEngineQueuedApplyCarriesOver(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a, b, gate := h.applyQueuedBehindApply()
	first := h.get(b).PlanRun.ID
	gate.Release()
	ports.Runs.Clear("Status:apply")
	h.settle()
	if r := h.get(a); r.State != flow.Applied || !r.Change.Merged {
		t.Fatalf("A: state %s", r.State)
	}
	rb := h.get(b)
	if rb.State != flow.Applied || !rb.Change.Merged || ports.Runs.Count(b, flow.WorkflowPlan) != 2 || ports.Runs.Count(b, flow.WorkflowApply) != 1 {
		t.Fatalf("B: state %s, %d plan runs, %d apply runs, problem %q; want applied after a second plan",
			rb.State, ports.Runs.Count(b, flow.WorkflowPlan), ports.Runs.Count(b, flow.WorkflowApply), rb.Problem)
	}
	for _, d := range ports.Runs.Dispatches() {
		if d.RequestID == b && d.Workflow == flow.WorkflowApply && (d.PlanRunID != rb.PlanRun.ID || d.PlanRunID == first) {
			t.Errorf("B's apply names plan run %d, want the new plan run %d", d.PlanRunID, rb.PlanRun.ID)
		}
	}
	if n := approvalsGiven(rb); n != 1 {
		t.Errorf("B: %d approvals given, want 1", n)
	}
	if !replied(ports, b, "the apply goes ahead") {
		t.Errorf("B's replies do not say the apply went ahead: %q", ports.Chat.Replies(b))
	}
	if n := ports.Runs.Overlaps(); n != 0 {
		t.Errorf("%d overlapping runs", n)
	}
}

// TestEnginePressAfterAnotherRequestMoved: the base moved by another
// request's file after B's plan was shown. An Approve pressed then counts
// for the plan the person saw, and carries over to the plan made again on
// the new base; an Apply pressed then is applied after the plan is made
// again — nobody is asked twice.
func TestEnginePressAfterAnotherRequestMoved(t *testing.T) {
	for _, press := range []flow.EventKind{flow.EvApprove, flow.EvApply} {
		t.Run(press.String(), func(t *testing.T) {
			ports := flowtest.NewPorts()
			h := newHarness(t, ports, "a")
			b := h.toAwaiting("dev")
			if press == flow.EvApply {
				h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
			}
			ports.Repo.MoveBaseBy("envs/dev/tfpilot_0123456789ab.tf")
			who := "U3"
			if press == flow.EvApply {
				who = "U1"
			}
			h.handle(b, flow.Event{Kind: press, Actor: actor(who)})
			h.settle()
			r := h.get(b)
			want := flow.Approved
			if press == flow.EvApply {
				want = flow.Applied
			}
			if r.State != want || ports.Runs.Count(b, flow.WorkflowPlan) != 2 || approvalsGiven(r) != 1 || len(flow.CurrentApprovals(r)) != 1 {
				t.Errorf("state %s (want %s), %d plan runs (want 2), %d approvals given (want 1), current %+v, problem %q",
					r.State, want, ports.Runs.Count(b, flow.WorkflowPlan), approvalsGiven(r), flow.CurrentApprovals(r), r.Problem)
			}
		})
	}
}

// TestEngineNoCarryWhenTheBaseMovesCannotBeListed: a comparison of the
// base that keeps failing costs a new approval, never a wrong carry; the
// reply says why.
func TestEngineNoCarryWhenTheBaseMovesCannotBeListed(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	b := h.toAwaiting("dev")
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	ports.Repo.MoveBaseBy("envs/dev/tfpilot_0123456789ab.tf")
	ports.Repo.Fail("BaseMoves", -1, errors.New("compare: 500"))
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	r := h.get(b)
	if r.State != flow.AwaitingApproval || len(flow.CurrentApprovals(r)) != 0 || ports.Runs.Count(b, flow.WorkflowApply) != 0 {
		t.Errorf("state %s, current approvals %+v, %d applies; want awaiting a new approval, nothing applied",
			r.State, flow.CurrentApprovals(r), ports.Runs.Count(b, flow.WorkflowApply))
	}
	if !replied(ports, b, "could not be listed") {
		t.Errorf("replies do not say why the approval did not carry over: %q", ports.Chat.Replies(b))
	}
}
