package flow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tfpilot/tfpilot/registry"
)

// startHeavy runs a repository or workflow effect in its own goroutine
// unless it is already running, and feeds its result back as an event.
func (e *Engine) startHeavy(ctx, work context.Context, id string, eff Effect) {
	e.mu.Lock()
	if e.stopping {
		e.mu.Unlock()
		return
	}
	m := e.inflight[id]
	if m == nil {
		m = map[string]context.CancelFunc{}
		e.inflight[id] = m
	}
	if _, ok := m[eff.ID]; ok {
		e.mu.Unlock()
		return
	}
	effCtx, cancel := context.WithCancel(work)
	m[eff.ID] = cancel
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		defer func() {
			cancel()
			e.mu.Lock()
			delete(e.inflight[id], eff.ID)
			if len(e.inflight[id]) == 0 {
				delete(e.inflight, id)
			}
			e.mu.Unlock()
			e.kick(id)
		}()
		ev, err := e.perform(ctx, effCtx, id, eff)
		if err != nil && (effCtx.Err() != nil || ctx.Err() != nil || errors.Is(err, errNotOwed)) {
			return // dropped by a transition, or shutting down: it stays owed if still due
		}
		if err != nil {
			ev = Event{Kind: EvEffectFailed, Error: e.userText(id, eff, err)}
			if e.cfg.Observer.EffectExhausted != nil {
				e.cfg.Observer.EffectExhausted(eff.Kind)
			}
		}
		ev.Key, ev.EffectID, ev.Actor, ev.At = eff.ID, eff.ID, System, e.cfg.Now()
		if err := e.applySystem(work, id, ev); err != nil {
			e.logFor(id).Error("step effect result", "effect", eff.ID, "err", err)
		}
	}()
}

// errNotOwed says a heavy effect was dropped before it started.
var errNotOwed = errors.New("no longer owed")

// userText is what people see of an effect's error: the text of a
// UserError or of bad inputs, else a reference to the log line.
func (e *Engine) userText(id string, eff Effect, err error) string {
	var ue *UserError
	var ie registry.InputErrors
	var mr *MergeRefusedError
	switch {
	case errors.As(err, &ue):
		return ue.Msg
	case errors.As(err, &mr):
		return mr.Reason
	case errors.As(err, &ie):
		return ie.Error()
	}
	ref := registry.Label(id) + "/" + eff.ID
	e.logFor(id).Error("effect failed", "effect", eff.ID, "ref", ref, "err", err)
	return "something went wrong (ref " + ref + ")"
}

