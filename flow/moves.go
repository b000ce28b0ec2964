package flow

import (
	"errors"
	"slices"
)

// Surfaces ask flow one question about a request: what can happen to it now,
// who may do it, and why not. Flow answers by dry-running the pure Step, so
// a card, an App Home entry or a command reply can never offer what Step
// would refuse, nor hide what it would accept. Surfaces render the answer and
// hold no rule of their own.

// Move is something a person can do to a request now: the event a surface
// sends when they do it.
type Move struct {
	Event EventKind
	// Accepts are, on an approve, the findings the approval acknowledges
	// (NeedsAck): a surface sends them with the event (Event.Accepts) and
	// labels the move "Approve and acknowledge".
	Accepts []string
	// PlanRunID and PlanSHA are, on approve, reject and apply, the plan the
	// move acts on (the current plan run and its commit): a surface sends
	// them with the event (Event.PlanRunID, Event.PlanSHA), so a press on a
	// card drawn for an older plan is refused.
	PlanRunID int64
	PlanSHA   string
}

// moveOrder is every person event a request's card can offer, in the order
// surfaces show them (Retry first: it unblocks everything else).
var moveOrder = []EventKind{EvRetry, EvRetryMerge, EvConfirm, EvApprove, EvApply, EvEdit, EvReplan, EvReject, EvCancel}

// MoveEvents lists the events Moves can offer, in display order.
func MoveEvents() []EventKind { return slices.Clone(moveOrder) }

// ApprovalCount is where a request's current plan stands with its approvals.
type ApprovalCount struct {
	// Given are the approvals of the current plan (same run, same commit),
	// one per person, in approval order.
	Given []Approval
	// Need is how many the environment asks for.
	Need int
	// Waiting names who may still approve the current plan now: the IDs
	// (people and groups) the environment's approvers name, in policy
	// order, leaving out whoever may not (the requester without
	// self-approval, those who already approved). Filled by OutlookOf, and
	// only while approvals are being collected.
	Waiting []string
	// AnyoneMay is set when the approvers include "*": anyone else may
	// approve too. RequesterMay says whether that includes the requester.
	AnyoneMay, RequesterMay bool
}

// NoneNeeded reports that the environment asks for no approval.
func (a ApprovalCount) NoneNeeded() bool { return a.Need == 0 }

// Outlook is flow's answer about one request, for one viewer or for
// everyone: everything a surface needs to draw its actions and approval
// state. Later rules (a run queue, an environment held by another request,
// findings that need an acknowledgement) add fields here, not rules in the
// surfaces.
type Outlook struct {
	// Moves are the things the viewer (or, without one, anyone) may do now,
	// in display order.
	Moves     []Move
	Approvals ApprovalCount
	// HeldBy is the label of the request that holds the environment (see
	// Facts), for the card to say why Approve and Apply are missing, and
	// HeldFor what it is (HeldUnmerged, HeldUnapplied).
	HeldBy, HeldFor string
}

// Facts are what the engine looks up about a request's surroundings for
// Step to rule on; they come to Step on the event, and to OutlookWith here.
type Facts struct {
	// HeldBy is the label of another request in the same project and
	// environment that holds it (Event.HeldBy), and HeldFor why:
	// HeldUnmerged or HeldUnapplied.
	HeldBy, HeldFor string
}

// Offers reports whether ev is among the moves.
func (o Outlook) Offers(ev EventKind) bool {
	return slices.ContainsFunc(o.Moves, func(m Move) bool { return m.Event == ev })
}

// OutlookOf answers for request r under policy p. With a viewer, Moves are
// what that person may do (per-viewer surfaces: App Home, ephemeral replies);
// without one, what anyone may do (a thread card is one message for
// everyone: it offers a move when someone may take it, and a click by
// someone else is refused by Step with its own text).
func OutlookOf(r *Request, p Policy, viewer *Actor) Outlook {
	return OutlookWith(r, p, viewer, Facts{})
}

// OutlookWith is OutlookOf with the facts the engine looked up: its moves
// are what Step accepts from events carrying them. Approvals (who may still
// approve) are answered without them: they say where the plan stands.
func OutlookWith(r *Request, p Policy, viewer *Actor, f Facts) Outlook {
	o := Outlook{Approvals: Approvals(r, p), HeldBy: f.HeldBy, HeldFor: orDefault(f.HeldFor, HeldUnmerged)}
	if f.HeldBy == "" {
		o.HeldFor = ""
	}
	if r.State == AwaitingApproval {
		o.Approvals.Waiting, o.Approvals.AnyoneMay = waiting(r, p)
		o.Approvals.RequesterMay = AllowsMove(r, p, approveMove(r), r.Requester) == nil
	}
	actors := []Actor{}
	if viewer != nil {
		actors = append(actors, *viewer)
	} else {
		actors = candidates(r, p)
	}
	for _, ev := range moveOrder {
		m := moveOf(r, ev)
		for _, a := range actors {
			if AllowsMoveWith(r, p, m, a, f) == nil {
				o.Moves = append(o.Moves, m)
				break
			}
		}
	}
	return o
}

// moveOf is the move of kind ev a surface offers on r: an approve, reject
// or apply names r's current plan, and an approve accepts the findings that
// need acknowledgement.
func moveOf(r *Request, ev EventKind) Move {
	m := Move{Event: ev}
	switch ev {
	case EvApprove:
		m = approveMove(r)
	case EvReject, EvApply:
		m.PlanRunID, m.PlanSHA = currentPlan(r)
	}
	return m
}

