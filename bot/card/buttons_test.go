package card

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// sha40 is a commit SHA as GitHub gives it.
const sha40 = "0123456789abcdef0123456789abcdef01234567"

// TestButtonValues: Approve, Reject and Apply (and "Approve and
// acknowledge") carry the plan run and commit their card was drawn for,
// other buttons only the request; ActionEvent reads back the event each
// sends.
func TestButtonValues(t *testing.T) {
	pol := flowtest.Policy()
	id := flowtest.RequestID
	plan := func(s flow.State, outside string) flow.Request {
		r := flowtest.RequestIn(s)
		r.PlanRun.ID, r.PlanRun.HeadSHA = 123456789012, sha40
		for i := range r.Approvals {
			r.Approvals[i].PlanRunID, r.Approvals[i].HeadSHA = r.PlanRun.ID, r.PlanRun.HeadSHA
		}
		if outside != "" {
			r.Plan.Resources = append(r.Plan.Resources, flow.ResourceChange{Address: "aws_iam_role.ci", Action: outside})
		}
		return r
	}
	type pressed struct {
		Value string
		ID    string
		Event flow.Event
	}
	tests := []struct {
		name string
		r    flow.Request
		want map[Action]pressed
	}{
		{"awaiting approval", plan(flow.AwaitingApproval, ""), map[Action]pressed{
			ActApprove: {id + "|@123456789012:" + sha40, id, flow.Event{Kind: flow.EvApprove, PlanRunID: 123456789012, PlanSHA: sha40}},
			ActEdit:    {id, id, flow.Event{Kind: flow.EvEdit}},
			ActReplan:  {id, id, flow.Event{Kind: flow.EvReplan}},
			ActReject:  {id + "|@123456789012:" + sha40, id, flow.Event{Kind: flow.EvReject, PlanRunID: 123456789012, PlanSHA: sha40}},
			ActCancel:  {id, id, flow.Event{Kind: flow.EvCancel}},
		}},
		{"to acknowledge", plan(flow.AwaitingApproval, "update"), map[Action]pressed{
			ActApproveAck: {id + "|@123456789012:" + sha40 + "|scope:update", id,
				flow.Event{Kind: flow.EvApprove, PlanRunID: 123456789012, PlanSHA: sha40, Accepts: []string{"scope:update"}}},
			ActEdit:   {id, id, flow.Event{Kind: flow.EvEdit}},
			ActReplan: {id, id, flow.Event{Kind: flow.EvReplan}},
			ActReject: {id + "|@123456789012:" + sha40, id, flow.Event{Kind: flow.EvReject, PlanRunID: 123456789012, PlanSHA: sha40}},
			ActCancel: {id, id, flow.Event{Kind: flow.EvCancel}},
		}},
		{"approved", plan(flow.Approved, ""), map[Action]pressed{
			ActApply:  {id + "|@123456789012:" + sha40, id, flow.Event{Kind: flow.EvApply, PlanRunID: 123456789012, PlanSHA: sha40}},
			ActEdit:   {id, id, flow.Event{Kind: flow.EvEdit}},
			ActReplan: {id, id, flow.Event{Kind: flow.EvReplan}},
			ActReject: {id + "|@123456789012:" + sha40, id, flow.Event{Kind: flow.EvReject, PlanRunID: 123456789012, PlanSHA: sha40}},
			ActCancel: {id, id, flow.Event{Kind: flow.EvCancel}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[Action]pressed{}
			for _, b := range ForRequest(&tt.r, Options{Policy: &pol}).Buttons() {
				id, ev, ok := ActionEvent(b.Action, b.Value)
				if !ok {
					t.Errorf("%s: ActionEvent(%q) not ok", b.Action, b.Value)
				}
				got[b.Action] = pressed{b.Value, id, ev}
				if len(b.Value) > 2000 {
					t.Errorf("%s: value of %d bytes, more than Slack's 2000", b.Action, len(b.Value))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("buttons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutdatedButtonRefused: a button of a card drawn for one plan, pressed
// after the request was planned again, is refused by Step with the new
// plan's run; the same button on the new card is accepted.
func TestOutdatedButtonRefused(t *testing.T) {
	pol := flowtest.Policy()
	for _, tc := range []struct {
		state  flow.State
		action Action
		actor  string
	}{
		{flow.AwaitingApproval, ActApprove, "U3"},
		{flow.AwaitingApproval, ActReject, "U3"},
		{flow.Approved, ActApply, "U1"},
	} {
		drawn := flowtest.RequestIn(tc.state)
		old := button(t, ForRequest(&drawn, Options{Policy: &pol}), tc.action)
		now := drawn
		now.PlanRun = &flow.Run{Workflow: flow.WorkflowPlan, ID: 102, HeadSHA: "h2", Status: flow.RunSucceeded}
		if tc.state == flow.Approved {
			now.Approvals = []flow.Approval{{Actor: flow.Actor{ID: "U3"}, PlanRunID: 102, HeadSHA: "h2"}}
		}
		_, ev, _ := ActionEvent(old.Action, old.Value)
		ev.Actor, ev.At = flow.Actor{ID: tc.actor}, flowtest.T0
		_, _, err := flow.Step(now, ev, pol)
		want := "the plan changed since this card: " + strings.ToLower(old.Text) + " the new plan (run 102) on the updated card"
		if !errors.Is(err, flow.ErrPlanChanged) || err.Error() != want {
			t.Errorf("%s on a card of plan run 101, now 102: %v; want %q", tc.action, err, want)
		}
		fresh := button(t, ForRequest(&now, Options{Policy: &pol}), tc.action)
		_, ev, _ = ActionEvent(fresh.Action, fresh.Value)
		ev.Actor, ev.At = flow.Actor{ID: tc.actor}, flowtest.T0
		if _, _, err := flow.Step(now, ev, pol); err != nil {
			t.Errorf("%s on the new card: %v", tc.action, err)
		}
	}
}

// TestActionEventBadPlan: a value whose plan part cannot be read is not
// taken as a press on the current plan.
func TestActionEventBadPlan(t *testing.T) {
	for _, v := range []string{"id|@", "id|@x:abc", "id|@-1:abc", "id|@12"} {
		if _, ev, ok := ActionEvent(ActApprove, v); ok {
			t.Errorf("ActionEvent(approve, %q) = %+v, ok; want not ok", v, ev)
		}
	}
	// A card drawn before buttons carried the plan acts as a typed command.
	if id, ev, ok := ActionEvent(ActApprove, "id"); !ok || id != "id" || ev.PlanRunID != 0 {
		t.Errorf(`ActionEvent(approve, "id") = %q %+v %v`, id, ev, ok)
	}
}

// button returns the button of action a on c.
func button(t *testing.T, c Card, a Action) Button {
	t.Helper()
	for _, b := range c.Buttons() {
		if b.Action == a {
			return b
		}
	}
	t.Fatalf("no %s button on %q", a, c.Title)
	return Button{}
}
