package flow

import "github.com/tfpilot/tfpilot/registry"

// Edge is one state-changing transition of the machine: an event of kind
// Event moves a request from From to To. From is zero for the events that
// open a request (the diagram's [*]).
type Edge struct {
	From  State
	Event EventKind
	To    State
}

// postPlan are the states in which a plan exists (or failed) and the change
// can be edited, re-planned or cancelled.
var postPlan = []State{AwaitingApproval, Approved, Stale, PlanFailed, ApplyFailed}

// cancellable are the states a person may cancel from.
var cancellable = []State{ChoosingModule, CollectingInputs, Confirming, OpeningPR, Planning,
	AwaitingApproval, Approved, Stale, PlanFailed, ApplyFailed}

// edges is the table Step is checked against: Step refuses to make a
// state-changing transition that is not listed here, and the test in
// docs_test.go keeps it equal to the diagram in docs/flow.md.
var edges = func() []Edge {
	es := []Edge{
		{0, EvStart, ChoosingModule},
		{0, EvStart, CollectingInputs},
		{0, EvStartDestroy, OpeningPR},
		{ChoosingModule, EvChooseModule, CollectingInputs},
		{Confirming, EvChooseModule, CollectingInputs},
		{CollectingInputs, EvSetInputs, Confirming},
		{Confirming, EvSetInputs, CollectingInputs},
		{Confirming, EvEdit, CollectingInputs},
		{Confirming, EvConfirm, OpeningPR},
		{OpeningPR, EvChangeOpened, Planning},
		{Planning, EvPlanFinished, AwaitingApproval},
		{Planning, EvPlanFinished, Approved},
		{Planning, EvPlanFinished, PlanFailed},
		{Planning, EvPlanFailed, PlanFailed},
		{Planning, EvPlanFinished, Stale},    // the run planned a commit TfPilot did not build
		{Planning, EvPlanFinished, Applying}, // the same change as an approved plan whose apply was asked for (Carry)
		{Planning, EvPlanFailed, Stale},
		{AwaitingApproval, EvApprove, Approved},
		{AwaitingApproval, EvReject, Rejected},
		{Approved, EvReject, Rejected},
		{AwaitingApproval, EvChangeMoved, Stale},
		{Approved, EvChangeMoved, Stale},
		{Applied, EvChangeMoved, Stale},
		{Applying, EvChangeMoved, OpeningPR},         // at its turn in the queue, before its dispatch: re-planned
		{Applying, EvChangeMoved, Stale},             // found by a Retry of a failed apply dispatch
		{AwaitingApproval, EvChangeMoved, OpeningPR}, // only the base moved: re-planned on it
		{Approved, EvChangeMoved, OpeningPR},
		{AwaitingApproval, EvChangeClosed, Cancelled}, // closed by hand before apply
		{Approved, EvChangeClosed, Cancelled},
		{Applying, EvChangeClosed, Cancelled}, // found by a Retry of a failed apply dispatch
		{Stale, EvChangeClosed, Cancelled},
		{PlanFailed, EvChangeClosed, Cancelled},
		{ApplyFailed, EvChangeClosed, Cancelled},
		{AwaitingApproval, EvChangeClosed, OpeningPR}, // merged by hand before apply: plan the base branch
		{Approved, EvChangeClosed, OpeningPR},
		{Applying, EvChangeClosed, OpeningPR},
		{Stale, EvChangeClosed, OpeningPR},
		{PlanFailed, EvChangeClosed, OpeningPR},
		{ApplyFailed, EvChangeClosed, OpeningPR},
		{Approved, EvApply, Applying},
		{Applying, EvApplyFinished, Applied},
		{Applied, EvEffectFailed, AppliedNotMerged}, // the merge was refused or ran out of retries
		{AppliedNotMerged, EvRetryMerge, Applied},
		{Applying, EvApplyFailed, ApplyFailed},
		{Stale, EvReplan, OpeningPR},                // the change is rebuilt on the current base first
		{AwaitingApproval, EvBaseMerged, OpeningPR}, // another request merged: rebuilt on the new base
		{Approved, EvBaseMerged, OpeningPR},
		{Stale, EvBaseMerged, OpeningPR},
	}
	for _, s := range postPlan {
		es = append(es, Edge{s, EvEdit, CollectingInputs})
		if s != Stale {
			es = append(es, Edge{s, EvReplan, Planning})
		}
	}
	for _, s := range cancellable {
		es = append(es, Edge{s, EvCancel, Cancelled})
	}
	return es
}()

// Edges returns every state-changing transition the machine can make. Events
// that leave the state as it is (an approval short of the count, a run
// dispatched, an effect done or failed, a retry) are not edges; docs/flow.md
// lists them in prose.
func Edges() []Edge {
	out := make([]Edge, len(edges))
	copy(out, edges)
	return out
}

func isEdge(from State, ev EventKind, to State) bool {
	for _, e := range edges {
		if e.From == from && e.Event == ev && e.To == to {
			return true
		}
	}
	return false
}

// refuse explains to a person why their event does not fit the request now.
// The result wraps ErrBadEvent.
func (s *stepper) refuse() error {
	return Userf(ErrBadEvent, refusal(&s.r, s.ev.Kind))
}

