package flowtest

import (
	"context"
	"sync"
)

// Faults injects failures and stalls into a fake's operations, named like
// the method ("OpenChange", "Dispatch", "Status", "Record", "ShowCard", ...).
// The zero value injects nothing.
type Faults struct {
	mu    sync.Mutex
	fails map[string]*failure
	gates map[string]*Gate
}

type failure struct {
	n   int // remaining failures; <0 means forever
	err error
}

// Fail makes the next n calls of op return err (n < 0: every call).
func (f *Faults) Fail(op string, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails == nil {
		f.fails = map[string]*failure{}
	}
	f.fails[op] = &failure{n: n, err: err}
}

// Block makes calls of op wait until the returned gate is released (or the
// call's context ends, which the call then returns).
func (f *Faults) Block(op string) *Gate {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gates == nil {
		f.gates = map[string]*Gate{}
	}
	g := &Gate{entered: make(chan struct{}), release: make(chan struct{})}
	f.gates[op] = g
	return g
}

// Clear removes every fault of op.
func (f *Faults) Clear(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fails, op)
	delete(f.gates, op)
}

// hit is called at the start of op: it blocks on a gate and returns an
// injected error, if any.
func (f *Faults) hit(ctx context.Context, op string) error {
	f.mu.Lock()
	g := f.gates[op]
	f.mu.Unlock()
	if g != nil {
		g.enter()
		select {
		case <-g.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.fails[op]
	if fl == nil || fl.n == 0 {
		return nil
	}
	if fl.n > 0 {
		fl.n--
	}
	return fl.err
}

// Gate holds calls of one operation until released.
type Gate struct {
	once, relOnce sync.Once
	entered       chan struct{}
	release       chan struct{}
}

func (g *Gate) enter() { g.once.Do(func() { close(g.entered) }) }

// Entered is closed when the first call reaches the gate.
func (g *Gate) Entered() <-chan struct{} { return g.entered }

// Release lets every waiting and later call through.
func (g *Gate) Release() { g.relOnce.Do(func() { close(g.release) }) }
