package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// runner runs one request's owed effects: light effects (card, reply,
// notification, form, audit) one after another in Seq order, heavy effects
// (repository and workflow runs) each in its own goroutine.
type runner struct {
	wake chan struct{}
}

// Run resumes every owed effect in the store, then runs effects until ctx
// ends. On the way out it waits up to Config.DrainTimeout for in-flight
// port calls, then cancels them; what did not finish stays owed.
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return errors.New("flow engine: Run called twice")
	}
	e.started = true
	e.mu.Unlock()

	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	// A store that fails at start-up (an S3 hiccup during a restart) must
	// not stop the process: the first scan is retried like any call, and
	// if it still fails the periodic scan below finds the owed work later.
	for attempt := 1; ; attempt++ {
		err := e.resume(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return e.drain(cancelWork)
		}
		if attempt >= e.cfg.Retry.Attempts {
			e.log.Warn("first scan for owed effects failed; scanning again in a while", "err", err)
			break
		}
		if sleep(ctx, work, e.backoff(attempt)) != nil {
			return e.drain(cancelWork)
		}
	}
	scan := time.NewTicker(max(e.cfg.LeaseTTL/2, time.Millisecond))
	defer scan.Stop()
	changes := time.NewTicker(e.cfg.ChangeScan)
	defer changes.Stop()
	for {
		select {
		case <-changes.C:
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				if err := e.scanClosed(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("scan for pull requests closed outside TfPilot", "err", err)
				}
			}()
		case <-ctx.Done():
			return e.drain(cancelWork)
		case <-e.signal:
			e.startRunners(ctx, work)
		case <-scan.C:
			if err := e.resume(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("scan for owed effects", "err", err)
			}
		}
	}
}

func (e *Engine) drain(cancelWork context.CancelFunc) error {
	e.mu.Lock()
	e.stopping = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(e.cfg.DrainTimeout):
		e.log.Warn("drain deadline passed; cancelling in-flight effects")
		cancelWork()
		<-done
	}
	return nil
}

// resume marks every request that owes effects for examination: at start-up
// (a previous process's work) and periodically (expired leases of crashed
// replicas, effects owed on requests another replica stepped).
func (e *Engine) resume(ctx context.Context) error {
	rs, err := e.cfg.Store.List(ctx, Filter{Owing: true})
	if err != nil {
		return fmt.Errorf("list owed effects: %w", err)
	}
	for _, r := range rs {
		if e.leasable(r) {
			e.kick(r.ID)
		}
	}
	return nil
}

// wrote keeps r as this engine just wrote it (Handle's next step starts
// from it; so does r's runner when r owes effects under this engine's
// lease).
func (e *Engine) wrote(r *Request) {
	e.written.keep(r, e.runsHere(r))
}

// saved is called after every successful write of r: it cancels in-flight
// effects r no longer owes and wakes r's runner.
func (e *Engine) saved(r *Request) {
	e.cancelNotOwed(r)
	e.turns.written(r)
	e.holdCache.forget(r)
	if e.runsHere(r) {
		e.kick(r.ID)
	}
}

// runsHere reports whether r owes effects under this engine's lease.
func (e *Engine) runsHere(r *Request) bool {
	return len(r.Owed) > 0 && r.Lease.Owner == e.cfg.Owner
}

// kick asks for request id's owed effects to be run.
func (e *Engine) kick(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if rn, ok := e.runners[id]; ok {
		select {
		case rn.wake <- struct{}{}:
		default:
		}
		return
	}
	e.pending[id] = struct{}{}
	select {
	case e.signal <- struct{}{}:
	default:
	}
}

func (e *Engine) startRunners(ctx, work context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping {
		return
	}
	for id := range e.pending {
		delete(e.pending, id)
		if _, ok := e.runners[id]; ok {
			continue
		}
		rn := &runner{wake: make(chan struct{}, 1)}
		e.runners[id] = rn
		e.wg.Add(1)
		go e.runRequest(ctx, work, id, rn)
	}
}