// approveMove is the approve a surface offers on r: of its current plan,
// accepting the findings that need acknowledgement, when there are any.
func approveMove(r *Request) Move {
	m := Move{Event: EvApprove, Accepts: NeedsAck(r)}
	m.PlanRunID, m.PlanSHA = currentPlan(r)
	return m
}

// currentPlan is r's current plan run and commit, zero without one.
func currentPlan(r *Request) (int64, string) {
	if r.PlanRun == nil {
		return 0, ""
	}
	return r.PlanRun.ID, r.PlanRun.HeadSHA
}

// waiting names who may approve r now (see ApprovalCount.Waiting).
func waiting(r *Request, p Policy) (ids []string, anyoneMay bool) {
	e, _ := p.Environment(r.Environment)
	m := approveMove(r)
	for _, id := range e.Approvers {
		switch {
		case id == "*":
			anyoneMay = AllowsMove(r, p, m, Actor{ID: anyone}) == nil
		case slices.Contains(ids, id):
		case AllowsMove(r, p, m, Actor{ID: id}) == nil:
			ids = append(ids, id)
		}
	}
	return ids, anyoneMay
}

// Allows dry-runs Step: nil when actor may send an event of kind ev to r
// now, else the error Step would return (its *UserError text is the refusal
// to show). An event that would change nothing (a second approval by the
// same person) is refused too.
func Allows(r *Request, p Policy, ev EventKind, actor Actor) error {
	return AllowsMoveWith(r, p, Move{Event: ev}, actor, Facts{})
}

// AllowsWith is Allows with the facts the engine looked up, put on the
// event as the engine puts them before stepping it.
func AllowsWith(r *Request, p Policy, ev EventKind, actor Actor, f Facts) error {
	return AllowsMoveWith(r, p, Move{Event: ev}, actor, f)
}

// AllowsMove is Allows for a move that carries more than its event (an
// approve that accepts findings).
func AllowsMove(r *Request, p Policy, m Move, actor Actor) error {
	return AllowsMoveWith(r, p, m, actor, Facts{})
}

// AllowsMoveWith dry-runs Step for move m by actor, with the facts the
// engine looked up on the event.
func AllowsMoveWith(r *Request, p Policy, m Move, actor Actor, f Facts) error {
	ev := m.Event
	if r.State == 0 {
		return Userf(ErrBadEvent, refusal(r, ev))
	}
	e := Event{Kind: ev, Actor: actor, At: r.UpdatedAt, Accepts: m.Accepts, HeldBy: f.HeldBy, HeldFor: f.HeldFor, PlanRunID: m.PlanRunID, PlanSHA: m.PlanSHA}
	_, _, changed, err := step(*r, e, p)
	if err != nil {
		return err
	}
	if !changed {
		return Userf(ErrDuplicate, "this was already done")
	}
	return nil
}

// Approvals returns where r's current plan stands with its approvals.
func Approvals(r *Request, p Policy) ApprovalCount {
	return ApprovalCount{Given: CurrentApprovals(r), Need: required(r, p)}
}

// CurrentApprovals returns the approvals of r's current plan (same run, same
// commit), one per person, in approval order.
func CurrentApprovals(r *Request) []Approval {
	if r.PlanRun == nil {
		return nil
	}
	var out []Approval
	for _, a := range r.Approvals {
		if a.PlanRunID == r.PlanRun.ID && a.HeadSHA == r.PlanRun.HeadSHA &&
			!slices.ContainsFunc(out, func(b Approval) bool { return b.Actor.ID == a.Actor.ID }) {
			out = append(out, a)
		}
	}
	return out
}

// CurrentApprovers returns the IDs of the distinct people who approved r's
// current plan (same run, same commit), in approval order.
func CurrentApprovers(r *Request) []string {
	var ids []string
	for _, a := range CurrentApprovals(r) {
		ids = append(ids, a.Actor.ID)
	}
	return ids
}

// required is how many approvals r's environment asks for; an environment
// missing from the policy asks for one (and nobody can give it), and so does
// a plan with findings to acknowledge (ScopeFindings): someone must accept
// them even where the environment needs no approval.
func required(r *Request, p Policy) int {
	e, ok := p.Environment(r.Environment)
	if !ok {
		return 1
	}
	if len(NeedsAck(r)) > 0 {
		return max(e.ApprovalsRequired, 1)
	}
	return max(e.ApprovalsRequired, 0)
}

// anyone stands for a person the policy names only through "*".
const anyone = "\x00anyone"

// candidates are actors that stand for everyone the policy could let act on
// r: the requester, a stranger (for "*"), and an actor for each ID the
// environment names. An actor whose ID is a group's ID passes the policy as
// a member of that group would, and is not the requester, so as far as the
// policy can tell whoever else acts is one of these.
func candidates(r *Request, p Policy) []Actor {
	out := []Actor{r.Requester, {ID: anyone}}
	e, ok := p.Environment(r.Environment)
	if !ok {
		return out
	}
	var ids []string
	for _, list := range [][]string{e.Requesters, e.Approvers, e.Appliers} {
		for _, id := range list {
			if id != "*" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range ids {
		if id != r.Requester.ID {
			out = append(out, Actor{ID: id})
		}
	}
	return out
}

// IsRefusal reports whether err is a refusal a person should read (the
// event does not fit, the policy denies it, or it was already done) rather
// than a failure.
func IsRefusal(err error) bool {
	return errors.Is(err, ErrBadEvent) || errors.Is(err, ErrDenied) || errors.Is(err, ErrDuplicate)
}
