package flow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/tfpilot/tfpilot/registry"
)

// openMemory is how many Open idempotency keys the engine remembers.
const openMemory = 1024

// Open starts a request: EvStart for a create request, EvStartDestroy for a
// destroy request whose ev.Target is the applied create request's ID or
// label (the engine copies project, module, environment, label, file and
// inputs from it). The same ev.Key opened twice on this engine returns the
// first request.
//
// EvStart may carry ev.Inputs for its ev.Module: they are checked against
// the module before anything is created, and any problem is an
// *InputsNotSet with no Request (nothing was created). Valid inputs are set
// in the same write as the start (a set_inputs step after it), so the new
// request is already confirming when none is missing.
//
// Only an applied create request whose change merged can be destroyed, and
// only by one destroy request at a time: the target records the destroy
// request's ID (Request.DestroyedBy) with a conditional write before the
// destroy request is created.
func (e *Engine) Open(ctx context.Context, ev Event) (*Request, error) {
	if ev.Kind != EvStart && ev.Kind != EvStartDestroy {
		return nil, fmt.Errorf("open with %s: %w", ev.Kind, ErrBadEvent)
	}
	if ev.At.IsZero() {
		ev.At = e.cfg.Now()
	}
	if ev.Key != "" {
		unlock := e.locks.lock("open/" + ev.Key)
		defer unlock()
		e.mu.Lock()
		id, ok := e.opened[ev.Key]
		e.mu.Unlock()
		if ok {
			return e.Get(ctx, id)
		}
	}
	r := &Request{ID: e.cfg.NewID(), Kind: KindCreate, Requester: ev.Actor, CreatedAt: ev.At}
	var inputs map[string]string // a destroy request's inputs are its target's
	if ev.Kind == EvStart {
		inputs, ev.Inputs = ev.Inputs, nil
	}
	var m *registry.Module
	if ev.Kind == EvStart && ev.Module != "" {
		var err error
		if m, err = e.module(ctx, orProject(e.cfg.Policy, ev.Project, ""), ev.Module); err != nil {
			return nil, err
		}
		ev.Sensitive = sensitiveInputs(m)
	}
	if len(inputs) > 0 && m == nil {
		return nil, Userf(ErrBadEvent, "inputs need a module: say which, e.g. /tfpilot new <module> env=<environment> key=value")
	}
	var target *Request
	if ev.Kind == EvStartDestroy {
		r.Kind = KindDestroy
		t, err := e.destroyTarget(ctx, ev.Target)
		if err != nil {
			return nil, err
		}
		target = t
		ev.Target, ev.Project, ev.Module, ev.Environment = t.ID, t.Project, t.Module, t.Environment
		ev.Label, ev.File, ev.Inputs, ev.Sensitive = t.Label, t.File, maps.Clone(t.Inputs), slices.Clone(t.Sensitive)
	}
	next, _, _, err := step(*r, ev, e.cfg.Policy)
	if err != nil {
		if errors.Is(err, ErrDenied) {
			// Nothing was created: the record names what was asked for.
			asked := &Request{ID: r.ID, Project: ev.Project, Environment: ev.Environment, Module: ev.Module}
			rec := denialRecord(asked, ev, err)
			if aerr := e.cfg.Audit.Record(ctx, rec); aerr != nil {
				e.logFor(r.ID).Error("audit denied open", "err", aerr)
			}
		}
		return nil, err
	}
	if len(inputs) > 0 {
		if next, err = e.startInputs(next, ev, m, inputs); err != nil {
			return nil, err
		}
	}
	if target != nil {
		if err := e.claimTarget(ctx, target.ID, next.ID); err != nil {
			return nil, err
		}
	}
	next.Version = 1
	if len(next.Owed) > 0 {
		next.Lease = Lease{Owner: e.cfg.Owner, Until: e.cfg.Now().Add(e.cfg.LeaseTTL)}
	}
	if err := e.cfg.Store.Create(ctx, &next); err != nil {
		return nil, fmt.Errorf("create request %s: %w", next.ID, err)
	}
	if ev.Key != "" {
		e.remember(ev.Key, next.ID)
	}
	e.wrote(&next)
	e.saved(&next)
	return &next, nil
}

