package card

import (
	"github.com/tfpilot/tfpilot/flow"
)

// buttonSpec is how a move looks as a button. Which moves a card offers is
// flow's answer (flow.OutlookOf); this is only their text, style and
// confirmation question.
type buttonSpec struct {
	action Action
	text   string
	style  Style
	// confirm is the confirmation question, if any.
	confirm string
}

var buttonSpecs = map[flow.EventKind]buttonSpec{
	flow.EvRetry:      {ActRetry, "Retry", StylePrimary, ""},
	flow.EvRetryMerge: {ActRetryMerge, "Retry merge", StylePrimary, ""},
	flow.EvConfirm:    {ActSubmit, "Submit", StylePrimary, ""},
	flow.EvApprove:    {ActApprove, "Approve", StylePrimary, ""},
	flow.EvApply:      {ActApply, "Apply", StylePrimary, "Apply the approved plan now?"},
	flow.EvEdit:       {ActEdit, "Edit inputs", StyleDefault, ""},
	flow.EvReplan:     {ActReplan, "Re-plan", StyleDefault, ""},
	flow.EvReject:     {ActReject, "Reject", StyleDanger, "Reject this plan and close the pull request?"},
	flow.EvCancel:     {ActCancel, "Cancel", StyleDanger, "Cancel this request and close its pull request?"},
}

// ActionEvent is the event a request button's action sends (false for the
// choice buttons, which carry their own values).
func ActionEvent(a Action) (flow.EventKind, bool) {
	if a == ActApproveAck {
		return flow.EvApprove, true
	}
	for ev, s := range buttonSpecs {
		if s.action == a {
			return ev, true
		}
	}
	return 0, false
}

// Buttons returns the buttons of the moves flow offers on r, in flow's
// order.
func Buttons(r *flow.Request, o flow.Outlook) []Button {
	var out []Button
	for _, m := range o.Moves {
		s, ok := buttonSpecs[m.Event]
		if !ok {
			continue
		}
		if m.Event == flow.EvApprove && len(m.Accepts) > 0 {
			s = approveAck
		}
		confirm := s.confirm
		if m.Event == flow.EvCancel && r.Change == nil {
			confirm = "Cancel this request?" // no pull request to close yet
		}
		out = append(out, Button{Text: s.text, Action: s.action, Value: Value(r.ID, m.Accepts...), Style: s.style, Confirm: confirm})
	}
	return out
}

// outlook is flow's answer for the card: the caller's, or asked of flow
// with the card's policy and viewer (without a viewer: what anyone may do,
// for a card everyone sees).
func outlook(r *flow.Request, opts Options) flow.Outlook {
	if opts.Outlook != nil {
		return *opts.Outlook
	}
	var pol flow.Policy
	if opts.Policy != nil {
		pol = *opts.Policy
	}
	return flow.OutlookOf(r, pol, opts.Viewer)
}
