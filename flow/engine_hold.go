package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tfpilot/tfpilot/registry"
)

// heldBy finds the request that holds r's environment: another request of
// the same project and environment that is applied but not merged (or
// applied with its merge still owed) — what it applied is live but not in
// the base branch — or whose pull request was merged outside TfPilot and
// is not applied yet — what is in the base branch is not live. Either way
// every other plan there is made against the wrong picture, so Step
// refuses approving or applying r until the hold clears (see
// Event.HeldBy). Only a request that could be approved or applied asks.
func (e *Engine) heldBy(ctx context.Context, r *Request) (Facts, error) {
	if r.State != AwaitingApproval && r.State != Approved {
		return Facts{}, nil
	}
	return e.holder(ctx, r)
}

// holder finds the request that holds r's environment, whatever r's state
// (see heldBy); zero Facts when none does.
func (e *Engine) holder(ctx context.Context, r *Request) (Facts, error) {
	others, err := e.cfg.Store.List(ctx, Filter{Project: r.Project, Environment: r.Environment, States: append([]State{Applied, AppliedNotMerged}, mergedUnapplied...)})
	if err != nil {
		return Facts{}, fmt.Errorf("find what holds %s of %s: %w", r.Environment, r.ID, err)
	}
	for _, o := range others {
		if o.ID == r.ID {
			continue
		}
		label := registry.Label(o.ID) // a destroy request's Label is its target's
		switch {
		case holds(o):
			return Facts{HeldBy: label, HeldFor: HeldUnmerged}, nil
		case o.Change != nil && o.Change.Merged && slices.Contains(mergedUnapplied, o.State) && !before(r, o):
			return Facts{HeldBy: label, HeldFor: HeldUnapplied}, nil
		}
	}
	return Facts{}, nil
}

// before reports whether r, itself merged outside TfPilot and not applied,
// goes before o, in the same case: two such requests would otherwise hold
// each other for ever. The older goes first; its plan, of the base that
// holds both files, shows the other's resources outside its module, and
// once it is applied the other re-plans (replanOthers).
func before(r, o *Request) bool {
	if r.Change == nil || !r.Change.Merged || !slices.Contains(mergedUnapplied, r.State) {
		return false
	}
	if !r.CreatedAt.Equal(o.CreatedAt) {
		return r.CreatedAt.Before(o.CreatedAt)
	}
	return r.ID < o.ID
}

// byHand reports whether r's pull request was merged outside TfPilot
// before its apply: its change was planned and applied from the base as it
// was (ChangeSpec.AtBase), with no commit of its own.
func byHand(r *Request) bool {
	return r.Change != nil && r.Change.Merged && r.Change.HeadSHA != "" && r.Change.HeadSHA == r.Change.BaseSHA
}

// mergedUnapplied are the states in which a request whose pull request was
// merged outside TfPilot has not applied it yet.
var mergedUnapplied = []State{OpeningPR, Planning, AwaitingApproval, Approved, Applying, Stale, PlanFailed, ApplyFailed}

// Why an environment is held (Facts.HeldFor).
const (
	HeldUnmerged  = "applied but not merged"
	HeldUnapplied = "merged outside TfPilot but not applied"
)

// holds reports whether o, applied, is not merged yet.
func holds(o *Request) bool {
	return o.State == AppliedNotMerged ||
		o.State == Applied && slices.ContainsFunc(o.Owed, func(f Effect) bool { return f.Kind == EffMergeChange })
}

// replanOthers steps EvBaseMerged on every other request of merged's
// project and environment that has a plan made before the merge (awaiting
// approval, approved or stale) on a base older than the branch's now: each
// re-plans by itself on the new base.
// A request merged by hand before its apply moved no base now, but its
// apply changed what every plan there was made against: they all re-plan.
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
		if o.State != Stale && now.BaseSHA != "" && now.BaseSHA == o.Change.BaseSHA && !byHand(merged) {
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
	held := map[env]Facts{}
	out := make([]Outlook, 0, len(rs))
	for _, r := range rs {
		k := env{r.Project, r.Environment}
		f, seen := held[k]
		if !seen && (r.State == AwaitingApproval || r.State == Approved) {
			var err error
			if f, err = e.heldBy(ctx, r); err != nil {
				return nil, err
			}
			held[k] = f
		}
		out = append(out, OutlookWith(r, e.cfg.Policy, viewer, f))
	}
	return out, nil
}

