package flow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// anotherRequestFile is a request file of dev that is not any harness
// request's: the base moved by another request's merge.
const anotherRequestFile = "envs/dev/tfpilot_0123456789ab.tf"

// TestEnginePressRefusedAfterBaseMoveChangesNothing: after the base moved
// by another request's file, a press Step refuses whatever the move —
// someone who may not approve or apply, or anyone while the environment is
// held — is refused for its own reason, and nothing else happens: no plan
// is made again (a stranger cannot spend workflow runs, nor throw away the
// approvals a re-plan during the hold would not carry).
func TestEnginePressRefusedAfterBaseMoveChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		approved bool
		press    flow.Event
		hold     bool
		err      error
		says     string
	}{
		{"a stranger approves", false, flow.Event{Kind: flow.EvApprove, Actor: actor("U9")}, false, flow.ErrDenied, "you are not an approver for dev"},
		{"a stranger applies", true, flow.Event{Kind: flow.EvApply, Actor: actor("U9")}, false, flow.ErrDenied, "you are not allowed to apply in dev"},
		{"an approver approves while dev is held", false, flow.Event{Kind: flow.EvApprove, Actor: actor("U2")}, true, flow.ErrHeld, "dev is held by"},
		{"an apply while dev is held", true, flow.Event{Kind: flow.EvApply, Actor: actor("U1")}, true, flow.ErrHeld, "dev is held by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h := newHarness(t, ports, "a")
			b := h.toAwaiting("dev")
			if tc.approved {
				h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
			}
			if tc.hold {
				a := h.toAwaiting("dev")
				ports.Repo.Fail("MergeChange", -1, &flow.MergeRefusedError{Reason: "a review is required"})
				h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
				h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
				h.settle()
				if r := h.get(a); r.State != flow.AppliedNotMerged {
					t.Fatalf("A: state %s, want applied_not_merged", r.State)
				}
			}
			before := h.get(b)
			ports.Repo.MoveBaseBy(anotherRequestFile)
			tc.press.Key = h.key()
			_, err := h.eng.Handle(context.Background(), b, tc.press)
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("press: %v, want %v saying %q", err, tc.err, tc.says)
			}
			h.settle()
			r := h.get(b)
			if r.State != before.State || r.PlanRun.ID != before.PlanRun.ID || ports.Runs.Count(b, flow.WorkflowPlan) != 1 ||
				len(flow.CurrentApprovals(r)) != len(flow.CurrentApprovals(before)) {
				t.Errorf("B: state %s (was %s), plan run %d (was %d), %d plan runs, approvals %+v; want nothing changed",
					r.State, before.State, r.PlanRun.ID, before.PlanRun.ID, ports.Runs.Count(b, flow.WorkflowPlan), flow.CurrentApprovals(r))
			}
		})
	}
}

// TestEngineApproveAfterPushIsStale: someone pushed to the request's
// branch (and the base moved too, or not) after its plan: an Approve then
// makes the request stale and is refused — the approval is not counted,
// not carried, and nothing is planned by itself.
func TestEngineApproveAfterPushIsStale(t *testing.T) {
	for _, baseToo := range []bool{false, true} {
		t.Run(map[bool]string{false: "branch only", true: "branch and base"}[baseToo], func(t *testing.T) {
			ports := flowtest.NewPorts()
			h := newHarness(t, ports, "a")
			b := h.toAwaiting("dev")
			ports.Repo.Push("tfpilot/" + b)
			if baseToo {
				ports.Repo.MoveBaseBy(anotherRequestFile)
			}
			_, err := h.eng.Handle(context.Background(), b, flow.Event{Kind: flow.EvApprove, Key: h.key(), Actor: actor("U3")})
			if err == nil || !strings.Contains(err.Error(), "press Re-plan") {
				t.Errorf("approve: %v, want refused: re-plan first", err)
			}
			h.settle()
			r := h.get(b)
			if r.State != flow.Stale || len(r.Approvals) != 0 || r.Carry != nil || ports.Runs.Count(b, flow.WorkflowPlan) != 1 {
				t.Errorf("state %s, approvals %+v, carry %+v, %d plan runs; want stale, none, none, 1",
					r.State, r.Approvals, r.Carry, ports.Runs.Count(b, flow.WorkflowPlan))
			}
		})
	}
}

