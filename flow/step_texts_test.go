package flow_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestPlanReadyTexts pins what people read when a plan finishes: counts in
// Terraform's words, and a static preview never called a plan.
func TestPlanReadyTexts(t *testing.T) {
	tests := []struct {
		name       string
		plan       flow.PlanSummary
		wantReply  string
		wantNotice string
	}{
		{"terraform plan", flow.PlanSummary{Create: 2, Replace: 1, Delete: 1},
			"Plan ready (2 to create, 1 to replace, 1 to destroy). Waiting for approval.",
			"Plan ready for approval (2 to create, 1 to replace, 1 to destroy)"},
		{"no changes", flow.PlanSummary{NoOp: 3},
			"Plan ready (no changes). Waiting for approval.",
			"Plan ready for approval (no changes)"},
		{"static preview", flow.PlanSummary{Create: 7, Preview: true},
			"Preview ready (7 to create; static preview, not a Terraform plan). Waiting for approval.",
			"Preview ready for approval (7 to create; static preview, not a Terraform plan)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := with(fixture(flow.Planning), func(r *flow.Request) {
				r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
			})
			plan := tt.plan
			ev := result(flow.EvPlanFinished, "9-watch_run", func(e *flow.Event) { e.Run, e.Plan = plan2, &plan })
			_, effects, err := flow.Step(r, ev, flowtest.Policy())
			if err != nil {
				t.Fatal(err)
			}
			var reply, notice string
			for _, e := range effects {
				switch e.Kind {
				case flow.EffReply:
					reply = e.Text
				case flow.EffNotify:
					notice = e.Text
				}
			}
			if diff := cmp.Diff(tt.wantReply, reply); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			if len(notice) < len(tt.wantNotice) || notice[:len(tt.wantNotice)] != tt.wantNotice {
				t.Errorf("notification = %q, want it to start with %q", notice, tt.wantNotice)
			}
		})
	}
}

// TestPlanRefusalTexts pins what a person reads when approve, reject or
// apply does not fit: the verb they tried, and where the request really is.
func TestPlanRefusalTexts(t *testing.T) {
	tests := []struct {
		state flow.State
		kind  flow.EventKind
		want  string
	}{
		{flow.ChoosingModule, flow.EvReject, "there is no plan to reject yet: the request is still choosing a module; cancel it instead"},
		{flow.CollectingInputs, flow.EvReject, "there is no plan to reject yet: the request is still collecting inputs; cancel it instead"},
		{flow.Confirming, flow.EvReject, "there is no plan to reject yet: the request has not been submitted yet; cancel it instead"},
		{flow.CollectingInputs, flow.EvApprove, "there is no plan to approve yet: the request is still collecting inputs; it is planned once it is submitted"},
		{flow.Planning, flow.EvApprove, "there is no plan to approve yet — wait for the plan to finish"},
		{flow.Planning, flow.EvReject, "there is no plan to reject yet — wait for the plan to finish, or cancel the request"},
		{flow.Applying, flow.EvReject, "this plan is being applied; it can no longer be rejected"},
		{flow.PlanFailed, flow.EvReject, "the plan failed, so there is nothing to reject; edit the inputs or re-plan, or cancel the request"},
		{flow.Stale, flow.EvReject, "the branch or its base moved after the plan, so there is no current plan to reject; press Re-plan, or cancel the request"},
		{flow.CollectingInputs, flow.EvApply, "there is no plan to apply yet: the request is still collecting inputs; submit it, and apply once its plan is approved"},
		{flow.PlanFailed, flow.EvApply, "the plan failed, so there is nothing to apply; edit the inputs or re-plan"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+"/"+tt.state.String(), func(t *testing.T) {
			_, _, err := flow.Step(fixture(tt.state), ev(tt.kind, "U3"), flowtest.Policy())
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("refusal (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanRefusalsNameTheVerb checks, in every state that is not over,
// that refusing approve, reject or apply names what the person tried.
func TestPlanRefusalsNameTheVerb(t *testing.T) {
	verbs := map[flow.EventKind]string{flow.EvApprove: "approv", flow.EvReject: "reject", flow.EvApply: "appl"}
	for kind, verb := range verbs {
		for _, s := range flow.States() {
			if s.Terminal() {
				continue
			}
			_, _, err := flow.Step(fixture(s), ev(kind, "U3"), flowtest.Policy())
			if err == nil {
				continue // accepted here
			}
			if !strings.Contains(err.Error(), verb) {
				t.Errorf("%s in %s: %v; want a refusal naming %q", kind, s, err, verb)
			}
		}
	}
}

// TestNoApprovalNeeded tells a plan approved by people from one that
// needed no approval.
func TestNoApprovalNeeded(t *testing.T) {
	noApprovals := with(fixture(flow.Approved), func(r *flow.Request) { r.Approvals = nil })
	tests := []struct {
		name string
		r    flow.Request
		want bool
	}{
		{"approved by an approver", fixture(flow.Approved), false},
		{"approved with no approval", noApprovals, true},
		{"awaiting approval", fixture(flow.AwaitingApproval), false},
		{"applied", with(fixture(flow.Applied), func(r *flow.Request) { r.Approvals = nil }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flow.NoApprovalNeeded(&tt.r); got != tt.want {
				t.Errorf("NoApprovalNeeded = %v, want %v", got, tt.want)
			}
		})
	}
}
