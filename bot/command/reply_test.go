package command

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
)

// TestReply: a typed approve's reply names the plan it approved, by run and
// counts; other commands leave it to the card.
func TestReply(t *testing.T) {
	bob := flow.Actor{ID: "bob"}
	approved := &flow.Request{ID: "01900000-0000-7000-8000-00000000bbbb", State: flow.Approved,
		PlanRun: &flow.Run{ID: 123, HeadSHA: "h2"}, Plan: &flow.PlanSummary{Create: 1, Delete: 2},
		Approvals: []flow.Approval{
			{Actor: bob, PlanRunID: 100, HeadSHA: "h1"},
			{Actor: flow.Actor{ID: "carol"}, PlanRunID: 123, HeadSHA: "h2"},
			{Actor: bob, PlanRunID: 123, HeadSHA: "h2"},
		}}
	preview := *approved
	preview.Plan = &flow.PlanSummary{Create: 1, Preview: true}
	tests := []struct {
		name string
		ev   flow.Event
		r    *flow.Request
		want string
	}{
		{"approve names the plan run and its counts", flow.Event{Kind: flow.EvApprove, Actor: bob}, approved,
			"Approved plan run 123 (1 to create, 2 to destroy) of 00000000bbbb."},
		{"a static preview is not called a plan's counts", flow.Event{Kind: flow.EvApprove, Actor: bob}, &preview,
			"Approved plan run 123 (a static preview, not a Terraform plan: 1 to create) of 00000000bbbb."},
		{"another command", flow.Event{Kind: flow.EvReplan, Actor: bob}, approved, ""},
		{"no approval by the actor", flow.Event{Kind: flow.EvApprove, Actor: flow.Actor{ID: "dave"}}, approved, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Reply(tt.ev, tt.r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
