package ghfake

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// RunnerOptions says how Runner plays GitHub's runners.
type RunnerOptions struct {
	// Pickup is how long a queued run waits for a runner (default 100ms).
	Pickup time.Duration
	// Duration is how long a started run takes (default 300ms).
	Duration time.Duration
	// Every is how often the runner looks at the runs (default 10ms).
	Every time.Duration
}

// Runner plays GitHub Actions' runners for a Fake: it starts each queued
// run after Pickup and completes it with success Duration later, as
// CompleteRun does (a plan plans its commit against the environment's
// state; an apply of a stale saved plan fails). A pending run waits until
// its concurrency group frees up, as on GitHub. The runner records when
// each run was created, started and completed (Spans), so a test can check
// that TfPilot never dispatched a run into an occupied group.
type Runner struct {
	f    *Fake
	opt  RunnerOptions
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	spans map[int64]*RunSpan
}

// RunSpan is one run's life as the Runner saw it.
type RunSpan struct {
	ID                 int64
	Repo               string // owner/name
	Workflow           string
	Group              string // concurrency group, tfpilot-<environment>
	RequestID, Key     string // request_id and dispatch_key inputs
	Created            time.Time
	Started, Completed time.Time // zero until seen
	Conclusion         string
	// Pending: the run was seen waiting as pending in its group, that is
	// it was dispatched while another run occupied the group.
	Pending bool
}

// StartRunner starts a Runner; it stops with the test.
func (f *Fake) StartRunner(opt RunnerOptions) *Runner {
	if opt.Pickup <= 0 {
		opt.Pickup = 100 * time.Millisecond
	}
	if opt.Duration <= 0 {
		opt.Duration = 300 * time.Millisecond
	}
	if opt.Every <= 0 {
		opt.Every = 10 * time.Millisecond
	}
	rn := &Runner{f: f, opt: opt, stop: make(chan struct{}), done: make(chan struct{}), spans: map[int64]*RunSpan{}}
	go rn.loop()
	f.t.Cleanup(rn.Stop)
	return rn
}

// Stop stops the runner; runs in flight stay as they are. It may be called
// more than once.
func (rn *Runner) Stop() {
	select {
	case <-rn.stop:
	default:
		close(rn.stop)
	}
	<-rn.done
}

func (rn *Runner) loop() {
	defer close(rn.done)
	tick := time.NewTicker(rn.opt.Every)
	defer tick.Stop()
	for {
		select {
		case <-rn.stop:
			return
		case <-tick.C:
		}
		for _, id := range rn.step() {
			// Stamped before completing: nobody can see the run completed
			// before then, so a run dispatched earlier overlapped it.
			rn.f.mu.Lock()
			at := rn.f.now()
			rn.f.mu.Unlock()
			rn.f.CompleteRun(id, "success")
			rn.f.mu.Lock()
			rn.note(rn.f.runs[id], at)
			rn.f.mu.Unlock()
		}
	}
}

// step starts the runs due to start and returns those due to complete.
func (rn *Runner) step() []int64 {
	f := rn.f
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	var due []int64
	for _, id := range slices.Sorted(maps.Keys(f.runs)) {
		r := f.runs[id]
		rn.note(r, now)
		sp := rn.span(r.id)
		switch {
		case r.status == "queued" && now.Sub(r.created) >= rn.opt.Pickup:
			f.start(r)
			rn.note(r, now)
		case r.status == "in_progress" && !sp.Started.IsZero() && now.Sub(sp.Started) >= rn.opt.Duration:
			due = append(due, r.id)
		}
	}
	return due
}

func (rn *Runner) span(id int64) RunSpan {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if sp := rn.spans[id]; sp != nil {
		return *sp
	}
	return RunSpan{}
}

// note records what run r's status says at now. Called with f.mu held.
func (rn *Runner) note(r *run, now time.Time) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	sp := rn.spans[r.id]
	if sp == nil {
		sp = &RunSpan{ID: r.id, Repo: r.repo, Workflow: r.workflow, Group: r.group, RequestID: r.inputs["request_id"],
			Key: r.inputs[KeyInput], Created: r.created}
		rn.spans[r.id] = sp
	}
	switch r.status {
	case "pending":
		sp.Pending = true
	case "in_progress":
		if sp.Started.IsZero() {
			sp.Started = now
		}
	case "completed":
		if sp.Completed.IsZero() {
			sp.Completed, sp.Conclusion = now, r.conclusion
		}
	}
}

// Spans returns the runs of repository full ("owner/name") the runner has
// seen, oldest first.
func (rn *Runner) Spans(full string) []RunSpan {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	var out []RunSpan
	for _, id := range slices.Sorted(maps.Keys(rn.spans)) {
		if sp := rn.spans[id]; sp.Repo == full {
			out = append(out, *sp)
		}
	}
	return out
}

// Overlaps returns the pairs of runs of one repository and concurrency
// group whose lives overlap: the later one was created (dispatched) before
// the earlier one completed. A run not completed yet lasts until now.
func Overlaps(spans []RunSpan, now time.Time) [][2]RunSpan {
	var out [][2]RunSpan
	for i, a := range spans {
		for _, b := range spans[i+1:] {
			if a.Repo != b.Repo || a.Group != b.Group {
				continue
			}
			first, second := a, b
			if second.Created.Before(first.Created) {
				first, second = second, first
			}
			end := first.Completed
			if end.IsZero() {
				end = now
			}
			if second.Created.Before(end) {
				out = append(out, [2]RunSpan{first, second})
			}
		}
	}
	return out
}