// perform runs one heavy effect through its port, with retries, and returns
// the result event (without Key, EffectID, Actor, At).
func (e *Engine) perform(ctx, work context.Context, id string, eff Effect) (Event, error) {
	var r *Request
	err := e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
		r, err = e.cfg.Store.Get(ctx, id) // a store error is retried like a port's
		return err
	})
	if err != nil {
		return Event{}, fmt.Errorf("load %s: %w", id, err)
	}
	if owedIndex(r.Owed, eff.ID) < 0 {
		// Dropped by a transition the runner had not seen yet: nothing to do.
		return Event{}, fmt.Errorf("perform %s on %s: %w", eff.ID, id, errNotOwed)
	}
	switch eff.Kind {
	case EffOpenChange:
		spec, path, err := e.changeSpec(work, r)
		if err != nil {
			return Event{}, err
		}
		var c Change
		err = e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
			c, err = e.cfg.Repo.OpenChange(ctx, spec)
			return err
		})
		return Event{Kind: EvChangeOpened, Change: &c, File: path}, err
	case EffDispatchPlan, EffDispatchApply:
		if r.Change == nil {
			return Event{}, Userf(ErrBadEvent, "there is no pull request to run on")
		}
		d := Dispatch{Project: r.Project, Workflow: WorkflowPlan, RequestID: r.ID, Environment: r.Environment,
			Ref: r.Change.Branch, Key: orDefault(eff.DispatchKey, eff.ID)}
		kind := EvPlanDispatched
		if eff.Kind == EffDispatchApply {
			d.Workflow, d.PlanRunID, kind = WorkflowApply, eff.PlanRunID, EvApplyDispatched
			if r.PlanRun != nil && r.PlanRun.ID == eff.PlanRunID {
				d.PlanRunAttempt = r.PlanRun.Attempt // apply.yml checks it is the attempt approved
			}
		}
		r, err := e.awaitTurn(ctx, work, r, eff)
		if err != nil {
			return Event{}, err
		}
		ev, moved, err := e.atTurn(ctx, work, r, eff)
		if err == nil && moved && eff.Kind == EffDispatchApply {
			// An apply is given up for a moved change only if it never
			// started: a dispatch whose answer was lost (a crash, a store
			// error before the result was saved) has applied, or is applying.
			var run Run
			var started bool
			err = e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
				run, started, err = e.cfg.Runs.Started(ctx, d)
				return err
			})
			if err == nil && started {
				if run.Workflow == "" {
					run.Workflow = d.Workflow
				}
				return Event{Kind: kind, Run: &run}, nil
			}
		}
		if err != nil || moved {
			return ev, err
		}
		var run Run
		err = e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
			run, err = e.cfg.Runs.Dispatch(ctx, d)
			return err
		})
		if run.Workflow == "" {
			run.Workflow = d.Workflow
		}
		return Event{Kind: kind, Run: &run, Change: ev.Change}, err
	case EffWatchRun:
		return e.watch(ctx, work, r, eff)
	case EffMergeChange, EffCloseChange:
		if r.Change == nil {
			return Event{Kind: EvEffectDone}, nil
		}
		if eff.Kind == EffCloseChange {
			err := e.try(ctx, work, eff.Kind, func(ctx context.Context) error { return e.cfg.Repo.CloseChange(ctx, r.Project, *r.Change) })
			return Event{Kind: EvEffectDone}, err
		}
		var c Change
		err := e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
			c, err = e.cfg.Repo.MergeChange(ctx, r.Project, *r.Change)
			return err
		})
		if errors.Is(err, ErrStale) {
			if c.Branch == "" {
				c = *r.Change
			}
			return Event{Kind: EvChangeMoved, Change: &c}, nil
		}
		return Event{Kind: EvMerged, Change: &c}, err
	case EffMarkDestroyed:
		// Stepped on the target like any event: its history, audit, card
		// and a reply in its thread say it is destroyed. The key makes a
		// resumed effect a no-op there.
		ev := Event{Kind: EvDestroyed, Key: r.ID + "/destroyed", Actor: System, Target: r.ID}
		err := e.try(ctx, work, eff.Kind, func(ctx context.Context) error {
			_, err := e.Handle(ctx, r.Target, ev)
			return err
		})
		return Event{Kind: EvEffectDone}, err
	case EffReplanOthers:
		err := e.try(ctx, work, eff.Kind, func(ctx context.Context) error { return e.replanOthers(ctx, r) })
		return Event{Kind: EvEffectDone}, err
	}
	return Event{}, fmt.Errorf("perform %s: not a heavy effect", eff.Kind)
}

// watch follows a dispatched run to its end, polling every PollInterval.
// Runs.Status is cheap, so the poll is frequent; the stored record is
// looked at less often (lookEvery).
func (e *Engine) watch(ctx, work context.Context, r *Request, eff Effect) (Event, error) {
	run, finished, failed := r.PlanRun, EvPlanFinished, EvPlanFailed
	if eff.Workflow == WorkflowApply {
		run, finished, failed = r.ApplyRun, EvApplyFinished, EvApplyFailed
	}
	if run == nil {
		return Event{}, Userf(ErrBadEvent, "there is no "+string(eff.Workflow)+" run to follow")
	}
	failures := 0
	for polls := 1; ; polls++ {
		st, err := e.callRun(work, func(ctx context.Context) (Run, error) { return e.cfg.Runs.Status(ctx, r.Project, *run) })
		switch {
		case err != nil && (permanent(err) || work.Err() != nil):
			return Event{}, err
		case err != nil:
			failures++
			if failures >= e.cfg.Retry.Attempts {
				return Event{}, err
			}
			if e.cfg.Observer.EffectRetried != nil {
				e.cfg.Observer.EffectRetried(eff.Kind)
			}
			if err := sleep(ctx, work, e.backoff(failures)); err != nil {
				return Event{}, err
			}
			continue
		}
		failures = 0
		if st.ID == 0 {
			st.ID, st.URL = run.ID, run.URL
		}
		if st.Workflow == "" {
			st.Workflow = run.Workflow
		}
		if st.HeadSHA == "" {
			st.HeadSHA = run.HeadSHA
		}
		if st.Status.Done() {
			if eff.Workflow == WorkflowPlan && r.Change != nil && r.Change.HeadSHA != "" && st.HeadSHA != "" && st.HeadSHA != r.Change.HeadSHA {
				// Someone pushed before the run was dispatched: Step makes the
				// request stale, and the card names the commit's author.
				err := e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
					st.HeadAuthor, err = e.cfg.Repo.CommitAuthor(ctx, r.Project, st.HeadSHA)
					return err
				})
				return Event{Kind: finished, Run: &st}, err
			}
			if st.Status != RunSucceeded {
				return Event{Kind: failed, Run: &st, Error: orDefault(st.Failure, "the "+string(eff.Workflow)+" run "+st.Status.String())}, nil
			}
			if eff.Workflow == WorkflowApply {
				return Event{Kind: finished, Run: &st}, nil
			}
			var plan PlanSummary
			err := e.try(ctx, work, eff.Kind, func(ctx context.Context) (err error) {
				plan, err = e.cfg.Runs.PlanResult(ctx, r.Project, st)
				return err
			})
			ev := Event{Kind: finished, Run: &st, Plan: &plan}
			if err == nil && r.Carry != nil {
				err = e.carryFacts(ctx, work, r, eff, &ev)
			}
			return ev, err
		}
		// While this replica follows the run it holds the request's lease,
		// so effects another replica's write made owed (a Cancel's card and
		// reply) wait for this runner: look at the stored record every few
		// polls rather than at the next lease scan.
		if polls%e.lookEvery() == 0 {
			e.kick(r.ID)
		}
		if err := sleep(ctx, work, e.cfg.PollInterval); err != nil {
			return Event{}, err
		}
	}
}

