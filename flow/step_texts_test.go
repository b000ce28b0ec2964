package flow_test

import (
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
