package flow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// awaitTurn holds dispatch effect eff of r until the run queue of r's
// environment says it is r's turn (see Queue), showing r's place on its
// card meanwhile. It returns r as it is then when r may dispatch, with r's entry marked
// running in the stored queue, so no other replica dispatches in r's
// environment until r's run ends (and, for an apply, its merge lands).
func (e *Engine) awaitTurn(ctx, work context.Context, r *Request, eff Effect) (*Request, error) {
	wf := WorkflowPlan
	if eff.Kind == EffDispatchApply {
		wf = WorkflowApply
	}
	for {
		wake := e.turns.wait(r.Project, r.Environment)
		var ahead int
		var foreign bool
		err := e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
			ahead, foreign, err = e.takeTurn(ctx, r, eff, wf)
			return err
		})
		if err != nil {
			return nil, err
		}
		if ahead == 0 {
			return r, nil
		}
		ev := Event{Kind: EvQueued, Key: eff.ID + "/queued", EffectID: eff.ID, Actor: System, At: e.cfg.Now(),
			Queue: &QueuePlace{Ahead: ahead, Workflow: wf, Foreign: foreign}}
		if err := e.applySystem(work, r.ID, ev); err != nil {
			return nil, err
		}
		if err := sleepOr(ctx, work, wake, e.cfg.PollInterval); err != nil {
			return nil, err
		}
		cur, err := e.cfg.Store.Get(work, r.ID)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", r.ID, err)
		}
		if owedIndex(cur.Owed, eff.ID) < 0 {
			return nil, fmt.Errorf("queued %s of %s: %w", eff.ID, r.ID, errNotOwed)
		}
		r = cur
	}
}

// atTurn makes sure, once r's turn has come, that its run is of the
// environment as it is now: what ran before it in the queue may have merged
// and moved the base. A plan's change is rebuilt on the current base
// (OpenChange is idempotent: with nothing moved it returns the change as
// it is), and the dispatch result carries it (ev.Change). An apply whose
// branch or base moved since its plan is not dispatched: it returns the
// change_moved that makes r plan again (moved), since its saved plan no
// longer describes what it would do; so does an apply whose environment
// another request holds (applied, merge refused).
func (e *Engine) atTurn(ctx, work context.Context, r *Request, eff Effect) (ev Event, moved bool, err error) {
	if eff.Kind == EffDispatchPlan {
		spec, _, err := e.changeSpec(work, r)
		if err != nil {
			return Event{}, false, err
		}
		var c Change
		err = e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
			c, err = e.cfg.Repo.OpenChange(ctx, spec)
			return err
		})
		return Event{Change: &c}, false, err
	}
	var now Change
	err = e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
		now, err = e.cfg.Repo.ChangeStatus(ctx, r.Project, *r.Change)
		return err
	})
	if err != nil {
		return Event{}, false, err
	}
	// Another apply that went before r's is applied but its merge was
	// refused (Queue.Live frees the queue then): it holds the environment,
	// and r's plan predates what it applied. r plans again instead, as if
	// the base had moved; its new plan waits for the hold (Step refuses
	// approving it) and re-plans once more when the holder merges.
	held, err := e.holder(work, r)
	if err != nil {
		return Event{}, false, err
	}
	if held.HeldBy != "" {
		return Event{Kind: EvChangeMoved, Change: &now, HeldBy: held.HeldBy, HeldFor: held.HeldFor}, true, nil
	}
	planned := r.Change.HeadSHA
	if r.PlanRun != nil && r.PlanRun.HeadSHA != "" {
		planned = r.PlanRun.HeadSHA
	}
	if (now.HeadSHA == "" || now.HeadSHA == planned) && (now.BaseSHA == "" || now.BaseSHA == r.Change.BaseSHA) {
		return Event{}, false, nil
	}
	return Event{Kind: EvChangeMoved, Change: &now}, true, nil
}

