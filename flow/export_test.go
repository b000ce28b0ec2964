package flow

import (
	"context"
	"fmt"
)

// DebugState describes the engine's in-memory scheduling state (tests only).
func (e *Engine) DebugState() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprintf("runners=%d pending=%v inflight=%v notBefore=%v", len(e.runners), e.pending, e.inflight, e.backoffs)
}

// ParkedAcks returns how many acknowledgements of request id wait in memory
// to be written (tests only).
func (e *Engine) ParkedAcks(id string) int {
	return e.acks.count(id)
}

// Acknowledge exposes acknowledge (tests only).
func Acknowledge(r *Request, evs []Event) bool { return acknowledge(r, evs) }

// FlushAcks writes the acknowledgements parked for request id now (tests only).
func (e *Engine) FlushAcks(ctx context.Context, id string) error { return e.flushAcks(ctx, id) }
