package flow

import "time"

// EventKind says what happened to a request.
type EventKind int

// Event kinds. Person events come from a chat surface; result events come
// from the engine when an effect finishes.
const (
	// Person events.
	EvStart        EventKind = iota + 1 // new create request in a thread (Project/Module/Environment may be preset)
	EvChooseModule                      // Project, Module, Environment chosen
	EvSetInputs                         // Inputs (canonical, already resolved by the engine) merged into the request
	EvEdit                              // back to CollectingInputs; invalidates plan and approvals
	EvConfirm                           // Submit: open the change
	EvApprove                           // approve the current plan
	EvReject                            // reject the current plan
	EvApply                             // apply the approved plan
	EvReplan                            // refresh: plan again on the current branch
	EvCancel                            // cancel the request (closes the PR)
	EvRetry                             // run again the effect that ran out of retries
	EvStartDestroy                      // new destroy request: Target, Project, Module, Environment, Label, File preset
	EvRetryMerge                        // merge the pull request of an applied request again after a refusal

	// Result events (Actor is System).
	EvChangeOpened   // Change set
	EvPlanDispatched // Run set
	EvPlanFinished   // Run and Plan set
	EvPlanFailed     // Run (maybe nil) and Error set
	EvApplyDispatched
	EvApplyFinished
	EvApplyFailed
	EvMerged        // Change set (Merged)
	EvChangeMoved   // branch head or base moved after the plan; Change carries the new SHAs
	EvEffectFailed  // Effect out of retries; EffectID and Error set
	EvEffectDone    // an effect with no state change finished (card shown, notification sent, audit written)
	EvThreadStarted // the status card was posted: Thread set

	// EvDestroyed tells an applied create request that the destroy request
	// Target destroyed it (its apply finished). Actor is System; it answers
	// no effect of this request (the destroy request owes it).
	EvDestroyed

	// EvChangeClosed: the pull request was closed, not merged, by someone
	// outside TfPilot (the engine saw it in Repo.ChangeStatus). Actor is
	// System; Change carries what the repository reported.
	EvChangeClosed

	// EvQueued: the run of the owed dispatch effect EffectID waits for its
	// turn in the environment's run queue (see Queue); Queue says where.
	// Actor is System. It keeps the state and the effect owed.
	EvQueued

	// EvBaseMerged: another request of the same project and environment
	// (Target, labelled Label) merged after this request's change was built,
	// so this request's plan lacks what that one applied and would undo it.
	// Actor is System; the merged request owes it (EffReplanOthers), with a
	// key derived from its ID so a resumed effect re-plans only once.
	EvBaseMerged
)

var eventNames = map[EventKind]string{
	EvStart: "start", EvChooseModule: "choose_module", EvSetInputs: "set_inputs", EvEdit: "edit",
	EvConfirm: "confirm", EvApprove: "approve", EvReject: "reject", EvApply: "apply",
	EvReplan: "replan", EvCancel: "cancel", EvRetry: "retry", EvStartDestroy: "start_destroy", EvRetryMerge: "retry_merge",
	EvChangeOpened: "change_opened", EvPlanDispatched: "plan_dispatched", EvPlanFinished: "plan_finished",
	EvPlanFailed: "plan_failed", EvApplyDispatched: "apply_dispatched", EvApplyFinished: "apply_finished",
	EvApplyFailed: "apply_failed", EvMerged: "merged", EvChangeMoved: "change_moved",
	EvEffectFailed: "effect_failed", EvEffectDone: "effect_done", EvThreadStarted: "thread_started",
	EvDestroyed: "destroyed", EvChangeClosed: "change_closed", EvQueued: "queued", EvBaseMerged: "base_merged",
}

// EventKinds lists every event kind in declaration order.
func EventKinds() []EventKind {
	out := make([]EventKind, 0, len(eventNames))
	for k := EvStart; k <= EvBaseMerged; k++ {
		out = append(out, k)
	}
	return out
}

func (k EventKind) String() string {
	if n, ok := eventNames[k]; ok {
		return n
	}
	return "unknown"
}

// MarshalText encodes an event kind by name.
func (k EventKind) MarshalText() ([]byte, error) { return k.AppendText(nil) }

// AppendText appends the event kind's name to b ("" for the zero kind); see
// State.AppendText.
func (k EventKind) AppendText(b []byte) ([]byte, error) {
	if k == 0 {
		return b, nil
	}
	return append(b, k.String()...), nil
}

// UnmarshalText decodes an event kind name.
func (k *EventKind) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*k = 0
		return nil
	}
	for e, n := range eventNames {
		if n == string(b) {
			*k = e
			return nil
		}
	}
	return &UnknownNameError{Kind: "event", Name: string(b)}
}

// Event is something that happened to a request. Only the fields its Kind
// names are set.
type Event struct {
	Kind EventKind `json:"kind"`
	// Key is the idempotency key: the same key twice is a no-op. Chat
	// surfaces derive it from the delivery (envelope/action ID); result
	// events use the effect ID.
	Key   string    `json:"key"`
	Actor Actor     `json:"actor"`
	At    time.Time `json:"at"`

	Project     string            `json:"project,omitempty"`
	Module      string            `json:"module,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Inputs      map[string]string `json:"inputs,omitempty"`
	Sensitive   []string          `json:"sensitive,omitempty"`
	// Missing lists the required inputs still unset after EvSetInputs (the
	// engine fills it from the catalogue): empty moves the request to
	// Confirming.
	Missing   []string `json:"missing,omitempty"`
	Target    string   `json:"target,omitempty"` // start_destroy: the request to destroy; destroyed: the destroy request; base_merged: the request that merged
	Label     string   `json:"label,omitempty"`
	File      string   `json:"file,omitempty"`
	Thread    *Thread  `json:"thread,omitempty"`
	TriggerID string   `json:"trigger_id,omitempty"` // chat trigger for opening an input form
	// HeldBy is, on approve and apply, the label of another request in the
	// same project and environment that is applied but not merged (the
	// engine looks it up; see Facts): Step refuses both while it is set.
	HeldBy string `json:"held_by,omitempty"`
	// HeldFor says why HeldBy holds it: HeldUnmerged (the default) or
	// HeldUnapplied.
	HeldFor string `json:"held_for,omitempty"`
	// Accepts names, on approve, the findings (Finding.ID) the approver
	// acknowledges; every finding that needs acknowledgement must be named.
	Accepts []string `json:"accepts,omitempty"`
	// PlanRunID and PlanSHA are, on approve, reject and apply, the plan the
	// person saw: the plan run and commit of the card whose button they
	// pressed (Move.PlanRunID). Zero for a typed command, which acts on the
	// current plan. Step refuses the event when they are set and are not
	// the current plan's (ErrPlanChanged).
	PlanRunID int64  `json:"plan_run_id,omitempty"`
	PlanSHA   string `json:"plan_sha,omitempty"`
	// Queue is, on queued, the run's place in the environment's queue.
	Queue *QueuePlace `json:"queue,omitempty"`
	// BaseMoves is, on plan_finished of a request that carries an approved
	// plan (Request.Carry), what changed on the base branch since that
	// plan's base (the engine asks Repo.BaseMoves); HeldBy and HeldFor are
	// then set too when the environment is held.
	BaseMoves *BaseMoves `json:"base_moves,omitempty"`

	EffectID string       `json:"effect_id,omitempty"` // result events: the effect this answers
	Change   *Change      `json:"change,omitempty"`
	Run      *Run         `json:"run,omitempty"`
	Plan     *PlanSummary `json:"plan,omitempty"`
	Error    string       `json:"error,omitempty"`
}
