package flow_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// plannedFromBase waits until id, merged by hand, is planned from the base
// with nothing owed.
func (h *harness) plannedFromBase(id string) *flow.Request {
	h.t.Helper()
	return h.waitFor(id, "planned from the base", func(r *flow.Request) bool {
		return r.State == flow.AwaitingApproval && r.Change != nil && r.Change.Merged && r.Change.HeadSHA == r.Change.BaseSHA && len(r.Owed) == 0
	})
}

// TestEngineTwoMergedByHand: two pull requests of one environment merged
// by hand at once both hold it. They must not hold each other for ever:
// the older goes first (the newer is held by it), and once it is applied
// the newer re-plans and is applied in turn.
func TestEngineTwoMergedByHand(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a", scanOften)
	a, b := h.toAwaiting("dev"), h.toAwaiting("dev")
	ports.Repo.MergeByHand("tfpilot/" + a)
	ports.Repo.MergeByHand("tfpilot/" + b)
	h.plannedFromBase(a)
	planB := h.plannedFromBase(b).PlanRun.ID
	if _, err := h.eng.Handle(context.Background(), b, flow.Event{Kind: flow.EvApprove, Key: h.key(), Actor: actor("U3")}); !errors.Is(err, flow.ErrHeld) {
		t.Fatalf("approve the newer while the older is merged but not applied: %v, want held", err)
	}
	if r := h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); r.State != flow.Approved {
		t.Fatalf("approve the older: %s (problem %q), want approved: neither may hold the other for ever", r.State, r.Problem)
	}
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(a); r.State != flow.Applied || len(r.Owed) != 0 {
		t.Fatalf("older: %s owed %v problem %q, want applied", r.State, r.Owed, r.Problem)
	}
	if r := h.plannedFromBase(b); r.PlanRun.ID == planB {
		t.Fatalf("newer kept plan run %d made before the older applied, want a new plan", planB)
	}
	if r := h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); r.State != flow.Approved {
		t.Fatalf("approve the newer once the older applied: %s (problem %q), want approved", r.State, r.Problem)
	}
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(b); r.State != flow.Applied || len(r.Owed) != 0 {
		t.Fatalf("newer: %s owed %v problem %q, want applied", r.State, r.Owed, r.Problem)
	}
}

// TestEngineMergedByHandWhileRunning: a pull request merged by hand while
// its request is not waiting for a person is noticed all the same. While
// its plan runs: once the plan lands the scan sees it and the request is
// planned again from the base. While its apply runs: what was merged is
// what is being applied, so the apply finishing is enough; TfPilot's own
// merge finds it merged and the request ends applied, with no plan from
// the base and no hold left behind.
func TestEngineMergedByHandWhileRunning(t *testing.T) {
	t.Run("planning", func(t *testing.T) {
		ports := flowtest.NewPorts()
		h := newHarness(t, ports, "a", scanOften)
		gate := ports.Runs.Block("Status:plan")
		id := h.submit("dev")
		<-gate.Entered()
		if r := h.get(id); r.State != flow.Planning {
			t.Fatalf("state %s, want planning", r.State)
		}
		ports.Repo.MergeByHand("tfpilot/" + id)
		gate.Release()
		h.plannedFromBase(id)
	})
	t.Run("applying", func(t *testing.T) {
		ports := flowtest.NewPorts()
		h := newHarness(t, ports, "a", scanOften)
		id := h.toAwaiting("dev")
		other := h.toAwaiting("dev")
		h.handle(id, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
		gate := ports.Runs.Block("Status:apply")
		h.handle(id, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
		<-gate.Entered()
		ports.Repo.MergeByHand("tfpilot/" + id)
		gate.Release()
		h.settle()
		r := h.get(id)
		if r.State != flow.Applied || !r.Change.Merged || len(r.Owed) != 0 || ports.Runs.Count(id, flow.WorkflowApply) != 1 || ports.Runs.Count(id, flow.WorkflowPlan) != 1 {
			t.Fatalf("state %s merged %v owed %v runs plan %d apply %d problem %q, want applied once, merged, planned once",
				r.State, r.Change.Merged, r.Owed, ports.Runs.Count(id, flow.WorkflowPlan), ports.Runs.Count(id, flow.WorkflowApply), r.Problem)
		}
		if c := ports.Repo.Counts(); c.Merges != 0 {
			t.Errorf("TfPilot merged %d times, want 0 (merged by hand already)", c.Merges)
		}
		// The other plan was made before the merge: it re-plans, and may be
		// approved (nothing holds dev).
		h.waitFor(other, "re-planned", func(r *flow.Request) bool {
			return r.State == flow.AwaitingApproval && ports.Runs.Count(other, flow.WorkflowPlan) == 2 && len(r.Owed) == 0
		})
		if r := h.handle(other, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); r.State != flow.Approved {
			t.Errorf("other after the merge: %s (problem %q), want approved", r.State, r.Problem)
		}
	})
}

// TestEngineMergedByHandQueued: the plan of a request merged by hand waits
// in the queue behind another request's apply; meanwhile the base moves
// again (another merge). At its turn the branch is re-made at the base as
// it is then, so what is planned is the base that would be applied, not
// the one of when it queued.
func TestEngineMergedByHandQueued(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a", scanOften)
	a, b := h.toAwaiting("dev"), h.toAwaiting("dev")
	h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	gate := ports.Runs.Block("Status:apply")
	h.handle(b, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	<-gate.Entered()
	ports.Repo.MergeByHand("tfpilot/" + a)
	queued := h.waitFor(a, "queued behind the apply", func(r *flow.Request) bool {
		return r.State == flow.Planning && r.Queue != nil && r.Change.Merged
	})
	ports.Repo.MoveBase()
	gate.Release()
	r := h.plannedFromBase(a)
	now, err := ports.Repo.ChangeStatus(context.Background(), r.Project, *r.Change)
	if err != nil {
		t.Fatal(err)
	}
	if r.Change.HeadSHA == queued.Change.HeadSHA || r.Change.HeadSHA != now.BaseSHA || r.PlanRun.HeadSHA != now.BaseSHA {
		t.Errorf("planned %s on branch %s (queued at %s), want the base at its turn, %s", r.PlanRun.HeadSHA, r.Change.HeadSHA, queued.Change.HeadSHA, now.BaseSHA)
	}
}
