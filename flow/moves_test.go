package flow_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// people is a wide universe of actors: everyone the test policy names, group
// members, and strangers, so that "someone may" can be checked by brute
// force against the outlook's own short list of candidates.
func people() []flow.Actor {
	out := []flow.Actor{}
	for _, id := range []string{"U1", "U2", "U3", "U4", "U5", "U9", "S1"} {
		out = append(out, actor(id))
	}
	out = append(out, flow.Actor{ID: "U7", Groups: []string{"S1"}}, flow.Actor{ID: "U8", Groups: []string{"S2"}})
	return out
}

// outlookCases are requests in every state, in each environment of the test
// policy, with and without a failed effect, and with approvals at an older
// commit.
func outlookCases() []flow.Request {
	var out []flow.Request
	for _, s := range flow.States() {
		for _, env := range []string{"dev", "prod", "sandbox", "group", "open", "nowhere"} {
			r := fixture(s)
			if r.Environment != "" {
				r.Environment = env
			}
			out = append(out, r)
			failed := r
			failed.FailedEffect = &flow.Effect{ID: "9-dispatch_plan", Kind: flow.EffDispatchPlan}
			out = append(out, failed)
		}
	}
	old := fixture(flow.AwaitingApproval)
	old.Environment = "prod"
	old.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h0", At: t0}}
	out = append(out, old)
	destroy := fixture(flow.AwaitingApproval)
	destroy.Kind, destroy.Target = flow.KindDestroy, "01900000-0000-7000-8000-0000000000bb"
	out = append(out, destroy)
	// Plans with changes outside the request (ScopeFindings): blocking, and
	// needing acknowledgement, awaiting approval and approved.
	for _, s := range []flow.State{flow.AwaitingApproval, flow.Approved} {
		for _, action := range []string{"delete", "update"} {
			r := with(fixture(s), planOf(own, "create", other, action))
			out = append(out, r, with(r, inProd))
		}
	}
	return out
}

// moveEvent is the event a surface sends for a move of kind k on r: an
// approve accepts the findings the outlook's approve move names, and an
// approve, reject or apply names the plan the card was drawn for.
func moveEvent(r *flow.Request, k flow.EventKind, a flow.Actor) flow.Event {
	e := flow.Event{Kind: k, Actor: a, At: t0}
	if k == flow.EvApprove {
		e.Accepts = flow.NeedsAck(r)
	}
	if (k == flow.EvApprove || k == flow.EvReject || k == flow.EvApply) && r.PlanRun != nil {
		e.PlanRunID, e.PlanSHA = r.PlanRun.ID, r.PlanRun.HeadSHA
	}
	return e
}

// TestOutlookIsStep: a viewer's moves are exactly the person events Step
// accepts from them (and changes something for), and the shared outlook
// offers a move exactly when someone in a wide universe of people may take
// it; a refusal carries Step's own text.
func TestOutlookIsStep(t *testing.T) {
	pol := flowtest.Policy()
	// Environments where only a group's members, or only people the policy
	// names through "*" (not the requester), may approve or apply.
	pol.Environments = append(pol.Environments,
		flow.Environment{Name: "group", Requesters: []string{"U1"}, Approvers: []string{"S1"}, Appliers: []string{"S1"}, ApprovalsRequired: 1},
		flow.Environment{Name: "open", Requesters: []string{"U1"}, Approvers: []string{"*"}, Appliers: []string{"*"}, ApprovalsRequired: 1})
	for i, r := range outlookCases() {
		name := fmt.Sprintf("%d-%s-%s", i, r.State, r.Environment)
		anyone := map[flow.EventKind]bool{}
		for _, a := range people() {
			o := flow.OutlookOf(&r, pol, &a)
			for _, k := range flow.MoveEvents() {
				e := moveEvent(&r, k, a)
				next, _, err := flow.Step(r, e, pol)
				accepted := err == nil && cmp.Diff(r, next) != ""
				if accepted {
					anyone[k] = true
				}
				if o.Offers(k) != accepted {
					t.Errorf("%s: %s by %s: outlook offers %v, Step accepts %v (err %v)", name, k, a.ID, o.Offers(k), accepted, err)
				}
				refusal := flow.AllowsMove(&r, pol, flow.Move{Event: k, Accepts: e.Accepts, PlanRunID: e.PlanRunID, PlanSHA: e.PlanSHA}, a)
				if (refusal == nil) != accepted {
					t.Errorf("%s: %s by %s: Allows = %v, Step accepts %v", name, k, a.ID, refusal, accepted)
				}
				var ue *flow.UserError
				if err != nil && errors.As(err, &ue) && (refusal == nil || refusal.Error() != err.Error()) {
					t.Errorf("%s: %s by %s: refusal %q, Step says %q", name, k, a.ID, refusal, err)
				}
			}
		}
		shared := flow.OutlookOf(&r, pol, nil)
		for _, k := range flow.MoveEvents() {
			if shared.Offers(k) != anyone[k] {
				t.Errorf("%s: shared outlook offers %s = %v, someone may = %v", name, k, shared.Offers(k), anyone[k])
			}
		}
	}
}

