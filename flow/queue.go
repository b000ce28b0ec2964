package flow

import (
	"cmp"
	"slices"
	"time"
)

// Queue is the run queue of one project's environment: the requests that
// wait to run a plan or an apply there, and the one whose run occupies it.
// GitHub's concurrency group (tfpilot-<environment>) would run one run at a
// time too, but it cancels pending runs (queue: single), does not put
// applies first and does not hold the environment from an apply until its
// merge; so TfPilot dispatches a run only when the queue says it is its
// turn. The queue lives in the Store (Store.Queue, Store.SaveQueue) and is
// written conditionally on Rev, so several replicas share one queue and a
// restart keeps every place.
//
// Entries are only a place in line: whether an entry still stands is read
// from its request (Entry.Live), so a request cancelled, edited or crashed
// while queued never blocks the queue; whoever reads the queue next drops
// it.
type Queue struct {
	Project     string       `json:"project"`
	Environment string       `json:"environment"`
	Entries     []QueueEntry `json:"entries,omitempty"`
	// Rev is the store's revision of the queue this value was read from;
	// "" for a queue never saved.
	Rev string `json:"-"`
}

// QueueEntry is one request's place in a Queue.
type QueueEntry struct {
	RequestID string    `json:"request_id"`
	Workflow  Workflow  `json:"workflow"`
	Effect    string    `json:"effect"` // ID of the dispatch effect that waits or ran
	Since     time.Time `json:"since"`  // when the request joined the queue
	// Running says the entry's run was dispatched (or is being): it
	// occupies the environment until its run ends, and an apply until its
	// merge lands or is refused.
	Running bool `json:"running,omitempty"`
}

// Live reports whether entry e still stands, given its request r (nil: the
// request is gone): r still owes a dispatch of e's workflow (it waits, or
// its dispatch is under way), or e runs and r still watches its run, or e
// ran an apply that r has not merged yet. A refused merge
// (AppliedNotMerged) frees the queue: plans may run, while the hold keeps
// approvals and applies away (see Engine.heldBy).
func (e QueueEntry) Live(r *Request) bool {
	if r == nil {
		return false
	}
	kind := EffDispatchPlan
	if e.Workflow == WorkflowApply {
		kind = EffDispatchApply
	}
	for _, f := range r.Owed {
		if f.Kind == kind || e.Running && f.Kind == EffWatchRun && f.Workflow == e.Workflow {
			return true
		}
	}
	return e.Running && e.Workflow == WorkflowApply && r.State == Applied &&
		slices.ContainsFunc(r.Owed, func(f Effect) bool { return f.Kind == EffMergeChange })
}

// Line is the order in which a queue's entries run: those running first,
// then waiting applies, then waiting plans, each by arrival (Since, then
// request ID). An apply goes before waiting plans because a plan made
// before it lands would have to be made again.
func (q *Queue) Line() []QueueEntry {
	line := slices.Clone(q.Entries)
	rank := func(e QueueEntry) int {
		switch {
		case e.Running:
			return 0
		case e.Workflow == WorkflowApply:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(line, func(a, b QueueEntry) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), a.Since.Compare(b.Since), cmp.Compare(a.RequestID, b.RequestID))
	})
	return line
}

// index is the position of request id's entry in q.Entries, or -1.
func (q *Queue) index(id string) int {
	return slices.IndexFunc(q.Entries, func(e QueueEntry) bool { return e.RequestID == id })
}

// QueuePlace is where a request's run waits, as the card shows it.
type QueuePlace struct {
	// Ahead is how many runs go before this one: the requests ahead of it
	// in TfPilot's queue, or, once it is first, the runs in the
	// environment's concurrency group that TfPilot did not dispatch (a
	// hand-dispatched or scheduled run; see Foreign). Runs TfPilot did not
	// dispatch are looked for only then, to spend one GitHub call per poll
	// on the request whose turn it is rather than on every one in line.
	Ahead int `json:"ahead"`
	// Workflow is the run that waits (plan or apply).
	Workflow Workflow `json:"workflow"`
	// Foreign says the runs ahead are none of TfPilot's queue: runs in the
	// concurrency group that TfPilot did not dispatch or no longer follows
	// (by hand, on a schedule, or of a cancelled request). The request waits
	// until they end, which TfPilot cannot hasten.
	Foreign bool `json:"foreign,omitempty"`
}
