package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/internal/slackfake"
)

// TestStaleApproveClick: an Approve pressed on a card drawn for an older
// plan (the card had not refreshed when the request was planned again) is
// refused: the approver is told the plan changed, is shown the current
// card ephemerally, and the refusal is audited as a denial; Approve on the
// current card is accepted, and a typed approve names the plan it approved.
func TestStaleApproveClick(t *testing.T) {
	h := newHarness(t)
	ctx, fake := h.ctx, h.fake
	if _, err := fake.SlashCommand(ctx, "U1", "C1", "new s3-bucket env=prod name=invoices"); err != nil {
		t.Fatal(err)
	}
	h.settle()
	msgs := fake.Messages("C1")
	if len(msgs) == 0 {
		t.Fatal("no card posted")
	}
	root := msgs[0]
	click := func(user string, b foundButton) {
		t.Helper()
		if _, err := fake.Click(ctx, slackfake.Click{User: user, Channel: "C1", MessageTS: root.TS, ActionID: b.ActionID, Value: b.Value}); err != nil {
			t.Fatal(err)
		}
		h.settle()
	}
	onCard := func(action, text string) foundButton {
		t.Helper()
		m, _ := fake.Get("C1", root.TS)
		return find(t, m.Blocks, action, text)
	}
	click("U1", onCard("submit", "Submit"))
	r := h.request(t)
	if r.State != flow.AwaitingApproval || r.PlanRun == nil {
		t.Fatalf("after submit: %s, want awaiting_approval with a plan", r.State)
	}
	first := r.PlanRun.ID
	stale := onCard("approve", "Approve") // drawn for the first plan

	click("U1", onCard("replan", "Re-plan"))
	r = h.request(t)
	if r.State != flow.AwaitingApproval || r.PlanRun == nil || r.PlanRun.ID == first {
		t.Fatalf("after re-plan: %s, plan %+v; want awaiting approval of a new plan run", r.State, r.PlanRun)
	}
	second := r.PlanRun.ID

	// U2 presses Approve on the card as it was before the re-plan.
	click("U2", stale)
	r = h.request(t)
	if r.State != flow.AwaitingApproval || len(flow.CurrentApprovers(r)) != 0 {
		t.Fatalf("after the stale click: %s, approvers %v; want awaiting approval, none", r.State, flow.CurrentApprovers(r))
	}
	eph := fake.Ephemeral("U2")
	if len(eph) != 2 {
		t.Fatalf("ephemeral messages to U2 = %d, want the refusal and the current card: %+v", len(eph), eph)
	}
	want := fmt.Sprintf("the plan changed since this card: approve the new plan (run %d) on the updated card", second)
	if !strings.Contains(eph[0].Text, want) {
		t.Errorf("refusal %q, want %q", eph[0].Text, want)
	}
	current := find(t, eph[1].Blocks, "approve", "Approve")
	if wantValue := fmt.Sprintf("%s|@%d:%s", r.ID, second, r.PlanRun.HeadSHA); current.Value != wantValue {
		t.Errorf("current card's Approve value %q, want %q", current.Value, wantValue)
	}
	denied := false
	for _, rec := range h.ports.Audit.Records(r.ID) {
		if rec.Denied && rec.Event == "approve" && rec.Actor.ID == "U2" && rec.Result == want {
			denied = true
		}
	}
	if !denied {
		t.Errorf("no audited denial of U2's stale approve: %+v", h.ports.Audit.Records(r.ID))
	}

	// The card of the current plan approves it.
	click("U2", current)
	r = h.request(t)
	if r.State != flow.Approved || r.Approvals[len(r.Approvals)-1].PlanRunID != second {
		t.Fatalf("after Approve on the current card: %s, approvals %+v; want approved, of run %d", r.State, r.Approvals, second)
	}

	// A typed approve acts on the current plan and says which.
	click("U1", onCard("replan", "Re-plan"))
	r = h.request(t)
	third := r.PlanRun.ID
	if _, err := fake.SlashCommand(ctx, "U2", "C1", "approve "+r.Label); err != nil {
		t.Fatal(err)
	}
	h.settle()
	eph = fake.Ephemeral("U2")
	wantReply := fmt.Sprintf("Approved plan run %d (%s) of %s.", third, r.Plan.Counts(), r.Label)
	if got := eph[len(eph)-1].Text; !strings.Contains(got, wantReply) {
		t.Errorf("typed approve's reply %q, want %q", got, wantReply)
	}
	if r = h.request(t); r.State != flow.Approved {
		t.Errorf("after the typed approve: %s, want approved", r.State)
	}
}