// TestOutlookWithHoldIsStep: with the environment held, the outlook offers
// exactly what Step accepts from events carrying the hold — neither Approve
// nor Apply, the rest as without it — and names the holder.
func TestOutlookWithHoldIsStep(t *testing.T) {
	pol := flowtest.Policy()
	f := flow.Facts{HeldBy: "bucket-a1b2"}
	for i, r := range outlookCases() {
		name := fmt.Sprintf("%d-%s-%s", i, r.State, r.Environment)
		for _, a := range people() {
			o := flow.OutlookWith(&r, pol, &a, f)
			for _, k := range flow.MoveEvents() {
				next, _, err := flow.Step(r, flow.Event{Kind: k, Actor: a, At: t0, HeldBy: f.HeldBy}, pol)
				accepted := err == nil && cmp.Diff(r, next) != ""
				if o.Offers(k) != accepted {
					t.Errorf("%s: %s by %s: outlook offers %v, Step accepts %v (err %v)", name, k, a.ID, o.Offers(k), accepted, err)
				}
				if refusal := flow.AllowsWith(&r, pol, k, a, f); err != nil && refusal != nil && refusal.Error() != err.Error() {
					t.Errorf("%s: %s by %s: refusal %q, Step says %q", name, k, a.ID, refusal, err)
				}
			}
			if o.Offers(flow.EvApprove) || o.Offers(flow.EvApply) {
				t.Errorf("%s: held, yet %s is offered %v", name, a.ID, o.Moves)
			}
		}
		if got := flow.OutlookWith(&r, pol, nil, f).HeldBy; got != f.HeldBy {
			t.Errorf("%s: HeldBy = %q", name, got)
		}
	}
	approved := fixture(flow.Approved)
	if o := flow.OutlookOf(&approved, pol, nil); !o.Offers(flow.EvApply) {
		t.Errorf("not held: Apply not offered: %v", o.Moves)
	}
}

// TestMovesNameTheirPlan: approve, reject and apply moves name the plan
// run and commit they act on (what a card's button carries), other moves
// none; and a move of an older plan is refused with the new plan's run.
func TestMovesNameTheirPlan(t *testing.T) {
	pol := flowtest.Policy()
	for i, r := range outlookCases() {
		for _, m := range flow.OutlookOf(&r, pol, nil).Moves {
			var want [2]any = [2]any{int64(0), ""}
			if (m.Event == flow.EvApprove || m.Event == flow.EvReject || m.Event == flow.EvApply) && r.PlanRun != nil {
				want = [2]any{r.PlanRun.ID, r.PlanRun.HeadSHA}
			}
			if diff := cmp.Diff(want, [2]any{m.PlanRunID, m.PlanSHA}); diff != "" {
				t.Errorf("%d-%s: %s move's plan (-want +got):\n%s", i, r.State, m.Event, diff)
			}
		}
	}
	r := fixture(flow.AwaitingApproval)
	old := flow.Move{Event: flow.EvApprove, PlanRunID: 100, PlanSHA: "h1"}
	err := flow.AllowsMove(&r, pol, old, actor("U3"))
	if !errors.Is(err, flow.ErrPlanChanged) || !errors.Is(err, flow.ErrDenied) ||
		err.Error() != "the plan changed since this card: approve the new plan (run 101) on the updated card" {
		t.Errorf("approve of an older plan: %v, want ErrPlanChanged (a denial) naming run 101", err)
	}
}

// TestApprovalsAtOlderCommit: an approval given at an older commit of the
// same plan run does not count, and the next approver may still approve
// (the card used to count it and hide their button).
func TestApprovalsAtOlderCommit(t *testing.T) {
	r := fixture(flow.AwaitingApproval)
	r.Environment = "prod"
	r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h0", At: t0}}
	o := flow.OutlookOf(&r, flowtest.Policy(), nil)
	if got := len(o.Approvals.Given); got != 0 || o.Approvals.Need != 2 {
		t.Errorf("approvals = %d of %d, want 0 of 2", got, o.Approvals.Need)
	}
	u3 := actor("U3")
	if !flow.OutlookOf(&r, flowtest.Policy(), &u3).Offers(flow.EvApprove) {
		t.Error("U3's approval was at an older commit, but U3 is not offered Approve")
	}
}

// TestWaitingApprovers: the outlook names who may still approve: the
// environment's approvers, less the requester without self-approval and
// those who already approved the current plan.
func TestWaitingApprovers(t *testing.T) {
	pol := flowtest.Policy()
	r := fixture(flow.AwaitingApproval)
	r.Environment = "prod" // approvers U2, U3, U4; two approvals; no self-approval
	r.Requester = actor("U2")
	r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1", At: t0}}
	got := flow.OutlookOf(&r, pol, nil).Approvals
	if diff := cmp.Diff([]string{"U4"}, got.Waiting); diff != "" || got.AnyoneMay {
		t.Errorf("prod waiting (-want +got):\n%s anyone=%v", diff, got.AnyoneMay)
	}
	sandbox := fixture(flow.AwaitingApproval)
	sandbox.Environment = "sandbox" // approvers "*"
	if got := flow.OutlookOf(&sandbox, pol, nil).Approvals; len(got.Waiting) != 0 || !got.AnyoneMay {
		t.Errorf("sandbox: waiting %v anyone %v, want none named and anyone", got.Waiting, got.AnyoneMay)
	}
	approved := fixture(flow.Approved)
	if got := flow.OutlookOf(&approved, pol, nil).Approvals; got.Waiting != nil || got.AnyoneMay {
		t.Errorf("approved: waiting %v anyone %v, want nobody", got.Waiting, got.AnyoneMay)
	}
}