// takeTurn reads the queue of r's environment once: it puts r in line if it
// is not (an entry of r for an earlier dispatch keeps its place: a
// redispatch or a retry), drops entries that no longer stand, and, when r
// is first and no run occupies the environment, marks r running. It saves
// what changed conditionally, reading again after a lost race, and returns
// how many runs are ahead of r (0: r may dispatch) and whether they are
// runs TfPilot's queue does not hold (QueuePlace.Foreign).
func (e *Engine) takeTurn(ctx context.Context, r *Request, eff Effect, wf Workflow) (ahead int, foreign bool, err error) {
	for range maxConflicts {
		q, err := e.cfg.Store.Queue(ctx, r.Project, r.Environment)
		if err != nil {
			return 0, false, fmt.Errorf("read the run queue of %s: %w", r.Environment, err)
		}
		changed := false
		switch i := q.index(r.ID); {
		case i < 0:
			q.Entries = append(q.Entries, QueueEntry{RequestID: r.ID, Workflow: wf, Effect: eff.ID, Since: e.cfg.Now()})
			changed = true
		case q.Entries[i].Effect != eff.ID:
			q.Entries[i].Workflow, q.Entries[i].Effect, q.Entries[i].Running = wf, eff.ID, false
			changed = true
		}
		kept := make([]QueueEntry, 0, len(q.Entries))
		for _, en := range q.Entries {
			if en.RequestID != r.ID {
				o, err := e.cfg.Store.Get(ctx, en.RequestID)
				if err != nil && !errors.Is(err, ErrNotFound) {
					return 0, false, fmt.Errorf("read the run queue of %s: %w", r.Environment, err)
				}
				if !en.Live(o) {
					changed = true
					continue
				}
			}
			kept = append(kept, en)
		}
		q.Entries = kept
		line := q.Line()
		ahead = 0
		for ahead < len(line) && line[ahead].RequestID != r.ID {
			ahead++
		}
		if ahead == 0 && !line[0].Running {
			busy, err := e.cfg.Runs.Busy(ctx, r.Project, r.Environment)
			if err != nil {
				return 0, false, fmt.Errorf("look for runs in %s: %w", r.Environment, err)
			}
			if ahead, foreign = busy, busy > 0; ahead == 0 {
				q.Entries[q.index(r.ID)].Running = true
				changed = true
			}
		}
		if changed {
			err := e.cfg.Store.SaveQueue(ctx, q)
			if errors.Is(err, ErrConflict) {
				continue
			}
			if err != nil {
				return 0, false, fmt.Errorf("save the run queue of %s: %w", r.Environment, err)
			}
		}
		return ahead, foreign, nil
	}
	return 0, false, fmt.Errorf("save the run queue of %s: %w", r.Environment, ErrConflict)
}

// turns wakes the requests of an environment waiting in its queue when a
// request there is written by this engine (a run ended, a request was
// cancelled): they look at the queue again at once rather than at the next
// poll. Another replica's writes are seen at the next poll.
type turns struct {
	mu      sync.Mutex
	waiters map[[2]string]chan struct{}
}

// wait returns a channel closed at the next write in project's
// environment.
func (t *turns) wait(project, env string) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{project, env}
	ch, ok := t.waiters[k]
	if !ok {
		if t.waiters == nil {
			t.waiters = map[[2]string]chan struct{}{}
		}
		ch = make(chan struct{})
		t.waiters[k] = ch
	}
	return ch
}

// written wakes the waiters of r's environment.
func (t *turns) written(r *Request) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{r.Project, r.Environment}
	if ch, ok := t.waiters[k]; ok {
		close(ch)
		delete(t.waiters, k)
	}
}

// sleepOr waits d, until wake is closed, or until either context ends.
func sleepOr(ctx, work context.Context, wake <-chan struct{}, d time.Duration) error {
	select {
	case <-wake:
		return nil
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-work.Done():
		return work.Err()
	}
}
