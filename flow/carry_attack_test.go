package flow_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// Attacks on carried approvals (flow/carry.go), step by step: each names
// what someone tried and what must come of it. Engine-level attacks are in
// engine_carry_attack_test.go, plans of hand-merged files in
// infra/tfplan/carry_test.go.

// carryOutcome is what a plan made again by itself came to.
type carryOutcome struct {
	State     flow.State
	Approvers []string
	Says      string // a reply containing it, or every reply
	Applies   bool   // an apply dispatch is owed
}

func stepCarry(t *testing.T, r flow.Request, e flow.Event, p flow.Policy, says string) carryOutcome {
	t.Helper()
	got, effects, err := flow.Step(r, e, p)
	if err != nil {
		t.Fatal(err)
	}
	out := carryOutcome{State: got.State, Approvers: flow.CurrentApprovers(&got)}
	var replies []string
	for _, e := range effects {
		switch e.Kind {
		case flow.EffReply:
			replies = append(replies, e.Text)
		case flow.EffDispatchApply:
			out.Applies = true
		}
	}
	out.Says = strings.Join(replies, " | ")
	if strings.Contains(out.Says, says) {
		out.Says = says
	}
	return out
}

// withPolicy is flowtest.Policy with dev's environment changed by f.
func withPolicy(f func(*flow.Environment)) flow.Policy {
	p := flowtest.Policy()
	for i := range p.Environments {
		if p.Environments[i].Name == "dev" {
			f(&p.Environments[i])
		}
	}
	return p
}

