package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pollLedger is what a store shares between replicas for GitHub polling
// (github.PollLedger; storetest does not import the adapter).
type pollLedger interface {
	Reserve(ctx context.Context, window time.Time, n, budget int) (granted int, err error)
}

// runLedger runs the polling ledger part of the suite (Reserve).
func runLedger(t *testing.T, newStore NewStore) {
	t.Run("LedgerBudgetShared", func(t *testing.T) { testLedgerBudgetShared(t, newStore) })
	t.Run("LedgerNewWindow", func(t *testing.T) { testLedgerNewWindow(t, newStore) })
	t.Run("LedgerNearlySpent", func(t *testing.T) { testLedgerNearlySpent(t, newStore) })
}

// ledgers returns the two handles as ledgers; the test fails if the store
// keeps none.
func ledgers(t *testing.T, newStore NewStore) (pollLedger, pollLedger) {
	t.Helper()
	s, other := newStore(t)
	a, ok := s.(pollLedger)
	b, ok2 := other.(pollLedger)
	if !ok || !ok2 {
		t.Fatalf("%T does not implement Reserve(ctx, window, n, budget): replicas cannot share the polling budget", s)
	}
	return a, b
}

// window is the minute the ledger tests reserve in.
var window = base.Truncate(time.Minute)

// testLedgerBudgetShared has goroutines on both handles reserve small
// batches in one window until the ledger grants none: together they are
// granted exactly the budget, and no call more than it asked for.
func testLedgerBudgetShared(t *testing.T, newStore NewStore) {
	a, b := ledgers(t, newStore)
	const budget, n, workers = 40, 3, 6
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
	)
	for w := range workers {
		l := a
		if w%2 == 1 {
			l = b
		}
		wg.Go(func() {
			for {
				got, err := l.Reserve(t.Context(), window, n, budget)
				if err != nil {
					t.Errorf("Reserve: %v", err)
					return
				}
				if got < 0 || got > n {
					t.Errorf("Reserve(%d) granted %d, want 0..%d", n, got, n)
					return
				}
				mu.Lock()
				total += got
				mu.Unlock()
				if got == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if total != budget {
		t.Errorf("%d goroutines on two handles were granted %d in one window, want the budget %d", workers, total, budget)
	}
}

// testLedgerNewWindow spends a window's budget; the next window starts
// from nothing spent, and an earlier window (a replica whose clock is
// behind) counts against the latest one.
func testLedgerNewWindow(t *testing.T, newStore NewStore) {
	a, b := ledgers(t, newStore)
	ctx := t.Context()
	next := window.Add(time.Minute)
	steps := []struct {
		name   string
		l      pollLedger
		window time.Time
		n      int
		want   int
	}{
		{"spend the window", a, window, 10, 10},
		{"window spent", b, window, 1, 0},
		{"next window", b, next, 7, 7},
		{"earlier window counts against the next", a, window, 5, 3},
		{"next window spent", a, next, 1, 0},
	}
	var got []int
	var want []int
	for _, s := range steps {
		n, err := s.l.Reserve(ctx, s.window, s.n, 10)
		if err != nil {
			t.Fatalf("Reserve (%s): %v", s.name, err)
		}
		got, want = append(got, n), append(want, s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("granted, step by step (-want +got):\n%s", diff)
	}
}

// testLedgerNearlySpent reserves more than is left: what is left is
// granted, then nothing.
func testLedgerNearlySpent(t *testing.T, newStore NewStore) {
	a, b := ledgers(t, newStore)
	ctx := t.Context()
	var got []int
	for _, r := range []struct {
		l pollLedger
		n int
	}{{a, 8}, {b, 5}, {a, 1}, {b, 0}} {
		n, err := r.l.Reserve(ctx, window, r.n, 10)
		if err != nil {
			t.Fatalf("Reserve(%d): %v", r.n, err)
		}
		got = append(got, n)
	}
	if diff := cmp.Diff([]int{8, 2, 0, 0}, got); diff != "" {
		t.Errorf("Reserve 8, 5, 1, 0 of 10 (-want +got):\n%s", diff)
	}
}
