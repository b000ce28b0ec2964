package card

import (
	"github.com/tfpilot/tfpilot/flow"
)

// buttonSpec is one request action and when it makes sense.
type buttonSpec struct {
	action Action
	text   string
	style  Style
	policy flow.Action // checked against the viewer
	states []flow.State
	// confirm is the confirmation question, if any.
	confirm string
}

var postPlan = []flow.State{flow.AwaitingApproval, flow.Approved, flow.Stale, flow.PlanFailed, flow.ApplyFailed}

var buttonSpecs = []buttonSpec{
	{ActSubmit, "Submit", StylePrimary, flow.ActRequest, []flow.State{flow.Confirming}, ""},
	{ActApprove, "Approve", StylePrimary, flow.ActApprove, []flow.State{flow.AwaitingApproval}, ""},
	{ActApply, "Apply", StylePrimary, flow.ActApply, []flow.State{flow.Approved}, "Apply the approved plan now?"},
	{ActEdit, "Edit inputs", StyleDefault, flow.ActRequest, append([]flow.State{flow.CollectingInputs, flow.Confirming}, postPlan...), ""},
	{ActReplan, "Re-plan", StyleDefault, flow.ActRequest, postPlan, ""},
	{ActReject, "Reject", StyleDanger, flow.ActReject, []flow.State{flow.AwaitingApproval, flow.Approved}, "Reject this plan and close the pull request?"},
	{ActCancel, "Cancel", StyleDanger, flow.ActCancel, []flow.State{flow.ChoosingModule, flow.CollectingInputs, flow.Confirming,
		flow.OpeningPR, flow.Planning, flow.AwaitingApproval, flow.Approved, flow.Stale, flow.PlanFailed, flow.ApplyFailed},
		"Cancel this request and close its pull request?"},
}

// Buttons returns the request actions that make sense in r's state, in
// display order. Retry appears whenever an effect ran out of retries. With
// a viewer and a policy, actions the policy would refuse the viewer are left
// out (a shared channel card passes nil for both and shows them all; the
// engine re-checks every click anyway).
func Buttons(r *flow.Request, viewer *flow.Actor, pol *flow.Policy) []Button {
	var out []Button
	if r.FailedEffect != nil && !r.State.Terminal() && allowed(r, viewer, pol, flow.ActRequest, ActRetry) {
		out = append(out, Button{Text: "Retry", Action: ActRetry, Value: Value(r.ID), Style: StylePrimary})
	}
	for _, s := range buttonSpecs {
		if !hasState(s.states, r.State) {
			continue
		}
		if r.Kind == flow.KindDestroy && (s.action == ActEdit || s.action == ActSubmit) {
			continue
		}
		if s.action == ActReplan && r.Change == nil {
			continue
		}
		if !allowed(r, viewer, pol, s.policy, s.action) {
			continue
		}
		out = append(out, Button{Text: s.text, Action: s.action, Value: Value(r.ID), Style: s.style, Confirm: s.confirm})
	}
	return out
}

// allowed reports whether viewer may press the action's button on r.
func allowed(r *flow.Request, viewer *flow.Actor, pol *flow.Policy, pa flow.Action, a Action) bool {
	if viewer == nil || pol == nil {
		return true
	}
	switch a {
	case ActEdit, ActSubmit:
		if viewer.ID != r.Requester.ID {
			return false
		}
	case ActReplan, ActRetry:
		// The engine lets requesters and approvers re-plan and retry.
		return pol.Authorize(flow.ActRequest, r, *viewer) == nil || pol.Authorize(flow.ActApprove, r, *viewer) == nil
	case ActApprove:
		for _, a := range currentApprovals(r) {
			if a.Actor.ID == viewer.ID {
				return false
			}
		}
	}
	return pol.Authorize(pa, r, *viewer) == nil
}

func hasState(ss []flow.State, s flow.State) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
