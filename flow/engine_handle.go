package flow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/tfpilot/tfpilot/registry"
)

// Handle applies a person's event to request id: it loads the request,
// prepares the event (EvSetInputs: resolves ev.Inputs through the catalogue;
// EvApprove/EvApply: checks first whether the change moved after the plan
// and whether another request holds the environment),
// steps, saves with the owed effects and hands them to the effect runners.
// A lost race is retried by re-loading and re-stepping.
//
// Inputs that are not valid are an *InputsNotSet (unwrapping to
// registry.InputErrors). The valid inputs of the same event are set all the
// same: the request is returned as saved with them, with the error naming
// them in Set.
//
// A refusal (*UserError wrapping ErrBadEvent, ErrDenied or ErrDuplicate) is
// returned together with the request as it stands; a denial is also written
// to the audit trail.
func (e *Engine) Handle(ctx context.Context, id string, ev Event) (*Request, error) {
	if ev.At.IsZero() {
		ev.At = e.cfg.Now()
	}
	unlock := e.locks.lock(id)
	defer unlock()
	// The first try steps the request as this engine last wrote it (no read
	// back); the conditional write catches a newer record. Anything but a
	// successful write — a refusal, a no-op, a lost race — is decided again
	// on the stored record.
	fresh := false
	for range maxConflicts {
		cur := e.written.get(id)
		if cur == nil || fresh {
			var err error
			if cur, err = e.cfg.Store.Get(ctx, id); err != nil {
				return nil, fmt.Errorf("handle %s on %s: %w", ev.Kind, id, err)
			}
		}
		evs, notSet, err := e.prepare(ctx, cur, ev)
		if err != nil {
			if !fresh {
				fresh = true
				continue
			}
			return cur, err
		}
		next, changed, stepErr := e.stepAll(cur, evs)
		if !fresh && (!changed || stepErr != nil) {
			fresh = true
			continue
		}
		if changed {
			if err := e.save(ctx, cur, &next); errors.Is(err, ErrConflict) {
				fresh = true
				continue
			} else if err != nil {
				return cur, err
			}
			cur = &next
		}
		if stepErr != nil {
			if errors.Is(stepErr, ErrDenied) {
				e.recordDenial(ctx, cur, ev, stepErr)
			}
			return cur, stepErr
		}
		if notSet != nil {
			return cur, notSet
		}
		return cur, nil
	}
	return nil, fmt.Errorf("handle %s on %s: %w", ev.Kind, id, ErrConflict)
}

// stepAll steps evs in order. It stops at the first error and returns what
// was stepped before it, so a change found to have moved is saved even when
// the approval that found it is refused.
func (e *Engine) stepAll(r *Request, evs []Event) (Request, bool, error) {
	cur, changed := *r, false
	for _, ev := range evs {
		next, _, ch, err := step(cur, ev, e.cfg.Policy)
		if err != nil {
			return cur, changed, err
		}
		cur, changed = next, changed || ch
	}
	return cur, changed, nil
}

// prepare turns a person's event into the events to step: it resolves
// inputs and, before an approval, apply or re-plan, checks whether the
// change moved.
// Inputs of which only some are valid give the event with the valid ones
// and, to return once it is saved, the *InputsNotSet naming the others.
func (e *Engine) prepare(ctx context.Context, r *Request, ev Event) ([]Event, *InputsNotSet, error) {
	var notSet *InputsNotSet
	switch ev.Kind {
	case EvSetInputs:
		if r.Kind != KindCreate || (r.State != CollectingInputs && r.State != Confirming) || noop(r, ev) {
			return []Event{ev}, nil, nil // Step refuses or ignores it
		}
		m, err := e.module(ctx, r.Project, r.Module)
		if err != nil {
			return nil, nil, err
		}
		canon, problems, err := resolveEach(m, ev.Inputs)
		if err != nil {
			return nil, nil, err
		}
		if len(problems) > 0 {
			notSet = &InputsNotSet{Request: r.ID, Set: slices.Sorted(maps.Keys(canon)), Problems: problems}
			if len(canon) == 0 {
				return nil, nil, notSet
			}
		}
		merged := maps.Clone(r.Inputs)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, canon)
		ev.Inputs, ev.Sensitive, ev.Missing = merged, sensitiveInputs(m), m.Missing(merged)
		if ev.Missing == nil {
			ev.Missing = []string{}
		}
	case EvChooseModule:
		if ev.Module != "" && !noop(r, ev) {
			m, err := e.module(ctx, orProject(e.cfg.Policy, ev.Project, r.Project), ev.Module)
			if err != nil {
				return nil, nil, err
			}
			ev.Sensitive = sensitiveInputs(m)
		}
	case EvApprove, EvApply:
		if !noop(r, ev) {
			held, err := e.heldBy(ctx, r)
			if err != nil {
				return nil, nil, err
			}
			ev.HeldBy, ev.HeldFor = held.HeldBy, held.HeldFor
		}
		if moved, ok, err := e.changeMoved(ctx, r, ev); err != nil {
			return nil, nil, err
		} else if ok {
			return e.orderMoved(r, ev, moved), nil, nil
		}
	case EvRetry:
		// A retried apply dispatch is an apply: the same staleness check.
		// (A re-plan needs none: its change is rebuilt on the current base
		// at the run's turn, see Engine.atTurn.)
		if moved, ok, err := e.changeMoved(ctx, r, ev); err != nil {
			return nil, nil, err
		} else if ok {
			return e.orderMoved(r, ev, moved), nil, nil
		}
	}
	return []Event{ev}, notSet, nil
}

