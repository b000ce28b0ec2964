package flow_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

const (
	ownMod    = "module.tfpilot_0000000000aa"
	otherFile = "envs/dev/tfpilot_0000000000bb.tf" // another request's file
)

// replanning is a request TfPilot is planning again by itself after its
// base moved from b1 to b2 (carrying plan run 101, approved by U3), whose
// new plan run has finished.
func replanning(f ...func(*flow.Request)) flow.Request {
	r := fixture(flow.Planning)
	r.Change.BaseSHA = "b2"
	r.Owed = []flow.Effect{{ID: "9-watch_run", Kind: flow.EffWatchRun, Workflow: flow.WorkflowPlan}}
	r.Carry = &flow.Carry{PlanRunID: 101, BaseSHA: "b1", Digest: "d1",
		Approvals: []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h0", At: t0}}}
	for _, fn := range f {
		fn(&r)
	}
	return r
}

// samePlan is the new plan: what plan run 101 planned in the request's
// module (digest d1), after another request's file moved the base.
func samePlan(f ...func(*flow.Event)) flow.Event {
	return result(flow.EvPlanFinished, "9-watch_run", append([]func(*flow.Event){func(e *flow.Event) {
		e.Run = plan2
		e.Plan = &flow.PlanSummary{Create: 1, Resources: []flow.ResourceChange{{Address: ownMod + ".aws_s3_bucket.this", Action: "create"}},
			ModuleDigests: map[string]string{ownMod: "d1"}}
		e.BaseMoves = &flow.BaseMoves{Paths: []string{otherFile}}
	}}, f...)...)
}

func movedBy(paths ...string) func(*flow.Event) {
	return func(e *flow.Event) { e.BaseMoves = &flow.BaseMoves{Paths: paths} }
}

// TestStepCarry: a plan TfPilot made again by itself keeps the approvals of
// the approved plan before it only when it is provably the same change —
// the base moved only by other requests' files and the plan makes the same
// changes in the request's module and none outside it, the environment not
// held — and goes on to apply when Apply had been pressed. Anything else
// waits for a new approval and says why.
func TestStepCarry(t *testing.T) {
	type want struct {
		State     flow.State
		Approvers []string
		Carried   int64  // CarriedFrom of the approvals that count
		Says      string // in the reply
		Applies   int64  // the plan run an owed apply dispatch names
	}
	tests := []struct {
		name string
		r    flow.Request
		ev   flow.Event
		want want
	}{
		{"same change after another request merged", replanning(), samePlan(),
			want{flow.Approved, []string{"U3"}, 101, "so the approval of user U3 carries over. Ready to apply.", 0}},
		{"another environment's request file moved the base too", replanning(), samePlan(movedBy(otherFile, "envs/prod/tfpilot_0000000000cc.tf")),
			want{flow.Approved, []string{"U3"}, 101, "carries over", 0}},
		{"the apply asked for goes ahead", replanning(func(r *flow.Request) { r.Carry.ApplyBy = &flow.Actor{ID: "U1"} }), samePlan(),
			want{flow.Applying, []string{"U3"}, 101, "the apply goes ahead", 102}},
		{"prod: one of two approvals carried", replanning(inProd), samePlan(movedBy("envs/prod/tfpilot_0000000000bb.tf")),
			want{flow.AwaitingApproval, []string{"U3"}, 101, "carries over (1 of 2). Waiting for approval.", 0}},
		{"a carried approval carries again, naming the plan approved", replanning(func(r *flow.Request) { r.Carry.Approvals[0].CarriedFrom = 99 }), samePlan(),
			want{flow.Approved, []string{"U3"}, 99, "carries over", 0}},
		{"a module moved the base", replanning(), samePlan(movedBy(otherFile, "modules/s3_bucket/main.tf")),
			want{flow.AwaitingApproval, nil, 0, "does not carry over to it: the base branch changed more than other requests' files: modules/s3_bucket/main.tf.", 0}},
		{"hand-written Terraform moved the base", replanning(), samePlan(movedBy("envs/dev/main.tf")),
			want{flow.AwaitingApproval, nil, 0, "other requests' files: envs/dev/main.tf", 0}},
		{"the request's own file moved on the base", replanning(), samePlan(movedBy("envs/dev/tfpilot_0000000000aa.tf")),
			want{flow.AwaitingApproval, nil, 0, "other requests' files: envs/dev/tfpilot_0000000000aa.tf", 0}},
		{"an override file named like a request's", replanning(), samePlan(movedBy("envs/dev/tfpilot_0000000000bb_override.tf")),
			want{flow.AwaitingApproval, nil, 0, "other requests' files: envs/dev/tfpilot_0000000000bb_override.tf", 0}},
		{"another request's file holds what TfPilot does not write", replanning(), samePlan(func(e *flow.Event) {
			e.BaseMoves.NotRendered = []string{otherFile + ": it holds a provider block"}
		}), want{flow.AwaitingApproval, nil, 0, "does not carry over to it: " + otherFile + " is named like a request's file but is not one TfPilot writes: it holds a provider block.", 0}},
		{"several request files hold what TfPilot does not write", replanning(func(r *flow.Request) { r.Carry.ApplyBy = &flow.Actor{ID: "U1"} }), samePlan(func(e *flow.Event) {
			e.BaseMoves.Paths = append(e.BaseMoves.Paths, "envs/dev/tfpilot_0000000000cc.tf")
			e.BaseMoves.NotRendered = []string{otherFile + ": it holds 2 blocks, not one", "envs/dev/tfpilot_0000000000cc.tf: it sets x outside any block"}
		}), want{flow.AwaitingApproval, nil, 0, "is not one TfPilot writes: it holds 2 blocks, not one (and 1 more like it)", 0}},
		{"many paths are listed in part", replanning(), samePlan(movedBy("a", "b", "c", "d", "e")),
			want{flow.AwaitingApproval, nil, 0, "other requests' files: a, b, c and 2 more.", 0}},
		{"the base moves could not be listed", replanning(), samePlan(func(e *flow.Event) { e.BaseMoves = &flow.BaseMoves{Unknown: "something went wrong (ref x)"} }),
			want{flow.AwaitingApproval, nil, 0, "could not be listed (something went wrong (ref x))", 0}},
		{"the base moves were not looked up", replanning(), samePlan(func(e *flow.Event) { e.BaseMoves = nil }),
			want{flow.AwaitingApproval, nil, 0, "was not looked up", 0}},
		{"the module's changes differ", replanning(), samePlan(func(e *flow.Event) { e.Plan.ModuleDigests[ownMod] = "d2" }),
			want{flow.AwaitingApproval, nil, 0, "the new plan changes " + ownMod + " differently from plan run 101", 0}},
		{"the plan has no digest", replanning(), samePlan(func(e *flow.Event) { e.Plan.ModuleDigests = nil }),
			want{flow.AwaitingApproval, nil, 0, "differently from plan run 101", 0}},
		{"the plan changes something outside the module", replanning(), samePlan(func(e *flow.Event) {
			e.Plan.Resources = append(e.Plan.Resources, flow.ResourceChange{Address: "aws_iam_role.r", Action: "update"})
		}), want{flow.AwaitingApproval, nil, 0, "the new plan changes resources outside " + ownMod, 0}},
		{"a static preview", replanning(), samePlan(func(e *flow.Event) { e.Plan.Preview = true }),
			want{flow.AwaitingApproval, nil, 0, "is not a Terraform plan", 0}},
		{"the environment is held", replanning(), samePlan(heldBy("bucket-a1b2")),
			want{flow.AwaitingApproval, nil, 0, "dev is held by bucket-a1b2, applied but not merged", 0}},
		{"an apply asked for does not go ahead on another change", replanning(func(r *flow.Request) { r.Carry.ApplyBy = &flow.Actor{ID: "U1"} }),
			samePlan(movedBy("envs/dev/main.tf")),
			want{flow.AwaitingApproval, nil, 0, "does not carry over to it", 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, effects, err := flow.Step(tc.r, tc.ev, flowtest.Policy())
			if err != nil {
				t.Fatal(err)
			}
			g := want{State: got.State, Approvers: flow.CurrentApprovers(&got)}
			for _, a := range flow.CurrentApprovals(&got) {
				g.Carried = a.CarriedFrom
			}
			for _, e := range effects {
				switch e.Kind {
				case flow.EffReply:
					if strings.Contains(e.Text, tc.want.Says) {
						g.Says = tc.want.Says
					} else {
						g.Says = e.Text
					}
				case flow.EffDispatchApply:
					g.Applies = e.PlanRunID
				}
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.Carry != nil {
				t.Errorf("the carry outlived the plan: %+v", got.Carry)
			}
		})
	}
}

// TestStepKeepsCarry: the approved plan is kept only when TfPilot itself
// plans again because the base moved, and only when there is something to
// carry; a person's own move drops it.
func TestStepKeepsCarry(t *testing.T) {
	digested := func(r *flow.Request) { r.Plan.ModuleDigests = map[string]string{ownMod: "d1"} }
	moved := func(e *flow.Event) {
		e.Change = &flow.Change{Branch: "tfpilot/" + flowtest.RequestID, Number: 7, HeadSHA: "h1", BaseSHA: "b2"}
	}
	tests := []struct {
		name string
		r    flow.Request
		ev   flow.Event
		want *flow.Carry
	}{
		{"another request merged under an approved plan", with(fixture(flow.Approved), digested), ev(flow.EvBaseMerged, "", baseMergedBy),
			&flow.Carry{PlanRunID: 101, BaseSHA: "b1", Digest: "d1", Approvals: []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1", At: t0}}}},
		{"the base moved under an approved plan", with(fixture(flow.Approved), digested), ev(flow.EvChangeMoved, "", moved),
			&flow.Carry{PlanRunID: 101, BaseSHA: "b1", Digest: "d1", Approvals: []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1", At: t0}}}},
		{"the base moved while an apply waited for its turn", with(fixture(flow.Applying), func(r *flow.Request) {
			digested(r)
			r.ApplyRun = nil
			r.Owed = []flow.Effect{{ID: "14-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}}
			r.History = []flow.Transition{{Seq: 13, Actor: "U1", Event: flow.EvApply, From: flow.Approved, To: flow.Applying}}
		}), result(flow.EvChangeMoved, "14-dispatch_apply", moved),
			&flow.Carry{PlanRunID: 101, BaseSHA: "b1", Digest: "d1", ApplyBy: &flow.Actor{ID: "U1"}, Approvals: []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1", At: t0}}}},
		{"the base moved again while a carried apply waited for its turn", with(fixture(flow.Applying), func(r *flow.Request) {
			digested(r)
			r.ApplyRun = nil
			r.Owed = []flow.Effect{{ID: "14-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}}
			r.History = []flow.Transition{
				{Seq: 9, Actor: "U1", Event: flow.EvApply, From: flow.Approved, To: flow.Applying},
				{Seq: 13, Actor: flow.System.ID, Event: flow.EvPlanFinished, From: flow.Planning, To: flow.Applying},
			}
		}), result(flow.EvChangeMoved, "14-dispatch_apply", moved),
			&flow.Carry{PlanRunID: 101, BaseSHA: "b1", Digest: "d1", ApplyBy: &flow.Actor{ID: "U1"}, Approvals: []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1", At: t0}}}},
		{"the apply was pressed by someone allowed through a group", with(fixture(flow.Applying), func(r *flow.Request) {
			digested(r)
			r.ApplyRun = nil
			r.Applier = &flow.Actor{ID: "U9", Name: "user U9", Groups: []string{"S7"}}
			r.Owed = []flow.Effect{{ID: "14-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}}
			r.History = []flow.Transition{{Seq: 13, Actor: "U9", Event: flow.EvApply, From: flow.Approved, To: flow.Applying}}
		}), result(flow.EvChangeMoved, "14-dispatch_apply", moved),
			&flow.Carry{PlanRunID: 101, BaseSHA: "b1", Digest: "d1", ApplyBy: &flow.Actor{ID: "U9", Name: "user U9", Groups: []string{"S7"}},
				Approvals: []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1", At: t0}}}},
		{"nobody approved yet", with(fixture(flow.AwaitingApproval), digested), ev(flow.EvBaseMerged, "", baseMergedBy), nil},
		{"the plan has no digest", fixture(flow.Approved), ev(flow.EvBaseMerged, "", baseMergedBy), nil},
		{"a stale plan", with(fixture(flow.Stale), func(r *flow.Request) {
			digested(r)
			r.Approvals = []flow.Approval{{Actor: actor("U3"), PlanRunID: 101, HeadSHA: "h1"}}
		}), ev(flow.EvBaseMerged, "", baseMergedBy), nil},
		{"a static preview", with(fixture(flow.Approved), func(r *flow.Request) { digested(r); r.Plan.Preview = true }),
			ev(flow.EvBaseMerged, "", baseMergedBy), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := flow.Step(tc.r, tc.ev, flowtest.Policy())
			if err != nil {
				t.Fatal(err)
			}
			if got.State != flow.OpeningPR {
				t.Fatalf("state %s, want opening_pr", got.State)
			}
			if diff := cmp.Diff(tc.want, got.Carry); diff != "" {
				t.Errorf("carry (-want +got):\n%s", diff)
			}
		})
	}
	// A person's cancel drops the carry (nothing else can be done while
	// the plan is made again).
	r := replanning(func(r *flow.Request) { r.State = flow.OpeningPR; r.Owed = nil })
	got, _, err := flow.Step(r, ev(flow.EvCancel, "U1"), flowtest.Policy())
	if err != nil {
		t.Fatal(err)
	}
	if got.Carry != nil {
		t.Errorf("cancel kept the carry")
	}
}
