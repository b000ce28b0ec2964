package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// ackBatch is the parked acknowledgements of one request.
type ackBatch struct {
	evs   []Event
	since time.Time // wall time of the oldest, for AckDelay
}

// parkAcks parks acknowledgements of light effects of request id that ran.
func (e *Engine) parkAcks(id string, evs []Event) {
	if len(evs) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.acks[id]
	if b == nil {
		b = &ackBatch{since: time.Now()}
		e.acks[id] = b
	}
	b.evs = append(b.evs, evs...)
}

// parked returns a copy of the acknowledgements parked for request id.
func (e *Engine) parked(id string) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.acks[id]
	if b == nil {
		return nil
	}
	return append([]Event(nil), b.evs...)
}

// isParked reports whether effect effID of request id ran and waits for its
// acknowledgement to be written.
func (e *Engine) isParked(id, effID string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.acks[id]
	if b == nil {
		return false
	}
	for _, ev := range b.evs {
		if ev.EffectID == effID {
			return true
		}
	}
	return false
}

// unpark forgets the parked acknowledgements of request id that are in
// done (written, or moot because their effect is no longer owed). Others
// parked meanwhile stay.
func (e *Engine) unpark(id string, done []Event) {
	if len(done) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.acks[id]
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
		delete(e.acks, id)
		return
	}
	b.evs = keep
}

func containsEffect(evs []Event, effID string) bool {
	for _, ev := range evs {
		if ev.EffectID == effID {
			return true
		}
	}
	return false
}

// forgetAcks drops every acknowledgement parked for request id (the request
// owes nothing any more: another write settled them).
func (e *Engine) forgetAcks(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.acks, id)
}

// ackDue reports whether acknowledgements are parked for request id and how
// long until they must be written on their own (<= 0: now).
func (e *Engine) ackDue(id string) (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.acks[id]
	if b == nil {
		return 0, false
	}
	return e.cfg.AckDelay - time.Since(b.since), true
}

// foldAcks steps the parked acknowledgements of next's request onto next
// and returns them (to unpark once next is written). Those whose effect is
// no longer owed are no-ops.
func (e *Engine) foldAcks(next *Request) []Event {
	acks := e.parked(next.ID)
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
		acks := e.parked(id)
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
			e.keepWritten(cur)
			e.unpark(id, acks)
			return nil
		}
		err = e.write(ctx, cur, &next)
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("acknowledge effects of %s: %w", id, ErrConflict)
}
