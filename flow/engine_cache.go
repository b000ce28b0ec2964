package flow

import "sync"

// The engine keeps one copy of each request as it last wrote it. Handle
// steps it first instead of reading the record back; the request's runner
// starts from it once (see take) when the write left effects owed under
// this engine's lease; and log lines name the request's thread and
// requester from it. It only saves reads: every write is conditional on
// the revision, so a copy that another replica or process made stale costs
// a lost race and a fresh read, never a wrong write.

// writtenMemory bounds how many requests' last writes the engine keeps.
const writtenMemory = 4096

// lastWritten is the cache of last writes, with its own lock.
type lastWritten struct {
	mu sync.Mutex
	m  map[string]*writtenEntry
}

type writtenEntry struct {
	r *Request
	// fresh: the runner has not started from this write yet (it owes
	// effects under this engine's lease).
	fresh bool
}

// keep keeps a copy of r as this engine just wrote (or read) it; fresh
// says the request's runner should start from it. A copy older than the
// one kept is ignored: the cache only moves forward, or a writer that
// keeps its write late would hand the runner a record without what a
// newer write added. Open keeps its write after Create returns, and a
// scan may find the new request in the store before that: its runner
// posts the card and writes the thread, and a late copy without the
// thread would post a second card.
func (c *lastWritten) keep(r *Request, fresh bool) {
	cp := cloneRequest(*r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*writtenEntry{}
	}
	if old := c.m[r.ID]; old != nil && old.r.Version > r.Version {
		return
	}
	if _, ok := c.m[r.ID]; !ok && len(c.m) >= writtenMemory {
		clear(c.m)
	}
	c.m[r.ID] = &writtenEntry{r: &cp, fresh: fresh}
}

// get returns a copy of request id as this engine last wrote it, or nil.
func (c *lastWritten) get(id string) *Request {
	c.mu.Lock()
	ent := c.m[id]
	c.mu.Unlock()
	if ent == nil {
		return nil
	}
	cp := cloneRequest(*ent.r)
	return &cp
}

// take returns a copy of request id as this engine last wrote it if the
// runner has not started from that write yet, and marks it started: the
// runner's next look reads the store, where another replica's write shows.
// Heavy effects always load the request afresh and check they are still
// owed (perform).
func (c *lastWritten) take(id string) *Request {
	c.mu.Lock()
	ent := c.m[id]
	if ent == nil || !ent.fresh {
		c.mu.Unlock()
		return nil
	}
	ent.fresh = false
	r := ent.r
	c.mu.Unlock()
	cp := cloneRequest(*r)
	return &cp
}

// forget drops the copy of request id (a write failed: the stored record
// is not known).
func (c *lastWritten) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// who returns the thread and requester of request id as last written, for
// log lines ("" when unknown).
func (c *lastWritten) who(id string) (thread, user string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ent := c.m[id]; ent != nil {
		return ent.r.Thread.Channel + "/" + ent.r.Thread.TS, ent.r.Requester.ID
	}
	return "", ""
}
