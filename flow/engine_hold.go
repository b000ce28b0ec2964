package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tfpilot/tfpilot/registry"
)

// heldBy names the request that holds r's environment: another request of
// the same project and environment that is applied but not merged, or
// applied with its merge still owed. What it applied is live but not in the
// base branch, so Step refuses approving or applying r until it merges (see
// Event.HeldBy). Only a request that could be approved or applied asks.
func (e *Engine) heldBy(ctx context.Context, r *Request) (string, error) {
	if r.State != AwaitingApproval && r.State != Approved {
		return "", nil
	}
	return e.holder(ctx, r)
}

// holder names the request that holds r's environment, whatever r's state
// (see heldBy), or "".
func (e *Engine) holder(ctx context.Context, r *Request) (string, error) {
	others, err := e.cfg.Store.List(ctx, Filter{Project: r.Project, Environment: r.Environment, States: []State{Applied, AppliedNotMerged}})
	if err != nil {
		return "", fmt.Errorf("find what holds %s of %s: %w", r.Environment, r.ID, err)
	}
	for _, o := range others {
		if o.ID != r.ID && holds(o) {
			return registry.Label(o.ID), nil // a destroy request's Label is its target's
		}
	}
	return "", nil
}

// holds reports whether o, applied, is not merged yet.
func holds(o *Request) bool {
	return o.State == AppliedNotMerged ||
		o.State == Applied && slices.ContainsFunc(o.Owed, func(f Effect) bool { return f.Kind == EffMergeChange })
}

// replanOthers steps EvBaseMerged on every other request of merged's
// project and environment that has a plan made before the merge (awaiting
// approval, approved or stale) on a base older than the branch's now: each
// re-plans by itself on the new base.
// The key, derived from merged's ID, makes a resumed effect a no-op on the
// requests it reached already; one that moved on refuses the event, which
// is fine.
func (e *Engine) replanOthers(ctx context.Context, merged *Request) error {
	others, err := e.cfg.Store.List(ctx, Filter{Project: merged.Project, Environment: merged.Environment, States: []State{AwaitingApproval, Approved, Stale}})
	if err != nil {
		return fmt.Errorf("find plans %s made stale: %w", merged.ID, err)
	}
	label := registry.Label(merged.ID) // a destroy request's Label is its target's
	for _, o := range others {
		if o.ID == merged.ID || o.Change == nil {
			continue
		}
		now, err := e.cfg.Repo.ChangeStatus(ctx, o.Project, *o.Change)
		if err != nil {
			return fmt.Errorf("re-plan %s after %s merged: %w", o.ID, merged.ID, err)
		}
		if now.BaseSHA != "" && now.BaseSHA == o.Change.BaseSHA {
			continue // built on the new base already (its plan waited for the merge)
		}
		ev := Event{Kind: EvBaseMerged, Key: merged.ID + "/base_merged", Actor: System, Target: merged.ID, Label: label}
		if _, err := e.Handle(ctx, o.ID, ev); err != nil && !errors.Is(err, ErrBadEvent) {
			return fmt.Errorf("re-plan %s after %s merged: %w", o.ID, merged.ID, err)
		}
	}
	return nil
}

// Outlooks answers OutlookOf for each of rs and viewer (nil: anyone) with
// what the engine looks up for the event, as Handle would, so a per-viewer
// surface (App Home) offers exactly what a click would be allowed. It looks
// up what holds each project and environment once, however many of rs are
// in it.
func (e *Engine) Outlooks(ctx context.Context, rs []*Request, viewer *Actor) ([]Outlook, error) {
	type env struct{ project, name string }
	held := map[env]string{}
	out := make([]Outlook, 0, len(rs))
	for _, r := range rs {
		k := env{r.Project, r.Environment}
		by, seen := held[k]
		if !seen && (r.State == AwaitingApproval || r.State == Approved) {
			var err error
			if by, err = e.heldBy(ctx, r); err != nil {
				return nil, err
			}
			held[k] = by
		}
		out = append(out, OutlookWith(r, e.cfg.Policy, viewer, Facts{HeldBy: by}))
	}
	return out, nil
}
