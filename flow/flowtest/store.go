package flowtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/tfpilot/tfpilot/flow"
)

// Store is an in-memory flow.Store. Records are kept as JSON (so every read
// is a deep copy and the JSON form is exercised) with a revision counter for
// conditional writes.
type Store struct {
	Faults
	mu      sync.Mutex
	recs    map[string]storeRec
	order   []string
	rev     int64
	updates int
	gets    int
	lists   int
	writes  map[string][]Write
	queues  map[string]storeRec
}

// Write is what one successful Create or Update stored, for tests that
// check how requests were written.
type Write struct {
	Version    int64
	LeaseOwner string
}

type storeRec struct {
	data []byte
	rev  string
}

var _ flow.Store = (*Store)(nil)

// NewStore returns an empty store.
func NewStore() *Store { return &Store{recs: map[string]storeRec{}} }

func (s *Store) put(r *flow.Request) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode %s: %w", r.ID, err)
	}
	s.rev++
	r.Rev = strconv.FormatInt(s.rev, 10)
	s.recs[r.ID] = storeRec{data: data, rev: r.Rev}
	if s.writes == nil {
		s.writes = map[string][]Write{}
	}
	s.writes[r.ID] = append(s.writes[r.ID], Write{Version: r.Version, LeaseOwner: r.Lease.Owner})
	return nil
}

func decode(rec storeRec) (*flow.Request, error) {
	var r flow.Request
	if err := json.Unmarshal(rec.data, &r); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	r.Rev = rec.rev
	return &r, nil
}

// Create implements flow.Store.
func (s *Store) Create(ctx context.Context, r *flow.Request) error {
	if err := s.hit(ctx, "Create"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.recs[r.ID]; ok {
		return fmt.Errorf("create %s: %w", r.ID, flow.ErrExists)
	}
	s.order = append(s.order, r.ID)
	return s.put(r)
}

// Get implements flow.Store.
func (s *Store) Get(ctx context.Context, id string) (*flow.Request, error) {
	if err := s.hit(ctx, "Get"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	rec, ok := s.recs[id]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", id, flow.ErrNotFound)
	}
	return decode(rec)
}

// Update implements flow.Store: it fails with ErrConflict unless r.Rev is
// the stored revision.
func (s *Store) Update(ctx context.Context, r *flow.Request) error {
	if err := s.hit(ctx, "Update"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.recs[r.ID]
	if !ok {
		return fmt.Errorf("update %s: %w", r.ID, flow.ErrNotFound)
	}
	if rec.rev != r.Rev {
		return fmt.Errorf("update %s at %s (stored %s): %w", r.ID, r.Rev, rec.rev, flow.ErrConflict)
	}
	s.updates++
	return s.put(r)
}

// List implements flow.Store, oldest first.
func (s *Store) List(ctx context.Context, f flow.Filter) ([]*flow.Request, error) {
	if err := s.hit(ctx, "List"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists++
	var out []*flow.Request
	for _, id := range s.order {
		r, err := decode(s.recs[id])
		if err != nil {
			return nil, err
		}
		if f.Match(r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// IDs returns the stored request IDs, oldest first.
func (s *Store) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// Updates returns how many updates succeeded.
func (s *Store) Updates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates
}

// Writes returns every successful write of request id, in order.
func (s *Store) Writes(id string) []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.writes[id])
}

// Gets returns how many Get calls the store answered.
func (s *Store) Gets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets
}

// Queue implements flow.Store. Fault: "Queue".
func (s *Store) Queue(ctx context.Context, project, environment string) (*flow.Queue, error) {
	if err := s.hit(ctx, "Queue"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.queues[project+"/"+environment]
	if !ok {
		return &flow.Queue{Project: project, Environment: environment}, nil
	}
	var q flow.Queue
	if err := json.Unmarshal(rec.data, &q); err != nil {
		return nil, fmt.Errorf("decode queue: %w", err)
	}
	q.Rev = rec.rev
	return &q, nil
}

// SaveQueue implements flow.Store: ErrConflict unless q.Rev is the stored
// revision ("" for none). Fault: "SaveQueue".
func (s *Store) SaveQueue(ctx context.Context, q *flow.Queue) error {
	if err := s.hit(ctx, "SaveQueue"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := q.Project + "/" + q.Environment
	if s.queues[k].rev != q.Rev {
		return fmt.Errorf("save queue %s at %q (stored %q): %w", k, q.Rev, s.queues[k].rev, flow.ErrConflict)
	}
	data, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("encode queue %s: %w", k, err)
	}
	s.rev++
	q.Rev = strconv.FormatInt(s.rev, 10)
	if s.queues == nil {
		s.queues = map[string]storeRec{}
	}
	s.queues[k] = storeRec{data: data, rev: q.Rev}
	return nil
}

// Lists returns how many List calls the store answered.
func (s *Store) Lists() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists
}