// resolveEach resolves raw through m. When some inputs are not valid it
// returns, with the problems of all, the canonical values of the valid ones:
// each input is checked on its own (validations see one input at a time),
// and an input given twice under two keys is left out, as its problem says.
func resolveEach(m *registry.Module, raw map[string]string) (map[string]string, registry.InputErrors, error) {
	canon, err := m.Resolve(raw)
	if err == nil {
		return canon, nil, nil
	}
	var problems registry.InputErrors
	if !errors.As(err, &problems) {
		return nil, nil, err
	}
	good, twice := map[string]string{}, map[string]bool{}
	for k, v := range raw {
		one, err := m.Resolve(map[string]string{k: v})
		if err != nil {
			continue
		}
		for name, text := range one {
			if _, dup := good[name]; dup {
				twice[name] = true
			}
			good[name] = text
		}
	}
	for name := range twice {
		delete(good, name)
	}
	return good, problems, nil
}

func orProject(p Policy, project, current string) string {
	if project != "" {
		return project
	}
	if current != "" {
		return current
	}
	if len(p.Projects) == 1 {
		return p.Projects[0].Name
	}
	return ""
}

func sensitiveInputs(m *registry.Module) []string {
	var out []string
	for _, in := range m.Inputs {
		if in.Sensitive {
			out = append(out, in.Name)
		}
	}
	return out
}

// orderMoved orders a person's approve or apply (ev) and the change_moved
// found before it. Only when nothing but the base moved, and Step takes ev
// on the plan the person saw, does ev go first: the approval counts, and
// the re-plan that follows carries it over when the new plan is the same
// change (carry.go). An apply, or a Retry of an apply whose dispatch ran
// out of retries, needs no change_moved then: its dispatch waits for its
// turn, which re-plans it, carrying the apply, since its base moved
// (Engine.atTurn). Otherwise the move is stepped first and ev is decided
// on what it made of r.
//
// A press Step refuses on the plan the person saw because they may not do
// it, or because the environment is held, is refused alone: the move
// would not change that, and stepping it would let anyone make TfPilot
// plan again, or throw away approvals a plan made during the hold cannot
// carry (the holder's merge re-plans r, carrying them).
func (e *Engine) orderMoved(r *Request, ev, moved Event) []Event {
	if moved.Kind == EvChangeMoved && baseOnlyMoved(r, moved.Change) {
		_, _, _, err := step(*r, ev, e.cfg.Policy)
		switch {
		case err == nil && (ev.Kind == EvApply || ev.Kind == EvRetry && applyNotStarted(r)):
			return []Event{ev}
		case err == nil:
			return []Event{ev, moved}
		case errors.Is(err, ErrDenied) || errors.Is(err, ErrHeld):
			return []Event{ev}
		}
	}
	return []Event{moved, ev}
}

