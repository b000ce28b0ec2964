package flow_test

import (
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineMergeReplansTheHeldPlans: B planned in dev while A, applied
// there, was held unmerged; its branch lacks A's file, so its plan would
// undo A. When A's merge lands B re-plans by itself on the new base, with a
// reply naming A, and that new plan can be approved. A request of another
// environment keeps its plan, and stepping the merge's event again (a
// resumed replan_others) re-plans nothing.
func TestEngineMergeReplansTheHeldPlans(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a := h.toAwaiting("dev")
	other := h.toAwaiting("prod")
	ports.Repo.Fail("MergeChange", -1, &flow.MergeRefusedError{Reason: "a review is required"})
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	ra := h.get(a)
	if ra.State != flow.AppliedNotMerged {
		t.Fatalf("A: state %s, want applied_not_merged", ra.State)
	}
	b := h.toAwaiting("dev") // planned while A holds dev
	before := h.get(b)
	otherRun := h.get(other).PlanRun.ID

	ports.Repo.Clear("MergeChange")
	h.handle(a, flow.Event{Kind: flow.EvRetryMerge, Actor: actor("U1")})
	h.settle()
	if r := h.get(a); r.State != flow.Applied || !r.Change.Merged || len(r.Owed) != 0 {
		t.Fatalf("A after Retry merge: state %s merged %v owed %v", r.State, r.Change.Merged, r.Owed)
	}
	rb := h.get(b)
	if rb.State != flow.AwaitingApproval || rb.PlanRun == nil || rb.PlanRun.ID == before.PlanRun.ID || rb.Change.BaseSHA == before.Change.BaseSHA {
		t.Fatalf("B after A merged: state %s plan run %v (before %d) base %s (before %s), want a new plan on the new base",
			rb.State, rb.PlanRun, before.PlanRun.ID, rb.Change.BaseSHA, before.Change.BaseSHA)
	}
	want := ra.Label + " was merged; planning again on the new base, since the plan before it would have undone what " + ra.Label + " applied."
	if !hasReply(ports.Chat.Replies(b), want) {
		t.Errorf("B's replies %q, want %q", ports.Chat.Replies(b), want)
	}
	if r := h.get(other); r.State != flow.AwaitingApproval || r.PlanRun.ID != otherRun {
		t.Errorf("prod request: state %s plan run %d, want its plan %d kept", r.State, r.PlanRun.ID, otherRun)
	}

	again := flow.Event{Kind: flow.EvBaseMerged, Key: a + "/base_merged", Actor: flow.System, Target: a}
	if r := h.handle(b, again); r.Version != rb.Version || r.State != flow.AwaitingApproval {
		t.Errorf("base_merged again: version %d state %s, want %d awaiting_approval (a no-op)", r.Version, r.State, rb.Version)
	}
	if r := h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); r.State != flow.Approved {
		t.Errorf("B approve after its re-plan: state %s problem %q, want approved", r.State, r.Problem)
	}
}

func hasReply(replies []string, want string) bool {
	for _, r := range replies {
		if r == want {
			return true
		}
	}
	return false
}
