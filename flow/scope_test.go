package flow_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// planOf gives a request the plan of changes, address → action.
func planOf(changes ...string) func(*flow.Request) {
	return func(r *flow.Request) {
		r.Plan = &flow.PlanSummary{}
		for i := 0; i+1 < len(changes); i += 2 {
			r.Plan.Resources = append(r.Plan.Resources, flow.ResourceChange{Address: changes[i], Action: changes[i+1]})
		}
	}
}

const (
	own      = "module.tfpilot_0000000000aa.aws_s3_bucket.this"
	other    = "module.tfpilot_0000000000bb.aws_s3_bucket.this"
	handmade = "aws_iam_role.ci"
)

func accepting(ids ...string) func(*flow.Event) { return func(e *flow.Event) { e.Accepts = ids } }

func applyOwed() []string {
	return effs("11-record_audit", "12-show_card", "13-reply", "14-dispatch_apply")
}

var scopeRules = []rule{
	{"a plan inside the request's module is approved as before", with(fixture(flow.AwaitingApproval), planOf(own, "create", own+"_policy", "delete")),
		ev(flow.EvApprove, "U3"), outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U3"}, Seen: 1}},
	{"a delete outside the module blocks approval", with(fixture(flow.AwaitingApproval), planOf(own, "create", other, "delete")),
		ev(flow.EvApprove, "U3", accepting("scope:delete")), outcome{State: flow.AwaitingApproval,
			Err: "The plan deletes 1 resource(s) outside this request's module module.tfpilot_0000000000aa: other requests' resources: " +
				"likely a module edited on main that now changes their instances. This request cannot be approved or applied; re-plan once main is fixed, or cancel it."}},
	{"a replace outside the module blocks apply", with(fixture(flow.Approved), planOf(handmade, "replace")),
		ev(flow.EvApply, "U1"), outcome{State: flow.Approved, Approvers: []string{"U3"},
			Err: "The plan replaces 1 resource(s) outside this request's module module.tfpilot_0000000000aa: resources TfPilot did not make: " +
				"likely hand-written Terraform on main, or drift being reverted. This request cannot be approved or applied; re-plan once main is fixed, or cancel it."}},
	{"an update outside the module needs acknowledging", with(fixture(flow.AwaitingApproval), planOf(own, "create", other, "update")),
		ev(flow.EvApprove, "U3"), outcome{State: flow.AwaitingApproval,
			Err: `this plan changes resources outside this request (scope:update); approve only if that is intended: press "Approve and acknowledge", or type /tfpilot approve 01900000-0000-7000-8000-0000000000aa ack`}},
	{"an approval must accept every finding", with(fixture(flow.AwaitingApproval), planOf(other, "update", handmade, "create")),
		ev(flow.EvApprove, "U3", accepting("scope:update")), outcome{State: flow.AwaitingApproval,
			Err: `this plan changes resources outside this request (scope:create); approve only if that is intended: press "Approve and acknowledge", or type /tfpilot approve 01900000-0000-7000-8000-0000000000aa ack`}},
	{"an approval that accepts the findings counts", with(fixture(flow.AwaitingApproval), planOf(other, "update", handmade, "create")),
		ev(flow.EvApprove, "U3", accepting("scope:update", "scope:create")),
		outcome{State: flow.Approved, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify"), Approvers: []string{"U3"}, Seen: 1}},
	{"findings to acknowledge wait for an approval where none is required", with(fixture(flow.Planning), func(r *flow.Request) {
		r.Environment = "sandbox"
		r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	}), result(flow.EvPlanFinished, "9-watch_run", func(e *flow.Event) {
		e.Run = &flow.Run{Workflow: flow.WorkflowPlan, ID: 101, HeadSHA: "h1", Status: flow.RunSucceeded}
		e.Plan = &flow.PlanSummary{Update: 1, Resources: []flow.ResourceChange{{Address: handmade, Action: "update"}}}
	}), outcome{State: flow.AwaitingApproval, Effects: effs("11-record_audit", "12-show_card", "13-reply", "14-notify")}},
	{"a destroy request's deletes of its target are expected", with(fixture(flow.Approved), func(r *flow.Request) {
		r.Kind, r.Target, r.Label = flow.KindDestroy, "01900000-0000-7000-8000-0000000000bb", "0000000000bb"
		planOf(other, "delete")(r)
	}), ev(flow.EvApply, "U1"), outcome{State: flow.Applying, Effects: applyOwed(), Approvers: []string{"U3"}, Seen: 1}},
}

func TestScopeRules(t *testing.T) {
	for _, tc := range scopeRules {
		t.Run(tc.name, func(t *testing.T) {
			got, effects, err := flow.Step(tc.r, tc.ev, flowtest.Policy())
			if diff := cmp.Diff(tc.want, project(tc.r, got, effects, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestScopeFindings(t *testing.T) {
	tests := []struct {
		name string
		r    flow.Request
		want []flow.Finding
	}{
		{"own module only", with(fixture(flow.AwaitingApproval), planOf(own, "create", "module.tfpilot_0000000000aa[0].x.y", "update")), nil},
		{"a module whose name only starts like ours is another's", with(fixture(flow.AwaitingApproval), planOf("module.tfpilot_0000000000aab.x.y", "create")),
			[]flow.Finding{{ID: "scope:create", Kind: flow.FindingNeedsAck, Addresses: []string{"module.tfpilot_0000000000aab.x.y"},
				Text: "The plan creates 1 resource(s) outside this request's module module.tfpilot_0000000000aa: other requests' resources: likely a module edited on main that now changes their instances."}}},
		{"drift being reverted, reads ignored", with(fixture(flow.AwaitingApproval), func(r *flow.Request) {
			planOf(handmade, "update", "data.aws_caller_identity.me", "read")(r)
			r.Plan.Drift = []flow.ResourceChange{{Address: handmade, Action: "update"}}
		}), []flow.Finding{{ID: "scope:update", Kind: flow.FindingNeedsAck, Addresses: []string{handmade},
			Text: "The plan updates 1 resource(s) outside this request's module module.tfpilot_0000000000aa: they changed outside Terraform and the plan reverts that drift."}}},
		{"an action TfPilot does not know outside the module blocks", with(fixture(flow.AwaitingApproval), planOf(handmade, "unknown: archive", own, "unknown: archive")),
			[]flow.Finding{{ID: "scope:unknown", Kind: flow.FindingBlocking, Addresses: []string{handmade},
				Text: "The plan changes, in ways TfPilot does not know, 1 resource(s) outside this request's module module.tfpilot_0000000000aa: resources TfPilot did not make: likely hand-written Terraform on main, or drift being reverted. This request cannot be approved or applied; re-plan once main is fixed, or cancel it."}}},
		{"a destroy request's target is its own module", with(fixture(flow.AwaitingApproval), func(r *flow.Request) {
			r.Kind, r.Label = flow.KindDestroy, "0000000000bb"
			planOf(other, "delete")(r)
		}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, flow.ScopeFindings(&tt.r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestScopeOutlook: blocking findings take Approve and Apply off the card;
// findings to acknowledge turn Approve into an approve that accepts them.
// Approve and Reject name the plan they act on.
func TestScopeOutlook(t *testing.T) {
	tests := []struct {
		name string
		r    flow.Request
		want []flow.Move
	}{
		{"blocking, awaiting approval", with(fixture(flow.AwaitingApproval), planOf(other, "delete")),
			[]flow.Move{{Event: flow.EvEdit}, {Event: flow.EvReplan}, {Event: flow.EvReject, PlanRunID: 101, PlanSHA: "h1"}, {Event: flow.EvCancel}}},
		{"blocking, approved", with(fixture(flow.Approved), planOf(other, "replace")),
			[]flow.Move{{Event: flow.EvEdit}, {Event: flow.EvReplan}, {Event: flow.EvReject, PlanRunID: 101, PlanSHA: "h1"}, {Event: flow.EvCancel}}},
		{"to acknowledge", with(fixture(flow.AwaitingApproval), planOf(other, "update", handmade, "create")),
			[]flow.Move{{Event: flow.EvApprove, Accepts: []string{"scope:update", "scope:create"}, PlanRunID: 101, PlanSHA: "h1"},
				{Event: flow.EvEdit}, {Event: flow.EvReplan}, {Event: flow.EvReject, PlanRunID: 101, PlanSHA: "h1"}, {Event: flow.EvCancel}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, flow.OutlookOf(&tt.r, flowtest.Policy(), nil).Moves); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
