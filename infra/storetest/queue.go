package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
)

// runQueue runs the run queue part of the suite (Store.Queue, SaveQueue).
func runQueue(t *testing.T, newStore NewStore) {
	t.Run("QueueEmpty", func(t *testing.T) { testQueueEmpty(t, newStore) })
	t.Run("QueueRoundTrip", func(t *testing.T) { testQueueRoundTrip(t, newStore) })
	t.Run("QueueConditional", func(t *testing.T) { testQueueConditional(t, newStore) })
	t.Run("QueueIndependent", func(t *testing.T) { testQueueIndependent(t, newStore) })
	t.Run("QueueBadNames", func(t *testing.T) { testQueueBadNames(t, newStore) })
	t.Run("QueueNoLostUpdates", func(t *testing.T) { testQueueNoLostUpdates(t, newStore) })
}

// fullQueue returns a queue with every field of every entry set, so a round
// trip that drops one shows up in the diff.
func fullQueue(project, env string) *flow.Queue {
	return &flow.Queue{Project: project, Environment: env, Entries: []flow.QueueEntry{
		{RequestID: id(1), Workflow: flow.WorkflowApply, Effect: "7-dispatch_apply", Since: base.Add(time.Minute), Running: true},
		{RequestID: id(2), Workflow: flow.WorkflowPlan, Effect: "3-dispatch_plan", Since: base.Add(90 * time.Second)},
	}}
}

// testQueueEmpty reads and saves the queue of a new store.
func testQueueEmpty(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	want := &flow.Queue{Project: "payments", Environment: "dev"}
	for name, h := range map[string]flow.Store{"first handle": s, "second handle": other} {
		got, err := h.Queue(t.Context(), "payments", "dev")
		if err != nil {
			t.Fatalf("Queue (%s) of a new store: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Queue (%s) of a new store (-want +got):\n%s", name, diff)
		}
	}
	// A revision of a queue that was never saved is not the stored one.
	q := fullQueue("payments", "dev")
	q.Rev = `"0123456789abcdef0123456789abcdef"`
	if err := s.SaveQueue(t.Context(), q); !errors.Is(err, flow.ErrConflict) {
		t.Errorf("SaveQueue with a revision of no saved queue = %v, want ErrConflict", err)
	}
	got, err := other.Queue(t.Context(), "payments", "dev")
	if err != nil {
		t.Fatalf("Queue: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Queue after a refused save (-want +got):\n%s", diff)
	}
}

func testQueueRoundTrip(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	q := fullQueue("payments", "dev")
	if err := s.SaveQueue(ctx, q); err != nil {
		t.Fatalf("SaveQueue: %v", err)
	}
	if q.Rev == "" {
		t.Fatal("SaveQueue left Rev empty")
	}
	want := fullQueue("payments", "dev")
	want.Rev = q.Rev
	if diff := cmp.Diff(want, q); diff != "" {
		t.Errorf("SaveQueue changed more than Rev (-want +got):\n%s", diff)
	}
	for name, h := range map[string]flow.Store{"same handle": s, "other handle": other} {
		got, err := h.Queue(ctx, "payments", "dev")
		if err != nil {
			t.Fatalf("Queue (%s): %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Queue (%s) (-want +got):\n%s", name, diff)
		}
	}
}

// testQueueConditional checks that a save lands only on the revision it
// read: creating twice, saving a stale revision or one of a queue that was
// never saved conflicts and leaves the stored queue as it was.
func testQueueConditional(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		// rev picks the Rev of the save from the first and the current
		// revision of the stored queue (saved twice before).
		rev  func(first, current string) string
		want error
	}{
		{"current revision", func(_, current string) string { return current }, nil},
		{"create again", func(string, string) string { return "" }, flow.ErrConflict},
		{"stale revision", func(first, _ string) string { return first }, flow.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, other := newStore(t)
			ctx := t.Context()
			q := fullQueue("payments", "dev")
			if err := s.SaveQueue(ctx, q); err != nil {
				t.Fatalf("SaveQueue (create): %v", err)
			}
			first := q.Rev
			q.Entries = q.Entries[:1]
			if err := s.SaveQueue(ctx, q); err != nil {
				t.Fatalf("SaveQueue (update): %v", err)
			}
			if q.Rev == "" || q.Rev == first {
				t.Fatalf("SaveQueue set Rev %q, want a new revision (was %q)", q.Rev, first)
			}
			stored := *q

			next := fullQueue("payments", "dev")
			next.Entries[0].Running = false
			next.Rev = tc.rev(first, stored.Rev)
			err := other.SaveQueue(ctx, next)
			if !errors.Is(err, tc.want) || tc.want == nil && err != nil {
				t.Fatalf("SaveQueue = %v, want %v", err, tc.want)
			}
			want := &stored
			if tc.want == nil {
				if next.Rev == stored.Rev {
					t.Errorf("SaveQueue kept Rev %q, want a new revision", next.Rev)
				}
				want = next
			}
			got, err := s.Queue(ctx, "payments", "dev")
			if err != nil {
				t.Fatalf("Queue: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored queue (-want +got):\n%s", diff)
			}
		})
	}
}

