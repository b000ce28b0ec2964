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
