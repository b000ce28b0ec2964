package card

import (
	"strconv"
	"strings"

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

// ActionEvent decodes a press of a request button: the request its value v
// names, and the event its action a sends, with what the button carries —
// the plan the card was drawn for (an approve, reject or apply: Event.PlanRunID
// and PlanSHA, so Step refuses it once the plan has changed) and the
// findings an "Approve and acknowledge" accepts (Event.Accepts). false for
// the choice buttons, which carry their own values, and for a value whose
// plan cannot be read. A value without a plan (a card drawn before buttons
// carried one) acts on the current plan, as a typed command does.
func ActionEvent(a Action, v string) (id string, ev flow.Event, ok bool) {
	kind, ok := actionKind(a)
	if !ok {
		return "", flow.Event{}, false
	}
	id, args := ParseValue(v)
	ev = flow.Event{Kind: kind}
	if len(args) > 0 && strings.HasPrefix(args[0], planMark) {
		if ev.PlanRunID, ev.PlanSHA, ok = parsePlan(args[0]); !ok {
			return "", flow.Event{}, false
		}
		args = args[1:]
	}
	if a == ActApproveAck {
		ev.Accepts = args
	}
	return id, ev, true
}

// actionKind is the event kind a request button's action sends.
func actionKind(a Action) (flow.EventKind, bool) {
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

// planMark starts the part of a button value that names the plan a move
// acts on: "@<plan run ID>:<commit SHA>". Request IDs and finding IDs never
// start with it.
const planMark = "@"

// moveValue is the value of move m's button on request id:
// "id|@run:sha|finding|…", the plan part only for a move that names one
// (about 100 bytes with a finding or two, far under Slack's 2,000).
func moveValue(id string, m flow.Move) string {
	var args []string
	if m.PlanRunID != 0 {
		args = append(args, planMark+strconv.FormatInt(m.PlanRunID, 10)+":"+m.PlanSHA)
	}
	return Value(id, append(args, m.Accepts...)...)
}

// parsePlan reads the plan part of a button value made by moveValue.
func parsePlan(part string) (run int64, sha string, ok bool) {
	runText, sha, found := strings.Cut(strings.TrimPrefix(part, planMark), ":")
	run, err := strconv.ParseInt(runText, 10, 64)
	if !found || err != nil || run <= 0 {
		return 0, "", false
	}
	return run, sha, true
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
		out = append(out, Button{Text: s.text, Action: s.action, Value: moveValue(r.ID, m), Style: s.style, Confirm: confirm})
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
