package flow_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// deliver sends ev n times at once (same Key) and returns the errors.
func deliver(eng *flow.Engine, id string, ev flow.Event, n int) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = eng.Handle(context.Background(), id, ev) })
	}
	wg.Wait()
	return errs
}

// TestDuplicateDelivery delivers every person event of the lifecycle twice in
// a row and then four times at once; the lifecycle must end with exactly one
// of everything and one history line per transition.
func TestDuplicateDelivery(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	open := flow.Event{Kind: flow.EvStart, Key: "open-1", Actor: actor("U1"), Project: "demo", Module: "bucket", Environment: "dev"}
	var ids sync.Map
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			r, err := h.eng.Open(context.Background(), open)
			if err != nil {
				t.Error(err)
				return
			}
			ids.Store(r.ID, true)
		})
	}
	wg.Wait()
	if got := len(ports.Store.IDs()); got != 1 {
		t.Fatalf("%d requests opened for one key", got)
	}
	id := ports.Store.IDs()[0]
	events := []flow.Event{
		{Kind: flow.EvSetInputs, Key: "set-1", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1"}},
		{Kind: flow.EvConfirm, Key: "confirm-1", Actor: actor("U1")},
		{Kind: flow.EvApprove, Key: "approve-1", Actor: actor("U3")},
		{Kind: flow.EvApply, Key: "apply-1", Actor: actor("U1")},
	}
	for _, ev := range events {
		h.settle()
		for i, err := range append(deliver(h.eng, id, ev, 1), deliver(h.eng, id, ev, 4)...) {
			if err != nil {
				t.Fatalf("%s delivery %d: %v", ev.Kind, i, err)
			}
		}
		if got := historyOf(h.get(id), ev.Kind); got != 1 {
			t.Errorf("%s delivered 5 times made %d history lines, want 1", ev.Kind, got)
		}
	}
	h.settle()
	assertExactlyOnce(t, ports, id)
	if got := ports.Chat.Posts(id); got != 1 {
		// Say how the request got here, to find where a thread was lost
		// (this fails about once in 300–600 runs under -race).
		r := h.get(id)
		for _, tr := range r.History {
			t.Logf("v? seq %d %s %s→%s %q", tr.Seq, tr.Event, tr.From, tr.To, tr.Note)
		}
		t.Logf("thread %+v version %d", r.Thread, r.Version)
		t.Errorf("%d cards posted, want 1", got)
	}
}

// heldAfterCreate is a Store whose Create stores the request and then waits
// for release before returning: the request is in the store, where a scan
// finds it, before Open has kept it as written.
type heldAfterCreate struct {
	*flowtest.Store
	created chan string
	release chan struct{}
}

func (s heldAfterCreate) Create(ctx context.Context, r *flow.Request) error {
	if err := s.Store.Create(ctx, r); err != nil {
		return err
	}
	s.created <- r.ID
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestOpenOvertakenByItsRunner lets a runner find a new request in the
// store (a scan, Settle) before Open returns: it posts the card and writes
// the thread. Open keeping its own, older write afterwards must not send
// the runner back to a copy without the thread, to post a second card.
func TestOpenOvertakenByItsRunner(t *testing.T) {
	ports := flowtest.NewPorts()
	store := heldAfterCreate{Store: ports.Store, created: make(chan string, 1), release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(store.release) })
	t.Cleanup(release)
	h := newHarness(t, ports, "a", func(c *flow.Config) { c.Store = store })
	opened := make(chan error, 1)
	go func() {
		_, err := h.eng.Open(context.Background(), flow.Event{Kind: flow.EvStart, Key: "open-1", Actor: actor("U1"), Project: "demo", Module: "bucket", Environment: "dev"})
		opened <- err
	}()
	id := <-store.created
	h.settle() // the runner, kicked by Settle, shows the card and writes its thread
	if got := ports.Chat.Posts(id); got != 1 {
		t.Fatalf("%d cards posted before Open returned, want 1", got)
	}
	release()
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got := ports.Chat.Posts(id); got != 1 {
		t.Errorf("%d cards posted, want 1", got)
	}
	if got := h.get(id).Thread.TS; got == "" {
		t.Error("thread not stored")
	}
}

// TestDuplicateApprovalByOnePerson sends one approver's approval with
// different keys (two clicks) at once: one counts, the others are friendly
// ErrDuplicate refusals.
func TestDuplicateApprovalByOnePerson(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	id := h.toAwaiting("prod")
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = h.eng.Handle(context.Background(), id, flow.Event{Kind: flow.EvApprove, Key: string(rune('a' + i)), Actor: actor("U3")})
		})
	}
	wg.Wait()
	var ok, dup int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, flow.ErrDuplicate):
			dup++
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if diff := cmp.Diff([]int{1, 3}, []int{ok, dup}); diff != "" {
		t.Errorf("accepted, duplicate (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"U3"}, flow.CurrentApprovers(h.get(id))); diff != "" {
		t.Errorf("approvers (-want +got):\n%s", diff)
	}
}

// historyOf counts r's history lines made by events of kind k.
func historyOf(r *flow.Request, k flow.EventKind) int {
	n := 0
	for _, tr := range r.History {
		if tr.Event == k {
			n++
		}
	}
	return n
}
