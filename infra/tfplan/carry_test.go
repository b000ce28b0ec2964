package tfplan

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

func summarizeFile(t *testing.T, name string) flow.PlanSummary {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCarryAgainstHandMergedRequestFile: someone merges by hand, under
// another request's file name (envs/dev/tfpilot_0000000000bb.tf), Terraform
// that does something at apply while leaving the request's module alone:
// a check block whose data source is read again at apply (its program
// would run with the apply's credentials), or an import of an existing
// object into the environment's state. Real Terraform 1.5.7
// plans of the same root before and after (testdata/README.md): the
// module's digest is the same, so only what the plan does outside the
// module can tell; an approval given on the plan before must not carry
// over to it. An import into the request's own module changes its digest.
func TestCarryAgainstHandMergedRequestFile(t *testing.T) {
	approved := summarizeFile(t, "tf157_carry_approved_plan.json")
	const own = "module.tfpilot_0000000000aa"
	if approved.ModuleDigests[own] == "" {
		t.Fatalf("the approved plan has no digest of %s: %v", own, approved.ModuleDigests)
	}
	tests := []struct {
		name, plan string
		sameDigest bool
		says       string
	}{
		{"a check block whose data source is read again at apply", "tf157_carry_check_read_plan.json", true,
			"reads data.terraform_remote_state.other outside module.tfpilot_0000000000aa"},
		{"an import of an existing object outside the module", "tf157_carry_import_plan.json", true,
			"changes resources outside module.tfpilot_0000000000aa"},
		{"an import into the request's module", "tf157_carry_import_into_plan.json", false,
			"changes module.tfpilot_0000000000aa differently from plan run 101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := summarizeFile(t, tc.plan)
			if got := plan.ModuleDigests[own] == approved.ModuleDigests[own]; got != tc.sameDigest {
				t.Errorf("same digest of %s: %v, want %v", own, got, tc.sameDigest)
			}
			r := flowtest.RequestIn(flow.Planning)
			r.Change.BaseSHA = "b2"
			r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
			r.Carry = &flow.Carry{PlanRunID: 101, BaseSHA: "b1", Digest: approved.ModuleDigests[own], ApplyBy: &flow.Actor{ID: "U1"},
				Approvals: []flow.Approval{{Actor: flow.Actor{ID: "U3"}, PlanRunID: 101, HeadSHA: "h0", At: flowtest.T0}}}
			ev := flow.Event{Kind: flow.EvPlanFinished, Key: "9-watch_run", EffectID: "9-watch_run", Actor: flow.System, At: flowtest.T0,
				Run:       &flow.Run{Workflow: flow.WorkflowPlan, ID: 102, HeadSHA: "h1", Status: flow.RunSucceeded},
				Plan:      &plan,
				BaseMoves: &flow.BaseMoves{Paths: []string{"envs/dev/tfpilot_0000000000bb.tf"}}}
			got, effects, err := flow.Step(r, ev, flowtest.Policy())
			if err != nil {
				t.Fatal(err)
			}
			var says string
			for _, e := range effects {
				if e.Kind == flow.EffReply && strings.Contains(e.Text, tc.says) {
					says = tc.says
				}
			}
			type outcome struct {
				State    flow.State
				Approved int
				Says     string
			}
			want := outcome{flow.AwaitingApproval, 0, tc.says}
			if diff := cmp.Diff(want, outcome{got.State, len(flow.CurrentApprovals(&got)), says}); diff != "" {
				t.Errorf("(-want +got):\n%s\nhistory: %+v", diff, got.History)
			}
		})
	}
}

// TestSummarizeImports: an import that changes nothing else is planned as
// a no-op carrying "importing"; it is a change all the same (the object
// joins the environment's state), so it is counted and listed, as
// Terraform's own "1 to import" line does, and digested in its module.
func TestSummarizeImports(t *testing.T) {
	s := summarizeFile(t, "tf157_carry_import_plan.json")
	type summary struct {
		Counts    string
		Resources []flow.ResourceChange
	}
	want := summary{"1 to import, 1 to create", []flow.ResourceChange{
		{Address: "terraform_data.adopted", Action: ActionImport},
		{Address: "module.tfpilot_0000000000aa.terraform_data.this", Action: ActionCreate},
	}}
	if diff := cmp.Diff(want, summary{s.Counts(), s.Resources}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