// runRequest is request id's runner loop. ctx ends the loop; work is the
// context of port calls (cancelled only after the drain deadline).
func (e *Engine) runRequest(ctx, work context.Context, id string, rn *runner) {
	defer e.wg.Done()
	for {
		if ctx.Err() != nil {
			e.stopRunner(work, id)
			return
		}
		wait, more := e.runOnce(ctx, work, id)
		if !more {
			if e.retire(id, rn) {
				return
			}
			wait = e.cfg.LeaseTTL / 2 // woken meanwhile, or effects still in flight: wait for them
		}
		if wait <= 0 {
			continue // progress made: look again now
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			e.stopRunner(work, id)
			return
		case <-rn.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// stopRunner ends request id's runner on shutdown, writing its parked
// acknowledgements first so the next start does not run them again.
func (e *Engine) stopRunner(work context.Context, id string) {
	if err := e.flushAcks(work, id); err != nil {
		e.logFor(id).Warn("acknowledge effects on shutdown; they run again on the next start", "err", err)
	}
	e.mu.Lock()
	delete(e.runners, id)
	e.mu.Unlock()
}

// retire removes the runner unless it was woken meanwhile.
func (e *Engine) retire(id string, rn *runner) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(rn.wake) > 0 || len(e.inflight[id]) > 0 || e.acks.has(id) {
		return false
	}
	delete(e.runners, id)
	return true
}

// runOnce loads the request, holds its lease, starts its heavy effects and
// runs its ready light effects; parked acknowledgements that waited
// AckDelay are written. It returns whether the runner has anything left to
// do and, if so, how long to wait for a wake-up before looking again (0:
// look again at once).
func (e *Engine) runOnce(ctx, work context.Context, id string) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	r := e.written.take(id)
	if r == nil {
		var err error
		if r, err = e.cfg.Store.Get(ctx, id); err != nil {
			e.logFor(id).Error("runner load", "err", err)
			return 0, false
		}
		// The stored record may have been written by another replica: an
		// effect running here that it no longer owes (a cancel elsewhere
		// dropped the watch of a plan) stops now.
		e.cancelNotOwed(r)
	}
	if len(r.Owed) == 0 {
		e.acks.forget(id)
		return 0, e.busy(id)
	}
	if due, ok := e.acks.due(id); ok && due <= 0 {
		if err := e.flushAcks(work, id); err != nil {
			e.logFor(id).Error("acknowledge effects", "err", err)
			return e.cfg.Retry.Base, true
		}
		return 0, true
	}
	var wait time.Duration
	var err error
	if r, err = e.holdLease(ctx, r); err != nil {
		e.logFor(id).Debug("not running effects", "reason", err)
		e.cancelInflight(id)
	} else {
		for _, eff := range r.Owed {
			if eff.Kind.Heavy() {
				e.startHeavy(ctx, work, id, eff)
			}
		}
		_, backoff := e.runLight(ctx, work, r)
		renew := max(r.Lease.Until.Sub(e.cfg.Now())-e.cfg.LeaseTTL/2, time.Millisecond)
		if backoff > 0 {
			wait = min(backoff, renew)
		} else if e.busy(id) {
			wait = renew
		}
	}
	if due, ok := e.acks.due(id); ok {
		wait = minPositive(wait, max(due, time.Microsecond))
	}
	return wait, wait > 0
}

func (e *Engine) busy(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.inflight[id]) > 0
}

// cancelNotOwed cancels the in-flight effects of r's request that r no
// longer owes.
func (e *Engine) cancelNotOwed(r *Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, cancel := range e.inflight[r.ID] {
		if owedIndex(r.Owed, id) < 0 {
			cancel()
		}
	}
}

func (e *Engine) cancelInflight(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, cancel := range e.inflight[id] {
		cancel()
	}
}

// errLeased says another live replica holds a request's lease.
var errLeased = errors.New("leased by another replica")

// holdLease returns r with this engine's lease on it, taking or renewing it
// with a conditional write when it is missing, expired or half spent.
func (e *Engine) holdLease(ctx context.Context, r *Request) (*Request, error) {
	now := e.cfg.Now()
	if r.Lease.Owner == e.cfg.Owner && r.Lease.Until.Sub(now) > e.cfg.LeaseTTL/2 {
		return r, nil
	}
	unlock := e.locks.lock(r.ID)
	defer unlock()
	for range maxConflicts {
		if !e.leasable(r) {
			return nil, fmt.Errorf("request %s until %s: %w", r.Lease.Owner, r.Lease.Until, errLeased)
		}
		next := cloneRequest(*r)
		next.Lease = Lease{} // write takes it: next owes effects and r is leasable
		err := e.write(ctx, r, &next)
		if err == nil {
			return &next, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, fmt.Errorf("lease %s: %w", r.ID, err)
		}
		if r, err = e.cfg.Store.Get(ctx, r.ID); err != nil {
			return nil, fmt.Errorf("lease %s: %w", r.ID, err)
		}
	}
	return nil, fmt.Errorf("lease %s: %w", r.ID, ErrConflict)
}

// Settle waits until no effect is running and none is owed and ready to run
// (owed effects in backoff after a failure count as running). It needs Run.
// Tests use it to wait for the engine to go quiet.
func (e *Engine) Settle(ctx context.Context) error {
	for {
		e.mu.Lock()
		idle := len(e.runners) == 0 && len(e.pending) == 0
		e.mu.Unlock()
		if idle {
			rs, err := e.cfg.Store.List(ctx, Filter{Owing: true})
			if err != nil {
				return fmt.Errorf("settle: %w", err)
			}
			ready := slices.ContainsFunc(rs, e.leasable)
			if !ready {
				return nil
			}
			for _, r := range rs {
				if e.leasable(r) {
					e.kick(r.ID)
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("settle: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}