// startInputs steps the inputs given with a start onto the started request
// r: all of them valid, or none set.
func (e *Engine) startInputs(r Request, start Event, m *registry.Module, inputs map[string]string) (Request, error) {
	canon, err := m.Resolve(inputs)
	if err != nil {
		var problems registry.InputErrors
		if errors.As(err, &problems) {
			return r, &InputsNotSet{Problems: problems}
		}
		return r, fmt.Errorf("resolve inputs of %s: %w", m.Name, err)
	}
	ev := Event{Kind: EvSetInputs, Actor: start.Actor, At: start.At, Inputs: canon, Sensitive: sensitiveInputs(m), Missing: m.Missing(canon)}
	if start.Key != "" {
		ev.Key = start.Key + "/inputs"
	}
	if ev.Missing == nil {
		ev.Missing = []string{}
	}
	next, _, _, err := step(r, ev, e.cfg.Policy)
	return next, err
}

func (e *Engine) remember(key, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opened[key] = id
	e.openOrder = append(e.openOrder, key)
	if len(e.openOrder) > openMemory {
		delete(e.opened, e.openOrder[0])
		e.openOrder = e.openOrder[1:]
	}
}

// destroyTarget finds the request ref names and checks it can be destroyed.
func (e *Engine) destroyTarget(ctx context.Context, ref string) (*Request, error) {
	if ref == "" {
		return nil, Userf(ErrBadEvent, "say which request to destroy: its ID or label")
	}
	t, err := e.Find(ctx, ref)
	if err != nil {
		return nil, err
	}
	if t.Kind != KindCreate {
		// A destroy request's Label is its target's: name it by its own.
		return nil, Userf(ErrBadEvent, fmt.Sprintf("%s is a destroy request, so there is nothing of its own to destroy; it destroys %s",
			registry.Label(t.ID), t.Label))
	}
	if t.State != Applied {
		return nil, Userf(ErrBadEvent, fmt.Sprintf("only an applied request can be destroyed; %s is %s", t.Label, stateText(t.State)))
	}
	if t.Change != nil && !t.Change.Merged {
		return nil, Userf(ErrBadEvent, fmt.Sprintf("the pull request of %s has not merged yet; destroy it after it merges", t.Label))
	}
	if busy, err := e.destroyInProgress(ctx, t); err != nil {
		return nil, err
	} else if busy != "" {
		return nil, Userf(ErrExists, busy)
	}
	return t, nil
}

// destroyInProgress explains why t cannot be destroyed again, or returns "".
func (e *Engine) destroyInProgress(ctx context.Context, t *Request) (string, error) {
	if t.DestroyedBy == "" {
		return "", nil
	}
	if !t.DestroyedAt.IsZero() {
		return fmt.Sprintf("%s is already destroyed (by request %s)", t.Label, registry.Label(t.DestroyedBy)), nil
	}
	d, err := e.cfg.Store.Get(ctx, t.DestroyedBy)
	if errors.Is(err, ErrNotFound) {
		return "", nil // a claim whose destroy request was never created
	}
	if err != nil {
		return "", fmt.Errorf("load destroy request %s: %w", t.DestroyedBy, err)
	}
	switch d.State {
	case Cancelled, Rejected:
		return "", nil
	case Applied:
		return fmt.Sprintf("%s is already destroyed", t.Label), nil
	}
	return fmt.Sprintf("%s is already being destroyed by request %s", t.Label, registry.Label(d.ID)), nil
}

// claimTarget records on the target that destroyID destroys it, with a
// conditional write so two destroy requests cannot both claim it.
func (e *Engine) claimTarget(ctx context.Context, targetID, destroyID string) error {
	unlock := e.locks.lock(targetID)
	defer unlock()
	for range maxConflicts {
		t, err := e.cfg.Store.Get(ctx, targetID)
		if err != nil {
			return fmt.Errorf("claim %s: %w", targetID, err)
		}
		if busy, err := e.destroyInProgress(ctx, t); err != nil {
			return err
		} else if busy != "" {
			return Userf(ErrExists, busy)
		}
		next := cloneRequest(*t)
		next.DestroyedBy = destroyID
		if err := e.write(ctx, t, &next); err == nil {
			return nil
		} else if !errors.Is(err, ErrConflict) {
			return fmt.Errorf("claim %s: %w", targetID, err)
		}
	}
	return fmt.Errorf("claim %s: %w", targetID, ErrConflict)
}
