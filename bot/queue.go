package bot

import (
	"context"
	"sync"
	"time"
)

// job is one piece of work for one key (a thread, a request, a user).
type job func(ctx context.Context)

// queue runs jobs on a fixed number of workers: jobs with the same key run
// one at a time in submission order, jobs with different keys in parallel.
// A busy key never holds up a worker while other keys wait, because a key
// is handed to a worker only when it has work and no worker has it.
type queue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending map[string][]job // key -> jobs not yet run (present while a worker has the key)
	ready   []string         // keys with work and no worker
	size    int              // jobs queued, all keys
	limit   int
	closed  bool
	wg      sync.WaitGroup
}

func newQueue(limit int) *queue {
	q := &queue{pending: map[string][]job{}, limit: limit}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// submit queues j under key; false when the queue is closed or full.
func (q *queue) submit(key string, j job) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.size >= q.limit {
		return false
	}
	jobs, active := q.pending[key]
	q.pending[key] = append(jobs, j)
	q.size++
	if !active {
		q.ready = append(q.ready, key)
		q.cond.Signal()
	}
	return true
}

// start runs n workers until close; ctx is handed to every job.
func (q *queue) start(ctx context.Context, n int) {
	for range n {
		q.wg.Add(1)
		go q.work(ctx)
	}
}

func (q *queue) work(ctx context.Context) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		for len(q.ready) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.ready) == 0 {
			q.mu.Unlock()
			return
		}
		key := q.ready[0]
		q.ready = q.ready[1:]
		j := q.pending[key][0]
		q.mu.Unlock()

		j(ctx)

		q.mu.Lock()
		q.size--
		rest := q.pending[key][1:]
		if len(rest) == 0 {
			delete(q.pending, key)
		} else {
			q.pending[key] = rest
			q.ready = append(q.ready, key)
			q.cond.Signal()
		}
		q.mu.Unlock()
	}
}

// close stops taking jobs and waits until the queued ones ran or the
// deadline passed; it reports how many were left undone.
func (q *queue) close(deadline time.Duration) int {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		return 0
	case <-time.After(deadline):
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.size
	}
}

// dedupe remembers keys for a while, bounded in number, to drop duplicate
// deliveries (Slack retries, double clicks).
type dedupe struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	seen  map[string]time.Time
	order []string
	now   func() time.Time
}

func newDedupe(max int, ttl time.Duration) *dedupe {
	return &dedupe{ttl: ttl, max: max, seen: map[string]time.Time{}, now: time.Now}
}

// first reports whether key is new, and remembers it.
func (d *dedupe) first(key string) bool {
	if key == "" {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for len(d.order) > 0 && (len(d.order) >= d.max || now.Sub(d.seen[d.order[0]]) > d.ttl) {
		delete(d.seen, d.order[0])
		d.order = d.order[1:]
	}
	if _, ok := d.seen[key]; ok {
		return false
	}
	d.seen[key] = now
	d.order = append(d.order, key)
	return true
}
