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

func scanOften(c *flow.Config) { c.ChangeScan = time.Millisecond }

// TestEngineNoticesPRClosedByHand: a pull request closed outside TfPilot
// while its request waits for approval is noticed by the scan, with
// nobody clicking: the request is cancelled, saying why. A request whose
// pull request is open is left alone, and the scan asks the repository
// once per pass, not once per request.
func TestEngineNoticesPRClosedByHand(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a", scanOften)
	a, b := h.toAwaiting("dev"), h.toAwaiting("dev")
	ports.Repo.CloseByHand("tfpilot/" + a)
	h.waitFor(a, "cancelled by the scan", func(r *flow.Request) bool { return r.State == flow.Cancelled })
	h.settle()
	r := h.get(a)
	if !strings.Contains(strings.Join(ports.Chat.Replies(a), "\n"), "closed outside TfPilot") {
		t.Errorf("replies %q say nothing of the pull request closed outside TfPilot", ports.Chat.Replies(a))
	}
	if r.Change == nil || !r.Change.Closed || r.Change.Merged {
		t.Errorf("change %+v, want closed, not merged", r.Change)
	}
	if rb := h.get(b); rb.State != flow.AwaitingApproval {
		t.Errorf("B: %s, want awaiting approval (its pull request is open)", rb.State)
	}
}

// TestEnginePRMergedByHand: a pull request merged outside TfPilot before
// apply puts its change in the base branch without applying it. The scan
// notices; the request plans the base as it is (its branch re-made at the
// base head, no new commit or pull request), holds its environment — B
// there may not be approved meanwhile — and is approved and applied as
// usual; then B may go on.
func TestEnginePRMergedByHand(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a", scanOften)
	a, b := h.toAwaiting("dev"), h.toAwaiting("dev")
	before := h.get(a)
	ports.Repo.MergeByHand("tfpilot/" + a)
	r := h.waitFor(a, "planned from the base", func(r *flow.Request) bool {
		return r.State == flow.AwaitingApproval && r.PlanRun != nil && r.PlanRun.ID != before.PlanRun.ID && len(r.Owed) == 0
	})
	if !r.Change.Merged || r.Change.HeadSHA != r.Change.BaseSHA || r.Change.Number != before.Change.Number {
		t.Errorf("change %+v, want merged, at the base head, with its pull request #%d", r.Change, before.Change.Number)
	}
	if c := ports.Repo.Counts(); c.PRs != 2 {
		t.Errorf("%d pull requests opened, want 2 (none for the re-made branch)", c.PRs)
	}
	// B re-plans on the base that now holds A's unapplied file (its plan
	// would create A's resources): approving it is refused while A holds dev.
	if _, err := h.eng.Handle(context.Background(), b, flow.Event{Kind: flow.EvApprove, Key: h.key(), Actor: actor("U3")}); !errors.Is(err, flow.ErrBadEvent) {
		t.Fatalf("B approve after A's merge moved the base: %v, want refused (B plans again on the new base)", err)
	}
	h.settle()
	_, err := h.eng.Handle(context.Background(), b, flow.Event{Kind: flow.EvApprove, Key: h.key(), Actor: actor("U3")})
	if !errors.Is(err, flow.ErrHeld) || !strings.Contains(err.Error(), "merged outside TfPilot but not applied") {
		t.Fatalf("B approve while A is merged but not applied: %v, want the hold", err)
	}
	h.handle(a, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")})
	h.handle(a, flow.Event{Kind: flow.EvApply, Actor: actor("U1")})
	h.settle()
	if r := h.get(a); r.State != flow.Applied || len(r.Owed) != 0 || ports.Runs.Count(a, flow.WorkflowApply) != 1 {
		t.Fatalf("A: state %s owed %v apply runs %d problem %q", r.State, r.Owed, ports.Runs.Count(a, flow.WorkflowApply), r.Problem)
	}
	// A applied: B may be approved (its plan, on the base with A's file,
	// changed nothing of A's since A's merge moved no base).
	if r := h.handle(b, flow.Event{Kind: flow.EvApprove, Actor: actor("U3")}); r.State != flow.Approved {
		t.Errorf("B after A applied: %s (problem %q), want approved", r.State, r.Problem)
	}
}
