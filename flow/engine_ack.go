package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Acknowledging light effects.
//
// The outbox rule is that an effect is saved before it runs and removed only
// after it ran. Removing it does not have to be a write of its own: the
// acknowledgements of light effects that ran (audit, card, reply,
// notification, form) are parked in memory and folded into the request's
// next write, whatever makes it (a person's event, a heavy effect's result,
// a lease renewal). Only when no write comes within Config.AckDelay does the
// runner write them on their own. A thread that a card started is written at
// once: people's next events find the request by it.
//
// Until it is written, an acknowledgement can be lost with the process; the
// effect is then run again, which every effect tolerates (idempotent by
// construction; docs/ARCHITECTURE.md#invariants).

// parkedAcks holds the acknowledgements of light effects that ran, per
// request, until a write takes them. It has its own lock: parking and
// folding never wait on the engine's scheduling state. AckDelay is a
// timer, not a reading of the clock: the engine reads time only through
// Config.Now, which tests hold still.
type parkedAcks struct {
	delay time.Duration   // Config.AckDelay
	onDue func(id string) // wakes the request's runner when a batch is due

	mu sync.Mutex
	m  map[string]*ackBatch
}

// ackBatch is the parked acknowledgements of one request.
type ackBatch struct {
	evs   []Event
	timer *time.Timer // started with the oldest; marks the batch due
	due   bool
}

func newParkedAcks(delay time.Duration, onDue func(id string)) *parkedAcks {
	return &parkedAcks{delay: delay, onDue: onDue, m: map[string]*ackBatch{}}
}

// park parks acknowledgements of light effects of request id that ran.
func (p *parkedAcks) park(id string, evs []Event) {
	if len(evs) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.m[id]
	if b == nil {
		b = &ackBatch{}
		p.m[id] = b
		b.timer = time.AfterFunc(p.delay, func() {
			p.mu.Lock()
			b.due = true
			p.mu.Unlock()
			p.onDue(id)
		})
	}
	b.evs = append(b.evs, evs...)
}

// of returns a copy of the acknowledgements parked for request id.
func (p *parkedAcks) of(id string) []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.m[id]
	if b == nil {
		return nil
	}
	return append([]Event(nil), b.evs...)
}

// has reports whether any acknowledgement of request id is parked.
func (p *parkedAcks) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id] != nil
}

// unpark forgets the parked acknowledgements of request id that are in
// done (written, or moot because their effect is no longer owed). Others
// parked meanwhile stay.
func (p *parkedAcks) unpark(id string, done []Event) {
	if len(done) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.m[id]
	if b == nil {
		return
	}
	keep := b.evs[:0]
	for _, ev := range b.evs {
		if !containsEffect(done, ev.EffectID) {
			keep = append(keep, ev)
		}
	}
	if len(keep) == 0 {
		b.timer.Stop()
		delete(p.m, id)
		return
	}
	b.evs = keep
}

// forget drops every acknowledgement parked for request id (the request
// owes nothing any more: another write settled them).
func (p *parkedAcks) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.m[id]; b != nil {
		b.timer.Stop()
		delete(p.m, id)
	}
}

// due reports whether acknowledgements are parked for request id and how
// long at most until they must be written on their own (0: now; the
// batch's timer wakes the runner sooner).
func (p *parkedAcks) due(id string) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.m[id]
	if b == nil {
		return 0, false
	}
	if b.due {
		return 0, true
	}
	return p.delay, true
}

// count is how many acknowledgements of request id are parked.
func (p *parkedAcks) count(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.m[id]; b != nil {
		return len(b.evs)
	}
	return 0
}

func containsEffect(evs []Event, effID string) bool {
	for _, ev := range evs {
		if ev.EffectID == effID {
			return true
		}
	}
	return false
}

// foldAcks steps the parked acknowledgements of next's request onto next
// and returns them (to unpark once next is written). Those whose effect is
// no longer owed are no-ops.
func (e *Engine) foldAcks(next *Request) []Event {
	acks := e.acks.of(next.ID)
	if len(acks) > 0 {
		next.Owed = slices.Clone(next.Owed) // next may share its backing array with the request it was stepped from
		acknowledge(next, acks)
	}
	return acks
}

// flushAcks writes the acknowledgements parked for request id on their own.
func (e *Engine) flushAcks(ctx context.Context, id string) error {
	unlock := e.locks.lock(id)
	defer unlock()
	for range maxConflicts {
		acks := e.acks.of(id)
		if len(acks) == 0 {
			return nil
		}
		cur, err := e.cfg.Store.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("acknowledge effects of %s: %w", id, err)
		}
		next := cloneRequest(*cur)
		if !acknowledge(&next, acks) {
			// All moot: the stored record no longer owes them. Keep it as
			// the newest known record first, so a runner holding an older
			// copy does not run them again once they are unparked.
			e.written.keep(cur, false)
			e.acks.unpark(id, acks)
			return nil
		}
		err = e.write(ctx, cur, &next)
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("acknowledge effects of %s: %w", id, ErrConflict)
}
