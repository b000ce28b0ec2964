package flow_test

import (
	"context"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineAppliedNotMergedHoldsTheEnvironment: while request A in dev is
// applied but not merged, request B in dev may be neither approved nor
// applied — the refusal names A and B's card offers neither — while a
// request in another environment may; once Retry merge lands A, B may
// approve again (after the re-plan the merge owes it; see
// TestEngineMergeReplansTheHeldPlans).
func TestEngineAppliedNotMergedHoldsTheEnvironment(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a := h.toAwaiting("dev")
	b := h.toAwaiting("dev")
	other := h.toAwaiting("prod")
	ports.Repo.Fail("MergeChange", -1, &flow.MergeRefusedError{Reason: "a review is required"})
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	ra := h.get(a)
	if ra.State != flow.AppliedNotMerged {
		t.Fatalf("A: state %s, want applied_not_merged", ra.State)
	}

	want := "dev is held by " + ra.Label + ", applied but not merged: approve or apply here once it is merged (Retry merge on its card)"
	_, err := h.eng.Handle(context.Background(), b, flow.Event{Kind: flow.EvApprove, Key: h.key(), Actor: actor("U3")})
	if err == nil || err.Error() != want {
		t.Fatalf("B approve: err %v, want %q", err, want)
	}
	rb := h.get(b)
	if rb.State != flow.AwaitingApproval || len(rb.Approvals) != 0 {
		t.Fatalf("B: state %s approvals %v", rb.State, rb.Approvals)
	}
	if o := h.eng.View(context.Background(), rb).Outlook; o.Offers(flow.EvApprove) || o.HeldBy != ra.Label || !o.Offers(flow.EvCancel) {
		t.Errorf("B's card while held: moves %v held by %q", o.Moves, o.HeldBy)
	}
	// A per-viewer surface (App Home) asks the engine and gets the hold too.
	approver := actor("U3")
	if os, err := h.eng.Outlooks(context.Background(), []*flow.Request{rb, rb}, &approver); err != nil || len(os) != 2 ||
		os[1].Offers(flow.EvApprove) || os[1].HeldBy != ra.Label {
		t.Errorf("B's outlooks for U3 while held: %+v, err %v", os, err)
	}
	if r := h.handle(other, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); len(flow.CurrentApprovals(r)) != 1 {
		t.Errorf("prod request: approvals %v, want U3's (another environment is not held)", r.Approvals)
	}

	ports.Repo.Clear("MergeChange")
	h.handle(a, flow.Event{Kind: flow.EvRetryMerge, Actor: actor("U1")})
	h.settle()
	if r := h.get(a); r.State != flow.Applied || !r.Change.Merged {
		t.Fatalf("A after Retry merge: state %s merged %v", r.State, r.Change.Merged)
	}
	if o := h.eng.View(context.Background(), h.get(b)).Outlook; !o.Offers(flow.EvApprove) || o.HeldBy != "" {
		t.Errorf("B's card after the merge: moves %v held by %q", o.Moves, o.HeldBy)
	}
	if r := h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); r.State != flow.Approved {
		t.Errorf("B after the merge: state %s problem %q, want approved", r.State, r.Problem)
	}
}

// TestEnginePRClosedByHand: a pull request closed outside TfPilot before
// apply is noticed when someone approves or applies: the request is
// cancelled with a reply saying why, and the approval is refused.
func TestEnginePRClosedByHand(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   flow.EventKind
		who  string
		prep func(h *harness, id string)
	}{
		{"approve", flow.EvApprove, "U3", func(*harness, string) {}},
		{"apply", flow.EvApply, "U1", func(h *harness, id string) { h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h := newHarness(t, ports, "a")
			id := h.toAwaiting("dev")
			tc.prep(h, id)
			ports.Repo.CloseByHand(h.get(id).Change.Branch)
			_, err := h.eng.Handle(context.Background(), id, flow.Event{Kind: tc.ev, Key: h.key(), Actor: actor(tc.who)})
			if err == nil || err.Error() != "this request was cancelled; start a new one" {
				t.Errorf("%s: err %v", tc.ev, err)
			}
			h.settle()
			r := h.get(id)
			if r.State != flow.Cancelled || !r.Change.Closed || r.PlanRun != nil || ports.Repo.Counts().Closes != 0 {
				t.Fatalf("state %s closed %v plan %v closes %d", r.State, r.Change.Closed, r.PlanRun, ports.Repo.Counts().Closes)
			}
			want := "The pull request was closed outside TfPilot, so this request is cancelled. Start a new request to try again."
			if replies := ports.Chat.Replies(id); len(replies) == 0 || replies[len(replies)-1] != want {
				t.Errorf("replies %q, want last %q", replies, want)
			}
		})
	}
}

// TestEngineCardHoldIsCached: drawing the card of a request that could be
// approved looks up what holds its environment (a store listing, every
// record on S3) once, not once per card; a write in the environment by
// this engine makes the next card look again, so the hold shows at once.
func TestEngineCardHoldIsCached(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	a, b := h.toAwaiting("dev"), h.toAwaiting("dev")
	ctx := context.Background()
	rb := h.get(b)
	h.eng.View(ctx, rb)
	before := ports.Store.Lists()
	for range 5 {
		h.eng.View(ctx, rb)
	}
	if n := ports.Store.Lists() - before; n != 0 {
		t.Errorf("5 cards listed the store %d times, want 0 (cached)", n)
	}
	ports.Repo.Fail("MergeChange", -1, &flow.MergeRefusedError{Reason: "a review is required"})
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if o := h.eng.View(ctx, h.get(b)).Outlook; o.HeldBy == "" || o.Offers(flow.EvApprove) {
		t.Errorf("B's card after A's merge was refused: held by %q, moves %v; want the hold at once", o.HeldBy, o.Moves)
	}
}