// waitingForPeople are the states in which a request's pull request is
// open and its plan waits for a person: a pull request closed or merged by
// hand then is noticed by scanClosed.
var waitingForPeople = []State{AwaitingApproval, Approved, Stale, PlanFailed, ApplyFailed}

// scanClosed notices pull requests closed or merged outside TfPilot while
// their requests wait for a person: one Repo.ClosedChanges call per project
// with such requests, then change_closed on each request whose pull request
// is among them (cancelled if closed, planned from the base if merged). The
// event's key names the pull request, so replicas scanning at once, or a
// scan repeated, act once.
func (e *Engine) scanClosed(ctx context.Context) error {
	if e.scanning.Swap(true) {
		return nil // the previous scan is still going
	}
	defer e.scanning.Store(false)
	rs, err := e.cfg.Store.List(ctx, Filter{States: waitingForPeople})
	if err != nil {
		return fmt.Errorf("list requests waiting for people: %w", err)
	}
	byProject := map[string][]*Request{}
	for _, r := range rs {
		if r.Change != nil && r.Change.Number != 0 && !r.Change.Merged {
			byProject[r.Project] = append(byProject[r.Project], r)
		}
	}
	var errs []error
	for project, waiting := range byProject {
		var closed []Change
		err := e.call(ctx, func(ctx context.Context) (err error) {
			closed, err = e.cfg.Repo.ClosedChanges(ctx, project)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("closed pull requests of %s: %w", project, err))
			continue
		}
		for _, r := range waiting {
			i := slices.IndexFunc(closed, func(c Change) bool { return c.Number == r.Change.Number && c.Branch == r.Change.Branch })
			if i < 0 {
				continue
			}
			c := *r.Change
			c.Closed, c.Merged = true, closed[i].Merged
			ev := Event{Kind: EvChangeClosed, Key: fmt.Sprintf("pr-%d/closed", c.Number), Actor: System, At: e.cfg.Now(), Change: &c}
			if _, err := e.Handle(ctx, r.ID, ev); err != nil && !errors.Is(err, ErrBadEvent) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// holdCacheTTL bounds how long a card trusts what held its environment.
const holdCacheTTL = 10 * time.Second

// holdCache remembers, for cards only, what holds each project environment:
// finding it lists the store (on S3, every record), and a card is drawn on
// every transition. This engine's own writes in an environment forget its
// entry (see Engine.saved); another replica's are seen within holdCacheTTL.
// Approve and apply never use it: Handle looks the hold up afresh, so a
// card a few seconds behind at worst offers a button Step then refuses.
type holdCache struct {
	mu sync.Mutex
	m  map[[2]string]heldAt
}

type heldAt struct {
	f  Facts
	at time.Time
}

func (c *holdCache) get(r *Request, now time.Time) (Facts, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[[2]string{r.Project, r.Environment}]
	if !ok || now.Sub(h.at) >= holdCacheTTL || now.Before(h.at) {
		return Facts{}, false
	}
	return h.f, true
}

func (c *holdCache) put(r *Request, f Facts, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[2]string]heldAt{}
	}
	c.m[[2]string{r.Project, r.Environment}] = heldAt{f: f, at: now}
}

func (c *holdCache) forget(r *Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, [2]string{r.Project, r.Environment})
}

// heldForCard is heldBy through the card's cache.
func (e *Engine) heldForCard(ctx context.Context, r *Request) (Facts, error) {
	if r.State != AwaitingApproval && r.State != Approved {
		return Facts{}, nil
	}
	now := e.cfg.Now()
	if f, ok := e.holdCache.get(r, now); ok {
		return f, nil
	}
	f, err := e.heldBy(ctx, r)
	if err == nil {
		e.holdCache.put(r, f, now)
	}
	return f, err
}
