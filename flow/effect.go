package flow

import (
	"time"

	"github.com/tfpilot/tfpilot/registry"
)

// EffectKind says what I/O a transition owes.
type EffectKind int

// Effect kinds. Every effect is idempotent by construction (see the outbox
// row of docs/ARCHITECTURE.md#invariants): running one twice has the effect
// of running it once.
const (
	EffShowCard      EffectKind = iota + 1 // post the status card (if Thread.TS is empty) or update it in place
	EffReply                               // short reply in the thread (Text)
	EffNotify                              // message to the notifications channel (Text), linking to the thread
	EffOpenModal                           // open the input form (TriggerID)
	EffOpenChange                          // branch tfpilot/<id> + one commit + PR (render or delete the file)
	EffDispatchPlan                        // dispatch plan.yml on the change's branch (result: EvPlanDispatched)
	EffDispatchApply                       // dispatch apply.yml for the approved plan run (result: EvApplyDispatched)
	EffWatchRun                            // follow Workflow's run to its end (result: EvPlan/ApplyFinished or Failed)
	EffMergeChange                         // squash-merge the PR and delete the branch
	EffCloseChange                         // close the PR and delete the branch
	EffRecordAudit                         // append Audit to the audit log
	EffMarkDestroyed                       // destroy request applied: step EvDestroyed on its Target
	EffReplanOthers                        // change merged: step EvBaseMerged on the other planned requests of its environment
)

var effectNames = map[EffectKind]string{
	EffShowCard: "show_card", EffReply: "reply", EffNotify: "notify", EffOpenModal: "open_modal",
	EffOpenChange: "open_change", EffDispatchPlan: "dispatch_plan", EffDispatchApply: "dispatch_apply", EffWatchRun: "watch_run",
	EffMergeChange: "merge_change", EffCloseChange: "close_change", EffRecordAudit: "record_audit",
	EffMarkDestroyed: "mark_destroyed", EffReplanOthers: "replan_others",
}

func (k EffectKind) String() string {
	if n, ok := effectNames[k]; ok {
		return n
	}
	return "unknown"
}

// Heavy reports whether an effect talks to the repository or the runs, or
// changes another request: it may take long, runs in its own goroutine and
// produces a result to step. The others (card, reply, notification, form,
// audit) are light: they run in order and are acknowledged.
func (k EffectKind) Heavy() bool {
	switch k {
	case EffOpenChange, EffDispatchPlan, EffDispatchApply, EffWatchRun, EffMergeChange, EffCloseChange, EffMarkDestroyed, EffReplanOthers:
		return true
	}
	return false
}

// MarshalText encodes an effect kind by name.
func (k EffectKind) MarshalText() ([]byte, error) { return k.AppendText(nil) }

// AppendText appends the effect kind's name to b ("" for the zero kind);
// see State.AppendText.
func (k EffectKind) AppendText(b []byte) ([]byte, error) {
	if k == 0 {
		return b, nil
	}
	return append(b, k.String()...), nil
}

// UnmarshalText decodes an effect kind name.
func (k *EffectKind) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*k = 0
		return nil
	}
	for e, n := range effectNames {
		if n == string(b) {
			*k = e
			return nil
		}
	}
	return &UnknownNameError{Kind: "effect", Name: string(b)}
}

// Effect is I/O a transition owes. It is saved with the request before it
// runs (outbox) and removed when its result is stepped.
type Effect struct {
	ID       string     `json:"id"` // unique per request: "<request seq>-<kind>"; also the result event's Key
	Kind     EffectKind `json:"kind"`
	Attempts int        `json:"attempts,omitempty"`
	LastErr  string     `json:"last_error,omitempty"`

	Text      string `json:"text,omitempty"`        // EffReply, EffNotify
	TriggerID string `json:"trigger_id,omitempty"`  // EffOpenModal
	PlanRunID int64  `json:"plan_run_id,omitempty"` // EffDispatchApply
	// DispatchKey is, on an apply dispatch retried after it failed, the
	// key of the attempt that failed (Dispatch.Key; otherwise the effect's
	// ID is the key): that attempt may have started the run before its
	// answer was lost, and an apply must be found, never started twice.
	DispatchKey string       `json:"dispatch_key,omitempty"`
	Workflow    Workflow     `json:"workflow,omitempty"` // EffWatchRun
	Audit       *AuditRecord `json:"audit,omitempty"`    // EffRecordAudit
}

// AuditRecord is one append-only line of the audit trail.
type AuditRecord struct {
	RequestID   string            `json:"request_id"`
	Seq         int64             `json:"seq"`
	At          time.Time         `json:"at"`
	Actor       Actor             `json:"actor"`
	Event       string            `json:"event"`
	From        State             `json:"from,omitempty"`
	To          State             `json:"to,omitempty"`
	Project     string            `json:"project,omitempty"`
	Environment string            `json:"environment,omitempty"`
	Module      string            `json:"module,omitempty"`
	Inputs      map[string]string `json:"inputs,omitempty"` // sensitive values redacted
	Result      string            `json:"result,omitempty"` // effect result or refusal reason
	Denied      bool              `json:"denied,omitempty"`
}

// Redacted is the value shown in place of a sensitive input.
const Redacted = registry.Redacted
