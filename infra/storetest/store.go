package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// NewStore makes fresh, empty storage for one test and returns two handles
// on it, as two processes or replicas would open it. Cleanup is registered
// on t.
type NewStore func(t *testing.T) (first, second flow.Store)

// Run runs the store conformance suite.
func Run(t *testing.T, newStore NewStore) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newStore) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, newStore) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, newStore) })
	t.Run("BadIDs", func(t *testing.T) { testBadIDs(t, newStore) })
	t.Run("List", func(t *testing.T) { testList(t, newStore) })
	t.Run("ConcurrentCreate", func(t *testing.T) { testConcurrentCreate(t, newStore) })
	t.Run("ConcurrentUpdate", func(t *testing.T) { testConcurrentUpdate(t, newStore) })
	t.Run("NoLostUpdates", func(t *testing.T) { testNoLostUpdates(t, newStore) })
	t.Run("ReadsWhileWriting", func(t *testing.T) { testReadsWhileWriting(t, newStore) })
	runQueue(t, newStore)
	runLedger(t, newStore)
}

func testRoundTrip(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		req  *flow.Request
	}{
		{"minimal", minimal(1)},
		{"full", full(2)},
		{"large", large(3)},
	}
	s, other := newStore(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := clone(tc.req)
			if err := s.Create(t.Context(), r); err != nil {
				t.Fatalf("Create: %v", err)
			}
			if r.Rev == "" {
				t.Fatal("Create left Rev empty")
			}
			want := clone(tc.req)
			want.Rev = r.Rev
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("Create changed more than Rev (-want +got):\n%s", diff)
			}
			for name, h := range map[string]flow.Store{"same handle": s, "other handle": other} {
				got, err := h.Get(t.Context(), tc.req.ID)
				if err != nil {
					t.Fatalf("Get (%s): %v", name, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Get (%s) (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func testUpdate(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	r := minimal(1)
	if err := s.Create(ctx, r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	created := r.Rev
	next := full(1) // every field changes
	next.Rev = r.Rev
	if err := s.Update(ctx, next); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if next.Rev == "" || next.Rev == created {
		t.Fatalf("Update set Rev %q, want a new revision (was %q)", next.Rev, created)
	}
	want := full(1)
	want.Rev = next.Rev
	if diff := cmp.Diff(want, next); diff != "" {
		t.Errorf("Update changed more than Rev (-want +got):\n%s", diff)
	}
	got, err := other.Get(ctx, r.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get after Update (-want +got):\n%s", diff)
	}
	// The other handle advances it from what it read.
	got.State = flow.Applying
	got.Version++
	if err := other.Update(ctx, got); err != nil {
		t.Fatalf("Update from the other handle: %v", err)
	}
	again, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("Get after the other handle's Update (-want +got):\n%s", diff)
	}
}

func testErrors(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		op   func(ctx context.Context, s flow.Store, existing *flow.Request) error
		want error
	}{
		{"create existing", func(ctx context.Context, s flow.Store, existing *flow.Request) error {
			return s.Create(ctx, full(1))
		}, flow.ErrExists},
		{"get missing", func(ctx context.Context, s flow.Store, _ *flow.Request) error {
			_, err := s.Get(ctx, id(99))
			return err
		}, flow.ErrNotFound},
		{"update missing", func(ctx context.Context, s flow.Store, existing *flow.Request) error {
			r := clone(existing)
			r.ID = id(99)
			return s.Update(ctx, r)
		}, flow.ErrNotFound},
		{"update with a stale revision", func(ctx context.Context, s flow.Store, existing *flow.Request) error {
			r := clone(existing)
			r.Rev = strings.Repeat("0", len(existing.Rev))
			r.Version++
			return s.Update(ctx, r)
		}, flow.ErrConflict},
		{"update without a revision", func(ctx context.Context, s flow.Store, existing *flow.Request) error {
			r := clone(existing)
			r.Rev = ""
			r.Version++
			return s.Update(ctx, r)
		}, flow.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			existing := minimal(1)
			if err := s.Create(t.Context(), existing); err != nil {
				t.Fatalf("Create: %v", err)
			}
			want := clone(existing)
			if err := tc.op(t.Context(), s, clone(existing)); !errors.Is(err, tc.want) {
				t.Errorf("got error %v, want %v", err, tc.want)
			}
			got, err := s.Get(t.Context(), existing.ID)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("a failed call changed the stored request (-want +got):\n%s", diff)
			}
		})
	}
}

func testBadIDs(t *testing.T, newStore NewStore) {
	s, _ := newStore(t)
	for _, bad := range []string{"", "../x", "..", "a/b", "A0", "0195a3c0 0000", "x\x00", strings.Repeat("a", 65)} {
		r := minimal(1)
		r.ID = bad
		if err := s.Create(t.Context(), r); err == nil || errors.Is(err, flow.ErrExists) {
			t.Errorf("Create(%q) = %v, want an invalid-ID error", bad, err)
		}
		if _, err := s.Get(t.Context(), bad); err == nil || errors.Is(err, flow.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want an invalid-ID error", bad, err)
		}
	}
}

// testConcurrentCreate races creators of one ID on both handles: exactly
// one wins, the rest get ErrExists, and the winner's record is stored.
func testConcurrentCreate(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	const racers = 8
	errs := make([]error, racers)
	reqs := make([]*flow.Request, racers)
	var wg sync.WaitGroup
	for i := range racers {
		reqs[i] = minimal(1)
		reqs[i].Requester.ID = "U" + string(rune('a'+i))
		h := s
		if i%2 == 1 {
			h = other
		}
		wg.Go(func() { errs[i] = h.Create(t.Context(), reqs[i]) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("creators %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, flow.ErrExists):
			t.Errorf("creator %d: %v, want ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no creator won")
	}
	got, err := s.Get(t.Context(), id(1))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(reqs[winner], got); diff != "" {
		t.Errorf("stored request is not the winner's (-want +got):\n%s", diff)
	}
}

// testConcurrentUpdate races writers that read the same revision, over
// several rounds: exactly one wins each round, the others get ErrConflict,
// and the store holds the winner's request.
func testConcurrentUpdate(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	if err := s.Create(ctx, minimal(1)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const rounds, racers = 10, 4
	for round := range rounds {
		read, err := s.Get(ctx, id(1))
		if err != nil {
			t.Fatalf("round %d: Get: %v", round, err)
		}
		errs := make([]error, racers)
		reqs := make([]*flow.Request, racers)
		var wg sync.WaitGroup
		for i := range racers {
			reqs[i] = clone(read)
			// Every writer changes the content: Rev is derived from the
			// content in both stores (an S3 ETag is an MD5), so a write
			// that leaves the bytes as they were is a no-op that does not
			// move Rev, and the next writer would rightly win too.
			reqs[i].Version = int64(1000 + 100*round + i)
			h := s
			if i%2 == 1 {
				h = other
			}
			wg.Go(func() { errs[i] = h.Update(ctx, reqs[i]) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, flow.ErrConflict):
				t.Errorf("round %d: writer %d: %v, want ErrConflict", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		got, err := other.Get(ctx, id(1))
		if err != nil {
			t.Fatalf("round %d: Get: %v", round, err)
		}
		if diff := cmp.Diff(reqs[winner], got); diff != "" {
			t.Errorf("round %d: stored request is not the winner's (-want +got):\n%s", round, diff)
		}
	}
}

// testNoLostUpdates has workers on both handles increment Version with
// read-modify-write, retrying on ErrConflict: every increment must land.
func testNoLostUpdates(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	if err := s.Create(ctx, minimal(1)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const workers, increments = 4, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		h := s
		if w%2 == 1 {
			h = other
		}
		wg.Go(func() {
			for done := 0; done < increments; {
				r, err := h.Get(ctx, id(1))
				if err != nil {
					errs <- err
					return
				}
				r.Version++
				r.Seen = append(r.Seen, r.Requester.ID) // grow the record a little each time
				switch err := h.Update(ctx, r); {
				case err == nil:
					done++
				case !errors.Is(err, flow.ErrConflict):
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}
	got, err := s.Get(ctx, id(1))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if want := int64(1 + workers*increments); got.Version != want {
		t.Errorf("Version = %d after %d increments from 1, want %d: an update was lost", got.Version, workers*increments, want)
	}
}

// testReadsWhileWriting has readers Get a request on one handle while a
// writer keeps replacing it, with records of very different sizes, on the
// other: every read must return one whole version, never a mix of two.
func testReadsWhileWriting(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	// Version v carries a pad of padLen(v) copies of one letter, so a read
	// that mixes two versions shows as a pad of the wrong length or letters.
	padLen := func(v int64) int { return 1 + int(v*7919%(96<<10)) }
	pad := func(v int64) string { return strings.Repeat(string(rune('a'+v%26)), padLen(v)) }
	r := minimal(1)
	r.Inputs = map[string]string{"pad": pad(r.Version)}
	if err := s.Create(ctx, r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const updates, readers = 60, 3
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	wg.Go(func() {
		defer close(done)
		for range updates {
			r.Version++
			r.Inputs = map[string]string{"pad": pad(r.Version)}
			if err := s.Update(ctx, r); err != nil {
				errs <- fmt.Errorf("Update to version %d: %w", r.Version, err)
				return
			}
		}
	})
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := other.Get(ctx, id(1))
				if err != nil {
					errs <- fmt.Errorf("Get while writing: %w", err)
					return
				}
				if p := got.Inputs["pad"]; p != pad(got.Version) {
					errs <- fmt.Errorf("Get returned version %d with a pad of %d bytes starting %q, want %d bytes of %q: a torn read",
						got.Version, len(p), p[:min(len(p), 3)], padLen(got.Version), pad(got.Version)[:1])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
