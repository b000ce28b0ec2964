package flow

// The engine keeps, per request, two copies of the record as it last wrote
// it: one that the request's runner takes instead of reading the record
// back (Engine.latest, see takeLatest), and one that the next Handle steps
// first (Engine.records). Both only save reads: every write is conditional
// on the revision, so a copy that another replica or process made stale
// costs a lost race and a fresh read, never a wrong write.

// writtenMemory bounds how many requests' last writes the engine keeps.
const writtenMemory = 4096

// keepWritten keeps a copy of r as this engine just wrote it, for the next
// Handle of r to start from (see Handle).
func (e *Engine) keepWritten(r *Request) {
	c := cloneRequest(*r)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.records[r.ID]; !ok && len(e.records) >= writtenMemory {
		clear(e.records)
	}
	e.records[r.ID] = &c
}

// written returns a copy of request id as this engine last wrote it, or nil.
func (e *Engine) written(id string) *Request {
	e.mu.Lock()
	r := e.records[id]
	e.mu.Unlock()
	if r == nil {
		return nil
	}
	c := cloneRequest(*r)
	return &c
}

// forgetWritten drops the copy of request id (a write failed: the stored
// record is not known).
func (e *Engine) forgetWritten(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.records, id)
}
