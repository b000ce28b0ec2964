package card

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestCardsOfferWhatStepAccepts walks every state × request button × actor:
// a card for a viewer shows a button exactly when Step accepts its event
// from them, and a card for everyone shows it exactly when Step accepts it
// from someone. The card holds no rule of its own.
func TestCardsOfferWhatStepAccepts(t *testing.T) {
	pol := flowtest.Policy()
	var people []flow.Actor
	for _, id := range []string{"U1", "U2", "U3", "U4", "U9", "S1"} {
		people = append(people, flow.Actor{ID: id})
	}
	people = append(people, flow.Actor{ID: "U7", Groups: []string{"S1"}})
	// Plans with a change outside the request (flow.ScopeFindings): none,
	// one to acknowledge, one that blocks.
	outside := map[string]*flow.ResourceChange{"": nil,
		"update": {Address: "aws_iam_role.ci", Action: "update"}, "delete": {Address: "aws_iam_role.ci", Action: "delete"}}
	for _, s := range flow.States() {
		for _, env := range []string{"dev", "prod", "sandbox"} {
			for _, failed := range []bool{false, true} {
				for kind, rc := range outside {
					r := flowtest.RequestIn(s)
					if r.Environment != "" {
						r.Environment = env
					}
					if failed {
						r.FailedEffect = &flow.Effect{ID: "9-dispatch_plan", Kind: flow.EffDispatchPlan}
					}
					if rc != nil && r.Plan != nil {
						r.Plan.Resources = append(r.Plan.Resources, *rc)
					}
					name := fmt.Sprintf("%s/%s/failed=%v/outside=%s", s, env, failed, kind)
					offersWhatStepAccepts(t, name, r, pol, people)
				}
			}
		}
	}
}

// offersWhatStepAccepts checks the buttons of r's card, for each viewer and
// shared, against the moves Step accepts (an approve accepting the findings
// that need acknowledgement is the "Approve and acknowledge" button).
func offersWhatStepAccepts(t *testing.T, name string, r flow.Request, pol flow.Policy, people []flow.Actor) {
	t.Helper()
	someone := map[Action]bool{}
	for _, a := range people {
		want := map[Action]bool{}
		for _, ev := range flow.MoveEvents() {
			e := flow.Event{Kind: ev, Actor: a, At: flowtest.T0}
			action := buttonSpecs[ev].action
			if acks := flow.NeedsAck(&r); ev == flow.EvApprove && len(acks) > 0 {
				e.Accepts, action = acks, ActApproveAck
			}
			next, _, err := flow.Step(r, e, pol)
			if err == nil && cmp.Diff(r, next) != "" {
				want[action] = true
				someone[action] = true
			}
		}
		c := ForRequest(&r, Options{Policy: &pol, Viewer: &a})
		got := shown(c)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s, viewer %s: buttons (-Step accepts +card shows):\n%s", name, a.ID, diff)
		}
		// The event a shown button's value sends (its plan included) is
		// accepted too.
		for _, b := range c.Buttons() {
			_, e, ok := ActionEvent(b.Action, b.Value)
			if !ok {
				continue
			}
			e.Actor, e.At = a, flowtest.T0
			if next, _, err := flow.Step(r, e, pol); err != nil || cmp.Diff(r, next) == "" {
				t.Errorf("%s, viewer %s: %s button (value %q) refused: %v", name, a.ID, b.Action, b.Value, err)
			}
		}
	}
	if diff := cmp.Diff(someone, shown(ForRequest(&r, Options{Policy: &pol}))); diff != "" {
		t.Errorf("%s, shared card: buttons (-Step accepts from someone +card shows):\n%s", name, diff)
	}
}

// shown is the set of request buttons a card shows (choice buttons are not
// moves of a request and are left out).
func shown(c Card) map[Action]bool {
	out := map[Action]bool{}
	for _, g := range c.Groups {
		for _, b := range g.Buttons {
			if _, ok := actionKind(b.Action); ok {
				out[b.Action] = true
			}
		}
	}
	return out
}