// TestCarryAttacks: what the new plan shows, or what changed around it,
// that must stop an approval from carrying over — and what must not.
func TestCarryAttacks(t *testing.T) {
	outside := func(action string) func(*flow.Event) {
		return func(e *flow.Event) {
			e.Plan.Resources = append(e.Plan.Resources, flow.ResourceChange{Address: "data.external.x", Action: action})
		}
	}
	selfApproved := func(r *flow.Request) { r.Carry.Approvals[0].Actor = actor("U1") } // U1 is the requester
	tests := []struct {
		name string
		r    flow.Request
		ev   flow.Event
		p    flow.Policy
		want carryOutcome
	}{
		// A file merged by hand under another request's name may hold
		// anything; the plan is what tells.
		{"a data source read at apply outside the module", replanning(), samePlan(outside("read")), flowtest.Policy(),
			carryOutcome{flow.AwaitingApproval, nil, "the new plan reads data.external.x outside " + ownMod + " when it is applied", false}},
		{"an object imported outside the module", replanning(), samePlan(outside("import")), flowtest.Policy(),
			carryOutcome{flow.AwaitingApproval, nil, "changes resources outside " + ownMod, false}},
		{"an object removed from the state outside the module", replanning(), samePlan(outside("forget")), flowtest.Policy(),
			carryOutcome{flow.AwaitingApproval, nil, "changes resources outside " + ownMod, false}},
		{"another module named like a longer label", replanning(), samePlan(func(e *flow.Event) {
			e.Plan.Resources = append(e.Plan.Resources, flow.ResourceChange{Address: ownMod + "ff.aws_s3_bucket.this", Action: "create"})
		}), flowtest.Policy(), carryOutcome{flow.AwaitingApproval, nil, "changes resources outside " + ownMod, false}},
		{"an instance key of the request's module is the module", replanning(), samePlan(func(e *flow.Event) {
			e.Plan.Resources[0].Address = ownMod + `[0].aws_s3_bucket.this`
		}), flowtest.Policy(), carryOutcome{flow.Approved, []string{"U3"}, "carries over", false}},
		// The operator changed the policy between the plans (a restart).
		{"the approver is no longer an approver", replanning(), samePlan(),
			withPolicy(func(e *flow.Environment) { e.Approvers = []string{"U2"} }),
			carryOutcome{flow.AwaitingApproval, nil, "user U3 may no longer approve in dev", false}},
		{"the person who pressed Apply may no longer apply", replanning(func(r *flow.Request) { r.Carry.ApplyBy = &flow.Actor{ID: "U1"} }), samePlan(),
			withPolicy(func(e *flow.Environment) { e.Appliers = []string{"U2"} }),
			carryOutcome{flow.Approved, []string{"U3"}, "<@U1> pressed Apply before the base moved but may no longer apply in dev", false}},
		{"Apply pressed by someone allowed through a user group goes ahead",
			replanning(func(r *flow.Request) {
				r.Carry.ApplyBy = &flow.Actor{ID: "U9", Name: "user U9", Groups: []string{"S7"}}
			}), samePlan(),
			withPolicy(func(e *flow.Environment) { e.Appliers = []string{"S7"} }),
			carryOutcome{flow.Applying, []string{"U3"}, "the apply goes ahead", true}},
		{"self-approval is no longer allowed", replanning(selfApproved), samePlan(),
			withPolicy(func(e *flow.Environment) { e.Approvers = append(e.Approvers, "U1"); e.AllowSelfApproval = false }),
			carryOutcome{flow.AwaitingApproval, nil, "user U1 may no longer approve in dev", false}},
		{"an apply asked for waits when its approver no longer counts", replanning(func(r *flow.Request) { r.Carry.ApplyBy = &flow.Actor{ID: "U1"} }), samePlan(),
			withPolicy(func(e *flow.Environment) { e.Approvers = []string{"U2"} }),
			carryOutcome{flow.AwaitingApproval, nil, "may no longer approve", false}},
		{"dev needs two approvals now: one carried", replanning(), samePlan(),
			withPolicy(func(e *flow.Environment) { e.ApprovalsRequired = 2 }),
			carryOutcome{flow.AwaitingApproval, []string{"U3"}, "carries over (1 of 2). Waiting for approval.", false}},
		// A destroy request's module is its target's.
		{"a destroy request: the same deletes", replanning(destroying), samePlan(), flowtest.Policy(),
			carryOutcome{flow.Approved, []string{"U3"}, "carries over", false}},
		{"a destroy request: its target's file moved on the base", replanning(destroying), samePlan(movedBy("envs/dev/tfpilot_0000000000aa.tf")), flowtest.Policy(),
			carryOutcome{flow.AwaitingApproval, nil, "other requests' files: envs/dev/tfpilot_0000000000aa.tf", false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := stepCarry(t, tc.r, tc.ev, tc.p, tc.want.Says)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// destroying makes the request a destroy of request ...0aa (its label is
// the target's, so its own module is the target's).
func destroying(r *flow.Request) {
	r.Kind, r.Target, r.Module = flow.KindDestroy, "01900000-0000-7000-8000-0000000000aa", ""
	r.Inputs, r.Sensitive = nil, nil
}

// TestQueuedApplyPushedNoCarry: an apply waited for its turn and, at its
// turn, the request's branch was not the planned commit: someone pushed to
// it. TfPilot plans its own change again (the push is thrown away), but the
// approval does not carry over to that plan — only a base moved by other
// requests does that — and the reply says what happened.
func TestQueuedApplyPushedNoCarry(t *testing.T) {
	r := with(fixture(flow.Applying), func(r *flow.Request) {
		r.Plan.ModuleDigests = map[string]string{ownMod: "d1"}
		r.ApplyRun = nil
		r.Owed = []flow.Effect{{ID: "14-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}}
		r.History = []flow.Transition{{Seq: 13, Actor: "U1", Event: flow.EvApply, From: flow.Approved, To: flow.Applying}}
	})
	for _, tc := range []struct {
		name       string
		head, base string
		carried    bool
		says       string
	}{
		{"pushed", "h9", "b1", false, "someone pushed to tfpilot/" + reqID},
		{"pushed and the base moved", "h9", "b2", false, "someone pushed to tfpilot/" + reqID},
		{"only the base moved", "h1", "b2", true, "The base moved while this apply waited for its turn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, effects, err := flow.Step(r, result(flow.EvChangeMoved, "14-dispatch_apply", func(e *flow.Event) {
				e.Change = &flow.Change{Branch: "tfpilot/" + reqID, Number: 7, HeadSHA: tc.head, BaseSHA: tc.base}
			}), flowtest.Policy())
			if err != nil {
				t.Fatal(err)
			}
			var says string
			for _, e := range effects {
				if e.Kind == flow.EffReply && strings.Contains(e.Text, tc.says) {
					says = tc.says
				}
			}
			if got.State != flow.OpeningPR || (got.Carry != nil) != tc.carried || says != tc.says {
				t.Errorf("state %s, carry %+v, replies %v; want opening_pr, carried %v, saying %q", got.State, got.Carry, effects, tc.carried, tc.says)
			}
		})
	}
}

// TestCarryRefusalRecorded: when an approval does not carry over, the
// request's history and audit record say why, not only the thread: the
// audit trail of who approved what must explain an approval that stopped
// counting.
func TestCarryRefusalRecorded(t *testing.T) {
	got, effects, err := flow.Step(replanning(), samePlan(movedBy("envs/dev/main.tf")), flowtest.Policy())
	if err != nil {
		t.Fatal(err)
	}
	const want = "approval of plan run 101 not carried: the base branch changed more than other requests' files: envs/dev/main.tf"
	if note := got.History[len(got.History)-1].Note; !strings.Contains(note, want) {
		t.Errorf("history note %q, want it to say %q", note, want)
	}
	for _, e := range effects {
		if e.Kind == flow.EffRecordAudit && !strings.Contains(e.Audit.Result, want) {
			t.Errorf("audit result %q, want it to say %q", e.Audit.Result, want)
		}
	}
}

// TestBaseMovedHintWithoutApprovals: in an environment that needs no
// approval, a plan made again after the base moved has nothing to carry;
// the reply must not ask anyone to approve it.
func TestBaseMovedHintWithoutApprovals(t *testing.T) {
	r := with(fixture(flow.Approved), func(r *flow.Request) {
		r.Environment, r.Approvals = "sandbox", nil
		r.Plan.ModuleDigests = map[string]string{ownMod: "d1"}
	})
	got, effects, err := flow.Step(r, ev(flow.EvChangeMoved, "", func(e *flow.Event) {
		e.Actor = flow.System
		e.Change = &flow.Change{Branch: "tfpilot/" + reqID, Number: 7, HeadSHA: "h1", BaseSHA: "b2"}
	}), flowtest.Policy())
	if err != nil || got.State != flow.OpeningPR {
		t.Fatalf("state %s, err %v; want opening_pr", got.State, err)
	}
	for _, e := range effects {
		if e.Kind == flow.EffReply && (strings.Contains(e.Text, "approve") || !strings.Contains(e.Text, "needs no approval")) {
			t.Errorf("reply %q: want no call to approve, and that sandbox needs no approval", e.Text)
		}
	}
}

// TestPressesWhileReplanning: while TfPilot makes the plan again with a
// carry, nothing a person presses may change what is carried: Edit,
// Reject, Re-plan, Approve and Apply are refused (there is no plan to act
// on), and Cancel ends the request, carry and all.
func TestPressesWhileReplanning(t *testing.T) {
	for _, st := range []flow.State{flow.OpeningPR, flow.Planning} {
		r := replanning(func(r *flow.Request) { r.State = st })
		for _, k := range []flow.EventKind{flow.EvEdit, flow.EvReject, flow.EvReplan, flow.EvApprove, flow.EvApply} {
			if _, _, err := flow.Step(r, ev(k, "U3"), flowtest.Policy()); err == nil {
				t.Errorf("%s in %s: accepted", k, st)
			}
		}
		got, _, err := flow.Step(r, ev(flow.EvCancel, "U1"), flowtest.Policy())
		if err != nil || got.State != flow.Cancelled || got.Carry != nil {
			t.Errorf("cancel in %s: state %s carry %+v err %v; want cancelled without a carry", st, got.State, got.Carry, err)
		}
	}
}
