package ghfake

import (
	"maps"
	"slices"
	"strings"
)

// Queue is a workflow's concurrency.queue: how many runs may wait in one
// concurrency group ("Control the concurrency of workflows and jobs").
type Queue string

const (
	// QueueSingle is GitHub's default: one pending run per group; a newer run
	// entering the group cancels the pending one before it starts.
	QueueSingle Queue = "single"
	// QueueMax keeps up to MaxPending pending runs per group and starts them
	// in the order they queued; a run arriving when the queue is full is
	// cancelled. plan.yml and apply.yml declare it.
	QueueMax Queue = "max"
)

// MaxPending is how many runs queue: max lets wait in one group.
const MaxPending = 100

// SetQueue sets the concurrency.queue of the fake's workflows for runs
// queued from now on. The default is QueueMax, what plan.yml and apply.yml
// declare.
func (f *Fake) SetQueue(q Queue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q != QueueSingle && q != QueueMax {
		f.t.Fatalf("ghfake: SetQueue(%q): want single or max", q)
	}
	f.queue = q
}

// groupOf is the run's concurrency group as plan.yml and apply.yml name it,
// tfpilot-<environment>. GitHub compares group names case-insensitively.
func groupOf(inputs map[string]string) string {
	return strings.ToLower("tfpilot-" + inputs["environment"])
}

// inGroup returns the other runs of r's repository and group, oldest first.
func (f *Fake) inGroup(r *run) []*run {
	var out []*run
	for _, id := range slices.Sorted(maps.Keys(f.runs)) {
		o := f.runs[id]
		if o != r && o.repo == r.repo && o.group == r.group {
			out = append(out, o)
		}
	}
	return out
}

// holds says whether a run occupies its group: queued for a runner, waiting
// or in progress. A pending or completed run does not.
func holds(r *run) bool { return r.status != "pending" && r.status != "completed" }

// admit puts a new run into its group: queued when nothing holds the group,
// else pending behind it. With QueueSingle the run replaces the pending one,
// which is cancelled without ever starting; with QueueMax a run that finds
// MaxPending runs pending is itself cancelled without ever starting.
func (f *Fake) admit(r *run) {
	var pending []*run
	held := false
	for _, o := range f.inGroup(r) {
		held = held || holds(o)
		if o.status == "pending" {
			pending = append(pending, o)
		}
	}
	if !held {
		r.status = "queued"
		return
	}
	r.status = "pending"
	switch {
	case f.queue == QueueSingle:
		for _, p := range pending {
			p.status, p.conclusion, p.neverStarted = "completed", "cancelled", true
		}
	case len(pending) >= MaxPending:
		// "max: Up to 100 jobs or workflow runs can be pending in the
		// concurrency group. When the queue is full, any additional jobs or
		// workflow runs are canceled." (docs.github.com, "Control the
		// concurrency of workflows and jobs"): the newcomer, not the oldest.
		r.status, r.conclusion, r.neverStarted = "completed", "cancelled", true
	}
}

// advance queues the oldest pending run of r's group once nothing holds it.
func (f *Fake) advance(r *run) {
	group := append(f.inGroup(r), r)
	slices.SortFunc(group, func(a, b *run) int { return int(a.id - b.id) })
	for _, o := range group {
		if holds(o) {
			return
		}
	}
	for _, o := range group {
		if o.status == "pending" {
			o.status = "queued"
			return
		}
	}
}

// mustHold fails the test when it moves a pending run as GitHub never would:
// only the group decides when a pending run starts.
func (f *Fake) mustHold(r *run, what string) {
	if r.status == "pending" {
		f.t.Errorf("ghfake: %s run %d: it is pending in concurrency group %s, and GitHub starts it only after the runs ahead of it complete",
			what, r.id, r.group)
	}
}