// testQueueIndependent saves queues of two projects and two environments,
// with names that would collide if joined carelessly: each reads back as
// saved, and saving one never touches another.
func testQueueIndependent(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	targets := [][2]string{{"payments", "dev"}, {"payments", "prod"}, {"web", "dev"}, {"a.b", "c"}, {"a", "b.c"}, {"a-b", "c"}, {"a", "b-c"}}
	var saved []*flow.Queue
	for i, tg := range targets {
		q := &flow.Queue{Project: tg[0], Environment: tg[1], Entries: []flow.QueueEntry{
			{RequestID: id(10 + i), Workflow: flow.WorkflowPlan, Effect: "1-dispatch_plan", Since: base.Add(time.Duration(i) * time.Second)}}}
		if err := s.SaveQueue(ctx, q); err != nil {
			t.Fatalf("SaveQueue %s/%s: %v", tg[0], tg[1], err)
		}
		saved = append(saved, q)
	}
	for _, want := range saved {
		got, err := other.Queue(ctx, want.Project, want.Environment)
		if err != nil {
			t.Fatalf("Queue %s/%s: %v", want.Project, want.Environment, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Queue %s/%s (-want +got):\n%s", want.Project, want.Environment, diff)
		}
	}
	empty, err := other.Queue(ctx, "web", "prod")
	if err != nil {
		t.Fatalf("Queue web/prod: %v", err)
	}
	if diff := cmp.Diff(&flow.Queue{Project: "web", Environment: "prod"}, empty); diff != "" {
		t.Errorf("Queue of an environment never saved (-want +got):\n%s", diff)
	}
}

func testQueueBadNames(t *testing.T, newStore NewStore) {
	s, _ := newStore(t)
	ctx := t.Context()
	for _, bad := range [][2]string{{"", "dev"}, {"payments", ""}, {"..", "dev"}, {"payments", "../dev"}, {"a/b", "dev"},
		{"payments", "dev/x"}, {`a\b`, "dev"}, {"payments", "dev\x00"}} {
		if _, err := s.Queue(ctx, bad[0], bad[1]); err == nil {
			t.Errorf("Queue(%q, %q) succeeded, want an invalid-name error", bad[0], bad[1])
		}
		q := &flow.Queue{Project: bad[0], Environment: bad[1]}
		if err := s.SaveQueue(ctx, q); err == nil || errors.Is(err, flow.ErrConflict) {
			t.Errorf("SaveQueue(%q, %q) = %v, want an invalid-name error", bad[0], bad[1], err)
		}
	}
}

// testQueueNoLostUpdates has workers on both handles each append one entry
// with read-modify-write, retrying on ErrConflict, starting from no queue
// at all (so the creates race too): every entry must be there at the end.
func testQueueNoLostUpdates(t *testing.T, newStore NewStore) {
	s, other := newStore(t)
	ctx := t.Context()
	const workers = 12
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		h := s
		if w%2 == 1 {
			h = other
		}
		wg.Go(func() {
			if err := appendEntry(ctx, h, flow.QueueEntry{RequestID: id(w + 1), Workflow: flow.WorkflowPlan,
				Effect: "1-dispatch_plan", Since: base.Add(time.Duration(w) * time.Second)}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("worker: %v", err)
	}
	q, err := s.Queue(ctx, "payments", "dev")
	if err != nil {
		t.Fatalf("Queue: %v", err)
	}
	var want, got []string
	for w := range workers {
		want = append(want, id(w+1))
	}
	for _, e := range q.Entries {
		got = append(got, e.RequestID)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries after %d concurrent appends (-want +got): an update was lost\n%s", workers, diff)
	}
}

// appendEntry adds e to the payments/dev queue, retrying on ErrConflict.
func appendEntry(ctx context.Context, s flow.Store, e flow.QueueEntry) error {
	for {
		q, err := s.Queue(ctx, "payments", "dev")
		if err != nil {
			return err
		}
		q.Entries = append(q.Entries, e)
		err = s.SaveQueue(ctx, q)
		if !errors.Is(err, flow.ErrConflict) {
			return err
		}
	}
}
