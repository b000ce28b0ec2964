package flow_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestStaleApplierDoesNotApply: Request.Applier names who pressed Apply
// for the current plan. A move that forgets the plan forgets it too, and
// one left on a request that is not applying (a record saved mid-way, an
// apply dispatch that failed before the change moved) never sends a plan
// TfPilot makes again by itself on to apply: only an apply that waited for
// its turn carries who asked for it (Carry.ApplyBy).
func TestStaleApplierDoesNotApply(t *testing.T) {
	pressed := &flow.Actor{ID: "U1", Name: "user U1", Groups: []string{"S7"}}
	approved := func(r *flow.Request) {
		r.Plan.ModuleDigests = map[string]string{ownMod: "d1"}
		r.Applier = pressed
	}
	// dispatchFailed is an apply whose dispatch ran out of retries: no
	// apply run, a Retry would dispatch it.
	dispatchFailed := func(r *flow.Request) {
		approved(r)
		r.ApplyRun = nil
		r.FailedEffect = &flow.Effect{ID: "14-dispatch_apply", Kind: flow.EffDispatchApply, PlanRunID: 101}
	}
	moved := func(e *flow.Event) {
		e.Change = &flow.Change{Branch: "tfpilot/" + flowtest.RequestID, Number: 7, HeadSHA: "h1", BaseSHA: "b2"}
	}
	type outcome struct {
		State   flow.State
		Applier *flow.Actor
		ApplyBy *flow.Actor // the carry's
	}
	for _, tc := range []struct {
		name  string
		r     flow.Request
		steps []flow.Event
		want  outcome
	}{
		{"edit", with(fixture(flow.Approved), approved), []flow.Event{ev(flow.EvEdit, "U1")}, outcome{flow.CollectingInputs, nil, nil}},
		{"re-plan", with(fixture(flow.Approved), approved), []flow.Event{ev(flow.EvReplan, "U1")}, outcome{flow.Planning, nil, nil}},
		{"reject", with(fixture(flow.Approved), approved), []flow.Event{ev(flow.EvReject, "U3")}, outcome{flow.Rejected, nil, nil}},
		{"re-plan after a failed apply", with(fixture(flow.ApplyFailed), approved), []flow.Event{ev(flow.EvReplan, "U1")}, outcome{flow.Planning, nil, nil}},
		{"merged by hand after a failed apply dispatch", with(fixture(flow.Applying), dispatchFailed),
			[]flow.Event{ev(flow.EvChangeClosed, "", func(e *flow.Event) {
				e.Actor = flow.System
				e.Change = &flow.Change{Branch: "tfpilot/" + flowtest.RequestID, Number: 7, HeadSHA: "h1", BaseSHA: "b1", Closed: true, Merged: true}
			})},
			outcome{flow.OpeningPR, nil, nil}},
		{"another request merged under an approved plan with an Applier left on it", with(fixture(flow.Approved), approved),
			[]flow.Event{ev(flow.EvBaseMerged, "", baseMergedBy)}, outcome{flow.OpeningPR, nil, nil}},
		{"the change moved under a failed apply dispatch, then another request merged", with(fixture(flow.Applying), dispatchFailed),
			[]flow.Event{ev(flow.EvChangeMoved, "", func(e *flow.Event) { moved(e); e.Actor = flow.System }), ev(flow.EvBaseMerged, "", baseMergedBy)},
			outcome{flow.OpeningPR, nil, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			for i, e := range tc.steps {
				e.Key = e.Key + string(rune('a'+i))
				var err error
				if r, _, err = flow.Step(r, e, flowtest.Policy()); err != nil {
					t.Fatalf("%s: %v", e.Kind, err)
				}
			}
			got := outcome{State: r.State, Applier: r.Applier}
			if r.Carry != nil {
				got.ApplyBy = r.Carry.ApplyBy
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRetriedApplyNamesWhoRetried: a Retry of a failed apply dispatch asks
// for the apply now, so the request keeps the person who retried as who
// asked (Request.Applier), as if they had pressed Apply; a Retry of other
// work leaves it alone.
func TestRetriedApplyNamesWhoRetried(t *testing.T) {
	pressed := &flow.Actor{ID: "U1", Name: "user U1"}
	failed := func(kind flow.EffectKind) func(r *flow.Request) {
		return func(r *flow.Request) {
			r.ApplyRun, r.Applier = nil, pressed
			r.FailedEffect = &flow.Effect{ID: "14-" + kind.String(), Kind: kind, PlanRunID: 101}
		}
	}
	got, _, err := flow.Step(with(fixture(flow.Applying), failed(flow.EffDispatchApply)), ev(flow.EvRetry, "U2"), flowtest.Policy())
	if err != nil {
		t.Fatal(err)
	}
	if got.Applier == nil || got.Applier.ID != "U2" {
		t.Errorf("after U2 retried the apply dispatch, Applier = %+v, want U2", got.Applier)
	}
	got, _, err = flow.Step(with(fixture(flow.Planning), failed(flow.EffDispatchPlan)), ev(flow.EvRetry, "U2"), flowtest.Policy())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pressed, got.Applier); diff != "" {
		t.Errorf("a retried plan dispatch changed Applier (-want +got):\n%s", diff)
	}
}