// changeMoved asks the repository whether r's branch or base moved since the
// plan; if so it returns the EvChangeMoved to step before ev. A pull request
// someone closed outside TfPilot gives the EvChangeClosed that cancels r.
func (e *Engine) changeMoved(ctx context.Context, r *Request, ev Event) (Event, bool, error) {
	if (r.State != AwaitingApproval && r.State != Approved && !applyNotStarted(r)) || r.Change == nil || r.PlanRun == nil || noop(r, ev) {
		return Event{}, false, nil
	}
	now, err := e.cfg.Repo.ChangeStatus(ctx, r.Project, *r.Change)
	if err != nil {
		return Event{}, false, fmt.Errorf("check change of %s: %w", r.ID, err)
	}
	if now.Closed && !r.Change.Merged {
		// Closed or merged by hand: cancelled, or planned from the base.
		c := *r.Change
		c.Closed, c.Merged = true, now.Merged
		return Event{Kind: EvChangeClosed, Key: ev.Key + "/closed", Actor: System, At: ev.At, Change: &c}, true, nil
	}
	planned := r.PlanRun.HeadSHA
	if planned == "" {
		planned = r.Change.HeadSHA
	}
	if (now.HeadSHA == "" || now.HeadSHA == planned) && (now.BaseSHA == "" || now.BaseSHA == r.Change.BaseSHA) {
		return Event{}, false, nil
	}
	return Event{Kind: EvChangeMoved, Key: ev.Key + "/moved", Actor: System, At: ev.At, Change: &now}, true, nil
}

// save writes next (a step of cur) conditionally on cur's revision and
// hands the owed effects to the runners; see write.
func (e *Engine) save(ctx context.Context, cur, next *Request) error {
	return e.write(ctx, cur, next)
}

// write is the one way the engine updates a stored request: conditionally
// on cur's revision, with Version bumped exactly once, the parked
// acknowledgements folded in (see engine_ack.go), and the lease settled in
// the same write: released when next owes nothing, taken (or renewed) when
// it owes effects and no other live replica holds it. Afterwards it cancels
// in-flight effects next no longer owes and wakes next's runner.
func (e *Engine) write(ctx context.Context, cur, next *Request) error {
	next.Version = cur.Version + 1
	next.Rev = cur.Rev
	acks := e.foldAcks(next)
	switch {
	case len(next.Owed) == 0:
		next.Lease = Lease{} // nothing to guard: any replica may take it at once
	case e.leasable(next):
		next.Lease = Lease{Owner: e.cfg.Owner, Until: e.cfg.Now().Add(e.cfg.LeaseTTL)}
	}
	if err := e.cfg.Store.Update(ctx, next); err != nil {
		e.written.forget(next.ID)
		return fmt.Errorf("save %s: %w", next.ID, err)
	}
	e.wrote(next)
	e.acks.unpark(next.ID, acks)
	e.saved(next)
	return nil
}

// leasable reports whether this engine holds r's lease or may take it.
func (e *Engine) leasable(r *Request) bool {
	return r.Lease.Owner == "" || r.Lease.Owner == e.cfg.Owner || !r.Lease.Until.After(e.cfg.Now())
}

// recordDenial writes the audit record of a refused event directly. The
// request's Seq is advanced (with a conditional write) so the record has a
// sequence number of its own; if the audit log fails, the record is kept
// owed on the request instead of lost.
func (e *Engine) recordDenial(ctx context.Context, r *Request, ev Event, reason error) {
	rec := denialRecord(r, ev, reason)
	cur := r
	for range maxConflicts {
		next := cloneRequest(*cur)
		next.Seq++
		rec.Seq = next.Seq
		err := e.write(ctx, cur, &next)
		if errors.Is(err, ErrConflict) {
			if cur, err = e.cfg.Store.Get(ctx, r.ID); err != nil {
				e.logFor(r.ID).Error("reload for denial", "err", err)
				return
			}
			continue
		}
		if err != nil {
			e.logFor(r.ID).Error("reserve audit seq for denial", "err", err)
			return
		}
		if err := e.cfg.Audit.Record(ctx, rec); err != nil {
			e.logFor(r.ID).Warn("audit denial failed; keeping it owed", "err", err)
			e.oweAudit(ctx, r.ID, rec)
		}
		return
	}
}

// oweAudit adds an audit record that could not be written to the request's
// outbox, so the runners retry it.
func (e *Engine) oweAudit(ctx context.Context, id string, rec AuditRecord) {
	for range maxConflicts {
		cur, err := e.cfg.Store.Get(ctx, id)
		if err != nil {
			e.logFor(id).Error("owe audit: load", "err", err)
			return
		}
		next := cloneRequest(*cur)
		next.Owed = append(next.Owed, Effect{ID: fmt.Sprintf("%d-%s", rec.Seq, EffRecordAudit), Kind: EffRecordAudit, Audit: &rec})
		err = e.save(ctx, cur, &next)
		if err == nil || !errors.Is(err, ErrConflict) {
			if err != nil {
				e.logFor(id).Error("owe audit: save", "err", err)
			}
			return
		}
	}
}
