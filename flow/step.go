package flow

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrDuplicate marks a person event that repeats something already done (a
// second approval by the same person). Its *UserError text is friendly; the
// request is unchanged.
var ErrDuplicate = errors.New("already done")

// SeenLimit is how many idempotency keys a request remembers.
const SeenLimit = 200

// HistoryLimit is how many transitions a request keeps in History: the
// latest, enough for the card and for people reading the record. The audit
// log holds the whole trail (one record per transition, by Seq), so the
// record, written on every transition, stays bounded however long a request
// lives (re-plans, retries, a long approval back-and-forth).
const HistoryLimit = 100

// Step applies ev to r under policy p and returns the new request and the
// effects it now owes. It is pure: no I/O, no clock (ev.At is the time), the
// same input gives the same output, and r is never modified (maps, slices and
// pointers are copied before they change).
//
// An event that does not fit the state returns an error wrapping ErrBadEvent
// (a *UserError for person events) and r unchanged. A denial by the policy is
// a *UserError wrapping ErrDenied, also with r unchanged. An event whose Key
// was already seen, or a result for an effect no longer owed, is a no-op: r
// unchanged, no effects, no error.
//
// Step does not touch Version, Rev or Lease: the engine owns those.
func Step(r Request, ev Event, p Policy) (Request, []Effect, error) {
	next, effs, _, err := step(r, ev, p)
	return next, effs, err
}

// step is Step that also says whether anything changed, so the engine can
// skip a write for a no-op.
func step(r Request, ev Event, p Policy) (Request, []Effect, bool, error) {
	if noop(&r, ev) {
		return r, nil, false, nil
	}
	s := &stepper{r: cloneRequest(r), ev: ev, p: p, from: r.State}
	if err := s.dispatch(); err != nil {
		return r, nil, false, err
	}
	if s.r.State != s.from && !isEdge(s.from, ev.Kind, s.r.State) {
		return r, nil, false, fmt.Errorf("step %s: %s -> %s is not in the transition table: %w", ev.Kind, s.from, s.r.State, ErrBadEvent)
	}
	if !isResult(ev) && ev.Key != "" {
		s.r.Seen = appendBounded(s.r.Seen, ev.Key, SeenLimit)
	}
	return s.r, s.effs, true, nil
}

// isResult reports whether ev answers an owed effect (its Key is the effect
// ID and its dedupe is the effect's presence in Owed).
func isResult(ev Event) bool {
	switch ev.Kind {
	case EvChangeOpened, EvPlanDispatched, EvPlanFinished, EvPlanFailed, EvApplyDispatched,
		EvApplyFinished, EvApplyFailed, EvMerged, EvEffectFailed, EvEffectDone, EvThreadStarted:
		return true
	case EvChangeMoved:
		return ev.EffectID != ""
	}
	return false
}

// noop reports whether ev has been applied already.
func noop(r *Request, ev Event) bool {
	if isResult(ev) {
		return ev.EffectID != "" && owedIndex(r.Owed, ev.EffectID) < 0
	}
	if ev.Kind == EvDestroyed && ev.Target != "" && ev.Target == r.DestroyedBy && !r.DestroyedAt.IsZero() {
		return true // recorded already (the Key may have left Seen)
	}
	if ev.Kind == EvQueued {
		// A place is news only while its dispatch is owed and it moved.
		return owedIndex(r.Owed, ev.EffectID) < 0 || ev.Queue != nil && r.Queue != nil && *ev.Queue == *r.Queue
	}
	return ev.Key != "" && slices.Contains(r.Seen, ev.Key)
}

func owedIndex(owed []Effect, id string) int {
	return slices.IndexFunc(owed, func(e Effect) bool { return e.ID == id })
}

// stepper holds one step in progress: a private copy of the request and the
// effects owed so far.
type stepper struct {
	r    Request
	ev   Event
	p    Policy
	from State
	effs []Effect
	// answered is the owed effect a result event answers (removed from Owed).
	answered *Effect
	// problem, when set, becomes r.Problem at commit.
	problem string
}

func (s *stepper) dispatch() error {
	if isResult(s.ev) {
		return s.result()
	}
	switch s.ev.Kind {
	case EvStart:
		return s.start()
	case EvStartDestroy:
		return s.startDestroy()
	case EvChooseModule:
		return s.chooseModule()
	case EvSetInputs:
		return s.setInputs()
	case EvEdit:
		return s.edit()
	case EvConfirm:
		return s.confirm()
	case EvApprove:
		return s.approve()
	case EvReject:
		return s.reject()
	case EvApply:
		return s.apply()
	case EvReplan:
		return s.replan()
	case EvCancel:
		return s.cancel()
	case EvRetry:
		return s.retry()
	case EvRetryMerge:
		return s.retryMerge()
	case EvChangeMoved:
		return s.changeMoved()
	case EvDestroyed:
		return s.destroyed()
	case EvChangeClosed:
		return s.changeClosed()
	case EvQueued:
		return s.queued()
	case EvBaseMerged:
		return s.baseMerged()
	}
	return fmt.Errorf("step %s: unknown event kind: %w", s.ev.Kind, ErrBadEvent)
}

// owe appends an effect with the next deterministic ID.
func (s *stepper) owe(e Effect) {
	s.r.Seq++
	e.ID = fmt.Sprintf("%d-%s", s.r.Seq, e.Kind)
	if e.Audit != nil {
		e.Audit.Seq = s.r.Seq
	}
	s.r.Owed = append(s.r.Owed, e)
	s.effs = append(s.effs, e)
}

// dropOwed removes owed effects of the given kinds: work that a transition
// made pointless (a plan being watched when the inputs are edited).
func (s *stepper) dropOwed(kinds ...EffectKind) {
	s.r.Owed = slices.DeleteFunc(s.r.Owed, func(e Effect) bool { return slices.Contains(kinds, e.Kind) })
}

// commit records an accepted event: the state it leads to, a history line,
// an audit record, the card, and optionally a reply and a notification.
func (s *stepper) commit(to State, note, reply, notify string) {
	s.r.State = to
	s.r.UpdatedAt = s.ev.At
	switch {
	case s.problem != "":
		s.r.Problem = s.problem
	case to != s.from:
		s.r.Problem = ""
	}
	if to != s.from {
		s.r.FailedEffect = nil
	}
	if !owesDispatch(&s.r) {
		s.r.Queue = nil // dispatched, or not to be any more
	}
	rec := auditRecord(&s.r, s.ev, s.from, to, note)
	s.owe(Effect{Kind: EffRecordAudit, Audit: &rec})
	s.r.History = appendBounded(s.r.History, Transition{
		Seq: s.r.Seq, At: s.ev.At, Actor: s.ev.Actor.ID, Event: s.ev.Kind, From: s.from, To: to, Note: note,
	}, HistoryLimit)
	s.owe(Effect{Kind: EffShowCard})
	if reply != "" {
		s.owe(Effect{Kind: EffReply, Text: reply})
	}
	if notify != "" {
		s.owe(Effect{Kind: EffNotify, Text: notify})
	}
}

// auditRecord is the audit record of ev on r, taking it from one state to
// another with result (a transition's note, a refusal's reason): the one
// place audit records are built. Sensitive inputs are redacted. Seq is
// set by whoever reserves it.
func auditRecord(r *Request, ev Event, from, to State, result string) AuditRecord {
	return AuditRecord{
		RequestID: r.ID, At: ev.At, Actor: ev.Actor, Event: ev.Kind.String(),
		From: from, To: to, Project: r.Project, Environment: r.Environment, Module: r.Module,
		Inputs: RedactInputs(r.Inputs, r.Sensitive), Result: result,
	}
}

// denialRecord is the audit record of ev refused on r for reason: r stays
// where it is.
func denialRecord(r *Request, ev Event, reason error) AuditRecord {
	rec := auditRecord(r, ev, r.State, r.State, reason.Error())
	rec.Denied = true
	return rec
}

// RedactInputs returns a copy of inputs with every sensitive value replaced
// by Redacted.
func RedactInputs(inputs map[string]string, sensitive []string) map[string]string {
	if inputs == nil {
		return nil
	}
	out := make(map[string]string, len(inputs))
	for k, v := range inputs {
		if slices.Contains(sensitive, k) {
			v = Redacted
		}
		out[k] = v
	}
	return out
}

// cloneRequest copies r for a step (or the engine) to change the copy:
// everything Step changes in place is copied. What Step never changes in
// place is shared, which spares copying the longest parts of a request on
// every step, and on every move a card dry-runs (OutlookWith):
//
//   - History and Seen, to which Step only appends (appendBounded, which
//     makes a new array); they are clipped to their length besides, so
//     that an append elsewhere makes one too;
//   - the audit records of owed effects, never changed once owed.
//
// Code that changes a copy may do so in the same ways only. CloneRequest
// is the deep copy.
func cloneRequest(r Request) Request {
	r.Inputs = maps.Clone(r.Inputs)
	r.Sensitive = slices.Clone(r.Sensitive)
	r.Owed = slices.Clone(r.Owed)
	r.Seen = slices.Clip(r.Seen)
	r.Approvals = slices.Clone(r.Approvals)
	r.History = slices.Clip(r.History)
	r.Change = clonePtr(r.Change)
	r.PlanRun = clonePtr(r.PlanRun)
	r.ApplyRun = clonePtr(r.ApplyRun)
	r.Plan = clonePlan(r.Plan)
	r.Queue = clonePtr(r.Queue)
	r.Carry = cloneCarry(r.Carry)
	if r.Applier != nil {
		a := *r.Applier
		a.Groups = slices.Clone(a.Groups)
		r.Applier = &a
	}
	r.FailedEffect = clonePtr(r.FailedEffect)
	for i := range r.Approvals {
		r.Approvals[i].Actor.Groups = slices.Clone(r.Approvals[i].Actor.Groups)
	}
	r.Requester.Groups = slices.Clone(r.Requester.Groups)
	return r
}

// appendBounded returns s with v appended, keeping the last limit
// elements, in a new array of that size: s may be shared with the request
// a step started from (cloneRequest), and a step's copy is shared in turn
// by the next, so room to grow would never be used.
func appendBounded[T any](s []T, v T, limit int) []T {
	keep := s[max(0, len(s)-limit+1):]
	out := make([]T, len(keep)+1)
	copy(out, keep)
	out[len(keep)] = v
	return out
}

// CloneRequest returns a deep copy of r, sharing nothing with it (stores
// and fakes hand out copies; tests keep one to compare with).
func CloneRequest(r *Request) *Request {
	c := cloneRequest(*r)
	c.History, c.Seen = slices.Clone(r.History), slices.Clone(r.Seen)
	for i := range c.Owed {
		c.Owed[i].Audit = cloneAudit(c.Owed[i].Audit)
	}
	if c.FailedEffect != nil {
		c.FailedEffect.Audit = cloneAudit(c.FailedEffect.Audit)
	}
	return &c
}

func cloneAudit(a *AuditRecord) *AuditRecord {
	if a == nil {
		return nil
	}
	c := *a
	c.Inputs = maps.Clone(a.Inputs)
	c.Actor.Groups = slices.Clone(a.Actor.Groups)
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func clonePlan(p *PlanSummary) *PlanSummary {
	if p == nil {
		return nil
	}
	c := *p
	c.Resources = slices.Clone(p.Resources)
	c.Drift = slices.Clone(p.Drift)
	c.ModuleDigests = maps.Clone(p.ModuleDigests)
	return &c
}