// TestEngineCarrySurvivesRestart: the replica making B's plan again dies
// while the run is in progress; the next replica (after the lease expires)
// finishes it with the carry the store kept — and carries the approval
// only if the policy it was started with still lets the approver approve.
func TestEngineCarrySurvivesRestart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		approver []string
		want     flow.State
		says     string
	}{
		{"same policy", []string{"U2", "U3", "S1"}, flow.Approved, "carries over"},
		{"U3 is no longer an approver", []string{"U2"}, flow.AwaitingApproval, "user U3 may no longer approve in dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports := flowtest.NewPorts()
			h1 := newHarness(t, ports, "replica-1")
			a, b := h1.toAwaiting("dev"), h1.toAwaiting("dev")
			h1.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
			first := h1.get(b).PlanRun.ID
			h1.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
			gate := ports.Runs.Block("Status:plan") // every plan so far has finished
			h1.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
			select {
			case <-gate.Entered():
			case <-time.After(5 * time.Second):
				t.Fatal("B's new plan was never followed")
			}
			if r := h1.get(b); r.State != flow.Planning || r.Carry == nil {
				t.Fatalf("B while its new plan runs: state %s carry %+v, want planning with a carry", r.State, r.Carry)
			}
			h1.stop()
			ports.Runs.Clear("Status:plan")
			ports.Clock.Advance(2 * time.Minute)

			h2 := newHarness(t, ports, "replica-2", func(c *flow.Config) {
				for i := range c.Policy.Environments {
					if c.Policy.Environments[i].Name == "dev" {
						c.Policy.Environments[i].Approvers = tc.approver
					}
				}
			})
			h2.settle()
			r := h2.get(b)
			if r.State != tc.want || r.Carry != nil || r.PlanRun.ID == first || ports.Runs.Count(b, flow.WorkflowPlan) != 2 {
				t.Errorf("B: state %s (want %s), carry %+v, plan run %d (first %d), %d plan runs (want 2), problem %q",
					r.State, tc.want, r.Carry, r.PlanRun.ID, first, ports.Runs.Count(b, flow.WorkflowPlan), r.Problem)
			}
			if !replied(ports, b, tc.says) {
				t.Errorf("B's replies do not say %q: %q", tc.says, ports.Chat.Replies(b))
			}
		})
	}
}

// TestEngineCarryAfterTransientCompareError: the comparison of the base
// failing once (a 502) is retried, and the approval carries over as if it
// had not failed; only a comparison that keeps failing costs an approval
// (TestEngineNoCarryWhenTheBaseMovesCannotBeListed).
func TestEngineCarryAfterTransientCompareError(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	b := h.toAwaiting("dev")
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	ports.Repo.MoveBaseBy(anotherRequestFile)
	ports.Repo.Fail("BaseMoves", 1, errors.New("compare: 502 bad gateway"))
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(b); r.State != flow.Applied || approvalsGiven(r) != 1 || ports.Runs.Count(b, flow.WorkflowPlan) != 2 {
		t.Errorf("state %s, %d approvals given, %d plan runs, problem %q; want applied on the second plan with one approval",
			r.State, approvalsGiven(r), ports.Runs.Count(b, flow.WorkflowPlan), r.Problem)
	}
}

// TestEngineApproveTwiceAfterBaseMove: a double click on Approve after
// the base moved counts one approval; the second press finds the plan
// being made again and is refused, and the one approval carries over.
func TestEngineApproveTwiceAfterBaseMove(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	b := h.toAwaiting("dev")
	ports.Repo.MoveBaseBy(anotherRequestFile)
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	if _, err := h.eng.Handle(context.Background(), b, flow.Event{Kind: flow.EvApprove, Key: h.key(), Actor: actor("U3")}); err == nil {
		t.Errorf("second approve accepted while the plan is made again")
	}
	h.settle()
	r := h.get(b)
	if r.State != flow.Approved || approvalsGiven(r) != 1 || len(flow.CurrentApprovals(r)) != 1 || flow.CurrentApprovals(r)[0].CarriedFrom == 0 {
		t.Errorf("state %s, %d approvals given, current %+v; want approved by one carried approval", r.State, approvalsGiven(r), flow.CurrentApprovals(r))
	}
}

// TestEngineOldCardAfterCarry: the approver presses Approve again on the
// card of the plan they approved, after their approval carried over to the
// plan made on the new base. The press is refused, and the reply says
// their approval carried over — not that they should approve the new plan.
// An Apply from that card is refused too: the person applies the plan on
// the updated card.
func TestEngineOldCardAfterCarry(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	b := h.toAwaiting("dev")
	old := h.get(b).PlanRun
	ports.Repo.MoveBaseBy(anotherRequestFile)
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3"), PlanRunID: old.ID, PlanSHA: old.HeadSHA})
	h.settle()
	r := h.get(b)
	if r.State != flow.Approved || r.PlanRun.ID == old.ID {
		t.Fatalf("B: state %s plan run %d (old %d), want approved on a new plan", r.State, r.PlanRun.ID, old.ID)
	}
	press := func(k flow.EventKind, who string) error {
		_, err := h.eng.Handle(context.Background(), b, flow.Event{Kind: k, Key: h.key(), Actor: actor(who), PlanRunID: old.ID, PlanSHA: old.HeadSHA})
		return err
	}
	if err := press(flow.EvApprove, "U3"); !errors.Is(err, flow.ErrPlanChanged) || !strings.Contains(err.Error(), "your approval of plan run") {
		t.Errorf("U3 approves from the old card: %v, want refused saying the approval carried over", err)
	}
	if err := press(flow.EvApply, "U1"); !errors.Is(err, flow.ErrPlanChanged) || !strings.Contains(err.Error(), "apply the new plan") {
		t.Errorf("apply from the old card: %v, want refused: apply the new plan", err)
	}
	if r := h.get(b); r.State != flow.Approved || ports.Runs.Count(b, flow.WorkflowApply) != 0 {
		t.Errorf("B: state %s, %d applies; want approved, nothing applied", r.State, ports.Runs.Count(b, flow.WorkflowApply))
	}
}
