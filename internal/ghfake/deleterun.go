package ghfake

// DeleteRun deletes run id as "Delete a workflow run" does: it is gone
// from run listings and reading it answers 404. GitHub deletes only
// completed runs, so a run still going is first cancelled, in the same
// instant (someone cancelled it and deleted it before anyone looked).
func (f *Fake) DeleteRun(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRun(id)
	if r.status != "completed" {
		r.status, r.conclusion = "completed", "cancelled"
		f.advance(r)
	}
	delete(f.runs, id)
}