func (e *Engine) callRun(ctx context.Context, fn func(context.Context) (Run, error)) (Run, error) {
	var run Run
	err := e.call(ctx, func(ctx context.Context) (err error) {
		run, err = fn(ctx)
		return err
	})
	return run, err
}

// changeSpec builds the change of r: its rendered file, or the deletion of
// the target's file for a destroy request. It also returns the file path.
func (e *Engine) changeSpec(ctx context.Context, r *Request) (ChangeSpec, string, error) {
	spec := ChangeSpec{Project: r.Project, RequestID: r.ID, Branch: "tfpilot/" + r.ID, Title: changeTitle(r), Body: changeBody(r),
		AtBase: r.Change != nil && r.Change.Merged}
	if r.Kind == KindDestroy {
		spec.Files = []FileChange{{Path: r.File, Delete: true}}
		return spec, r.File, nil
	}
	f, err := e.Preview(ctx, r)
	if err != nil {
		return ChangeSpec{}, "", err
	}
	spec.Files = []FileChange{{Path: f.Path, Content: f.Content}}
	return spec, f.Path, nil
}

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	var ie registry.InputErrors
	var ue *UserError
	return errors.As(err, &ie) || errors.As(err, &ue) || errors.Is(err, ErrDenied) || errors.Is(err, ErrBadEvent) || errors.Is(err, ErrStale) || errors.Is(err, ErrExists) ||
		errors.Is(err, ErrMergeRefused)
}

// try calls fn until it succeeds, fails permanently or the retry budget is
// spent, waiting with exponential backoff and full jitter in between. ctx
// stops the waiting; work is the context of the calls themselves.
func (e *Engine) try(ctx, work context.Context, kind EffectKind, fn func(context.Context) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		if err = e.call(work, fn); err == nil || permanent(err) || work.Err() != nil || attempt >= e.cfg.Retry.Attempts {
			return err
		}
		if e.cfg.Observer.EffectRetried != nil {
			e.cfg.Observer.EffectRetried(kind)
		}
		if serr := sleep(ctx, work, e.backoff(attempt)); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// call runs fn holding one of the Workers slots.
func (e *Engine) call(ctx context.Context, fn func(context.Context) error) error {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-e.sem }()
	return fn(ctx)
}

// backoff is the full-jitter wait after the n-th failure.
func (e *Engine) backoff(n int) time.Duration {
	ceil := e.cfg.Retry.Max
	if n < 31 {
		ceil = min(ceil, e.cfg.Retry.Base<<(n-1))
	}
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil)
}

// sleep waits d or until either context ends.
func sleep(ctx, work context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-work.Done():
		return work.Err()
	}
}

// applySystem steps result events on request id and saves once. A result
// that does not fit is logged and skipped; the others still apply.
func (e *Engine) applySystem(ctx context.Context, id string, evs ...Event) error {
	unlock := e.locks.lock(id)
	defer unlock()
	for range maxConflicts {
		cur, err := e.cfg.Store.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("load %s: %w", id, err)
		}
		next, changed := *cur, false
		for _, ev := range evs {
			n, _, ch, err := step(next, ev, e.cfg.Policy)
			if err != nil {
				e.logFor(id).Warn("result does not fit; dropped", "event", ev.Kind, "effect", ev.EffectID, "err", err)
				continue
			}
			next, changed = n, changed || ch
		}
		if !changed {
			return nil
		}
		err = e.save(ctx, cur, &next)
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("apply results to %s: %w", id, ErrConflict)
}
