package bot

import (
	"context"
	"hash/maphash"
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
// deliveries (Slack retries, double clicks). It runs on the ack path for
// every envelope, so it keeps 64-bit hashes of the keys, not the keys: the
// table holds no pointers, which the garbage collector then never scans
// however full it is, and a key made of parts is hashed without being
// concatenated. Two distinct keys share a hash with probability about
// max/2^64 per lookup (~5e-15 at 100,000 keys): negligible next to Slack
// redelivering an event we dropped.
type dedupe struct {
	mu   sync.Mutex
	ttl  int64 // nanoseconds
	max  int
	seed maphash.Seed
	seen map[uint64]int64 // key hash -> when first seen (unix nanoseconds)
	ring []seenKey        // insertion order, oldest at head; grows up to max
	head int
	n    int
	now  func() time.Time
}

type seenKey struct {
	h  uint64
	at int64
}

func newDedupe(limit int, ttl time.Duration) *dedupe {
	return &dedupe{ttl: int64(ttl), max: max(limit, 1), seed: maphash.MakeSeed(), seen: map[uint64]int64{}, now: time.Now}
}

// key hashes the concatenation of parts.
func (d *dedupe) key(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	for _, p := range parts {
		_, _ = h.WriteString(p)
	}
	return h.Sum64()
}

// first reports whether key is new, and remembers it. The empty key is
// always new and never remembered.
func (d *dedupe) first(key string) bool {
	if key == "" {
		return true
	}
	return d.firstOf(d.key(key))
}

// firstOf remembers every key and reports whether all of them were new.
func (d *dedupe) firstOf(keys ...uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now().UnixNano()
	for d.n > 0 && (d.n >= d.max || now-d.ring[d.head].at > d.ttl) {
		delete(d.seen, d.ring[d.head].h)
		d.head = (d.head + 1) % len(d.ring)
		d.n--
	}
	all := true
	for _, k := range keys {
		if _, ok := d.seen[k]; ok {
			all = false
			continue
		}
		d.seen[k] = now
		d.push(seenKey{h: k, at: now})
	}
	return all
}

// push appends to the ring, growing it (by doubling, up to max) when full.
func (d *dedupe) push(k seenKey) {
	if d.n == len(d.ring) {
		if d.n >= d.max {
			// Two new keys in one call at max: drop the oldest.
			delete(d.seen, d.ring[d.head].h)
			d.head = (d.head + 1) % len(d.ring)
			d.n--
		} else {
			grown := make([]seenKey, min(max(2*len(d.ring), 64), d.max))
			for i := range d.n {
				grown[i] = d.ring[(d.head+i)%len(d.ring)]
			}
			d.ring, d.head = grown, 0
		}
	}
	d.ring[(d.head+d.n)%len(d.ring)] = k
	d.n++
}
