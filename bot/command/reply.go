package command

import (
	"fmt"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/registry"
)

// Reply is what a surface answers a typed command whose event ev the
// engine took, r being the request as the engine saved it; "" when the
// request's card and state say enough. A typed approve acts on whatever
// plan is current, not on a card the person saw, so its reply names the
// plan it approved, by run and counts: "Approved plan run 123 (1 to
// create) of 0a1b2c3d4e5f."
func Reply(ev flow.Event, r *flow.Request) string {
	if ev.Kind != flow.EvApprove || r == nil {
		return ""
	}
	var run int64
	for _, a := range r.Approvals {
		if a.Actor.ID == ev.Actor.ID {
			run = a.PlanRunID // the latest approval by this person
		}
	}
	if run == 0 {
		return ""
	}
	counts := ""
	if r.Plan != nil && r.PlanRun != nil && r.PlanRun.ID == run {
		counts = " (" + r.Plan.Counts() + ")"
		if r.Plan.Preview {
			counts = " (a static preview, not a Terraform plan: " + r.Plan.Counts() + ")"
		}
	}
	return fmt.Sprintf("Approved plan run %d%s of %s.", run, counts, registry.Label(r.ID))
}
