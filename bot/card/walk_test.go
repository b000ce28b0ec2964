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
	for _, s := range flow.States() {
		for _, env := range []string{"dev", "prod", "sandbox"} {
			for _, failed := range []bool{false, true} {
				r := flowtest.RequestIn(s)
				if r.Environment != "" {
					r.Environment = env
				}
				if failed {
					r.FailedEffect = &flow.Effect{ID: "9-dispatch_plan", Kind: flow.EffDispatchPlan}
				}
				name := fmt.Sprintf("%s/%s/failed=%v", s, env, failed)
				someone := map[Action]bool{}
				for _, a := range people {
					want := map[Action]bool{}
					for _, ev := range flow.MoveEvents() {
						next, _, err := flow.Step(r, flow.Event{Kind: ev, Actor: a, At: flowtest.T0}, pol)
						if err == nil && cmp.Diff(r, next) != "" {
							want[buttonSpecs[ev].action] = true
							someone[buttonSpecs[ev].action] = true
						}
					}
					got := shown(ForRequest(&r, Options{Policy: &pol, Viewer: &a}))
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s, viewer %s: buttons (-Step accepts +card shows):\n%s", name, a.ID, diff)
					}
				}
				if diff := cmp.Diff(someone, shown(ForRequest(&r, Options{Policy: &pol}))); diff != "" {
					t.Errorf("%s, shared card: buttons (-Step accepts from someone +card shows):\n%s", name, diff)
				}
			}
		}
	}
}

// shown is the set of request buttons a card shows (choice buttons are not
// moves of a request and are left out).
func shown(c Card) map[Action]bool {
	out := map[Action]bool{}
	for _, g := range c.Groups {
		for _, b := range g.Buttons {
			if _, ok := ActionEvent(b.Action); ok {
				out[b.Action] = true
			}
		}
	}
	return out
}