func refusal(r *Request, ev EventKind) string {
	switch r.State {
	case Applied:
		if r.Kind == KindDestroy {
			return "this destroy request is already applied"
		}
		if !r.DestroyedAt.IsZero() {
			return "this request was applied, then destroyed by request " + registry.Label(r.DestroyedBy)
		}
		return "this request is already applied"
	case AppliedNotMerged:
		const fix = "its pull request is not merged: fix what GitHub reports, then press Retry merge"
		switch ev {
		case EvApprove, EvReject:
			return "this plan is already applied, so it can no longer be " + map[EventKind]string{EvApprove: "approved", EvReject: "rejected"}[ev] + "; " + fix
		}
		return "this request is already applied; " + fix
	case Cancelled:
		return "this request was cancelled; start a new one"
	case Rejected:
		return "this request was rejected; start a new one"
	case 0:
		return "this request has not started yet"
	}
	if r.Kind == KindDestroy && (ev == EvChooseModule || ev == EvSetInputs || ev == EvEdit) {
		return "a destroy request has no inputs to change"
	}
	switch ev {
	case EvStart, EvStartDestroy:
		return "this thread already has a request; cancel it or start a new thread"
	case EvApprove, EvReject:
		return planRefusal(r.State, ev)
	case EvApply:
		switch r.State {
		case AwaitingApproval:
			return "this plan is still awaiting approval; it can be applied once it is approved"
		case Stale:
			return "the branch or its base moved after the plan; press Re-plan, then approve and apply the new plan"
		case Applying:
			return "the apply is already running"
		case ApplyFailed:
			return "the apply failed; re-plan, get the new plan approved, then apply"
		case ChoosingModule, CollectingInputs, Confirming:
			return "there is no plan to apply yet: " + notSubmitted(r.State) + "; submit it, and apply once its plan is approved"
		case OpeningPR, Planning:
			return "there is no plan to apply yet — wait for the plan to finish"
		case PlanFailed:
			return "the plan failed, so there is nothing to apply; edit the inputs or re-plan"
		}
		return "there is no approved plan to apply yet"
	case EvCancel:
		if r.State == Applying {
			return "an apply is running and cannot be cancelled; wait for it to finish"
		}
	case EvEdit, EvSetInputs, EvChooseModule:
		switch r.State {
		case OpeningPR, Planning:
			return "a plan is being prepared; wait for it to finish, then edit"
		case Applying:
			return "an apply is running; inputs cannot change now"
		case ChoosingModule:
			return "choose a module first"
		case CollectingInputs:
			if ev == EvEdit {
				break
			}
		case AwaitingApproval, Approved, Stale, PlanFailed, ApplyFailed:
			return "press Edit first: changing the inputs throws away the current plan"
		}
	case EvConfirm:
		switch r.State {
		case ChoosingModule, CollectingInputs:
			return "some required inputs are still missing"
		default:
			return "this request was already submitted"
		}
	case EvReplan:
		switch r.State {
		case OpeningPR, Planning:
			return "a plan is already being prepared"
		case Applying:
			return "an apply is running; re-plan after it finishes"
		default:
			return "there is nothing to re-plan yet; submit the request first"
		}
	case EvChangeMoved:
		return "there is no plan that could be stale"
	case EvChangeClosed:
		return "there is no pull request awaiting approval or apply to close"
	case EvBaseMerged:
		return "there is no plan that another request's merge could make stale"
	case EvRetryMerge:
		return "there is no refused merge to retry"
	}
	return ev.String() + " is not possible while the request is " + stateText(r.State)
}

// planRefusal explains why there is no plan to approve or reject in state
// st, naming the verb the person tried.
func planRefusal(st State, ev EventKind) string {
	verb, done, instead := "approve", "approved", ""
	if ev == EvReject {
		verb, done, instead = "reject", "rejected", ", or cancel the request"
	}
	switch st {
	case ChoosingModule, CollectingInputs, Confirming:
		if ev == EvReject {
			return "there is no plan to reject yet: " + notSubmitted(st) + "; cancel it instead"
		}
		return "there is no plan to approve yet: " + notSubmitted(st) + "; it is planned once it is submitted"
	case OpeningPR, Planning:
		return "there is no plan to " + verb + " yet — wait for the plan to finish" + instead
	case Stale:
		if ev == EvReject {
			return "the branch or its base moved after the plan, so there is no current plan to reject; press Re-plan, or cancel the request"
		}
		return "the branch or its base moved after the plan; press Re-plan, then approve the new plan"
	case Applying:
		return "this plan is being applied; it can no longer be " + done
	case PlanFailed:
		return "the plan failed, so there is nothing to " + verb + "; edit the inputs or re-plan" + instead
	case ApplyFailed:
		return "the apply failed, so there is no plan to " + verb + "; re-plan to get a new plan" + instead
	}
	return "there is no plan to " + verb + " while the request is " + stateText(st)
}

// notSubmitted says where a request that has no change yet is.
func notSubmitted(st State) string {
	switch st {
	case ChoosingModule:
		return "the request is still choosing a module"
	case CollectingInputs:
		return "the request is still collecting inputs"
	}
	return "the request has not been submitted yet"
}

// stateText is a state as people read it.
func stateText(s State) string {
	switch s {
	case ChoosingModule:
		return "choosing a module"
	case CollectingInputs:
		return "collecting inputs"
	case Confirming:
		return "waiting for confirmation"
	case OpeningPR:
		return "opening its pull request"
	case Planning:
		return "planning"
	case AwaitingApproval:
		return "awaiting approval"
	case PlanFailed:
		return "plan failed"
	case ApplyFailed:
		return "apply failed"
	case AppliedNotMerged:
		return "applied but not merged"
	}
	return s.String()
}
