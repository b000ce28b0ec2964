package flow_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tfpilot/tfpilot/flow"
	"github.com/tfpilot/tfpilot/flow/flowtest"
)

// TestEngineReleasedLeaseLetsAnotherReplicaRun: replica A runs a request's
// effects and, owing nothing, releases its lease in the same write. An
// event that lands on replica B then takes the lease in the write that owes
// its effects, and B runs them at once: no clock advance, no scan.
func TestEngineReleasedLeaseLetsAnotherReplicaRun(t *testing.T) {
	ports := flowtest.NewPorts()
	a := newHarness(t, ports, "replica-a")
	r := a.open("dev")
	a.settle()
	if got := a.get(r.ID); len(got.Owed) != 0 || got.Lease != (flow.Lease{}) {
		t.Fatalf("after A settled: owed %v, lease %+v; want nothing owed and no lease", got.Owed, got.Lease)
	}

	b := newHarness(t, ports, "replica-b")
	before := len(ports.Store.Writes(r.ID))
	b.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "on-b", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}})
	b.settle()
	got := b.get(r.ID)
	if got.State != flow.Confirming || len(got.Owed) != 0 || got.Lease != (flow.Lease{}) {
		t.Errorf("after B settled: %s owed %v lease %+v; want confirming, nothing owed, no lease", got.State, got.Owed, got.Lease)
	}
	if card := ports.Chat.LastCard(r.ID); card == nil || card.State != flow.Confirming {
		t.Errorf("card shows %+v, want the confirming request", card)
	}
	var owners []string
	for _, w := range ports.Store.Writes(r.ID)[before:] {
		owners = append(owners, w.LeaseOwner)
	}
	// B's transition took the lease in its own write; the acknowledgement
	// released it.
	if diff := cmp.Diff([]string{"replica-b", ""}, owners); diff != "" {
		t.Errorf("lease owners of the writes after A settled (-want +got):\n%s", diff)
	}
}

// TestEngineFoldsAcknowledgements: the acknowledgement of a transition's
// light effects (audit, card) is not a write of its own: it rides on the
// request's next write, and that write no longer owes them.
func TestEngineFoldsAcknowledgements(t *testing.T) {
	ports := flowtest.NewPorts()
	cfg := ports.Config("a")
	cfg.AckDelay = time.Hour // never written on their own during the test
	cfg.Logger = slog.New(slog.NewTextHandler(tWriter{t}, nil))
	eng, err := flow.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; checkVersions(t, ports.Store) })

	r, err := eng.Open(ctx, flow.Event{Kind: flow.EvStart, Key: "open", Actor: actor("U1"), Project: "demo", Module: "bucket",
		Environment: "dev", Thread: &flow.Thread{Channel: "C1", TS: "1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	waitParked(t, eng, r.ID, len(r.Owed))
	events := []flow.Event{
		{Kind: flow.EvSetInputs, Key: "in", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}},
		{Kind: flow.EvEdit, Key: "edit", Actor: actor("U1")},
		{Kind: flow.EvSetInputs, Key: "in2", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-2"}},
	}
	for i, ev := range events {
		prev, err := eng.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		gets := ports.Store.Gets()
		got, err := eng.Handle(ctx, r.ID, ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
		}
		if n := ports.Store.Gets() - gets; i > 0 && n != 0 {
			t.Errorf("%s: %d reads; want none (the engine steps the record as it last wrote it)", ev.Kind, n)
		}
		for _, eff := range prev.Owed {
			if containsID(got.Owed, eff.ID) {
				t.Errorf("%s: still owes %s, which ran before it", ev.Kind, eff.ID)
			}
		}
		if want := int64(i + 2); got.Version != want {
			t.Errorf("%s: version %d, want %d (no write of its own for the acknowledgements)", ev.Kind, got.Version, want)
		}
		waitParked(t, eng, r.ID, len(got.Owed))
	}
}

func containsID(effs []flow.Effect, id string) bool {
	for _, e := range effs {
		if e.ID == id {
			return true
		}
	}
	return false
}

// waitParked waits until n acknowledgements of request id are parked: the
// effects ran and wait for the next write.
func waitParked(t *testing.T, eng *flow.Engine, id string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for eng.ParkedAcks(id) != n {
		select {
		case <-ctx.Done():
			t.Fatalf("%d acknowledgements parked, want %d", eng.ParkedAcks(id), n)
		case <-time.After(time.Millisecond):
		}
	}
}

// gatedStore holds its first Update until release is closed, after telling
// entered: a replica that read and stepped a request, about to write.
type gatedStore struct {
	flow.Store
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (s *gatedStore) Update(ctx context.Context, r *flow.Request) error {
	s.once.Do(func() { close(s.entered); <-s.release })
	return s.Store.Update(ctx, r)
}

// TestEngineLeaseRecheckedAfterLostRace: replica B steps an event while A
// still holds the lease (A's acknowledgements are parked); A then writes
// them and releases the lease before B writes. B loses the race, re-loads,
// re-steps and, finding no live owner, takes the lease in its write and
// runs the effects itself at once.
func TestEngineLeaseRecheckedAfterLostRace(t *testing.T) {
	ports := flowtest.NewPorts()
	cfgA := ports.Config("replica-a")
	cfgA.AckDelay = time.Hour // A holds its lease until told to write
	a, err := flow.New(cfgA)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	r, err := a.Open(ctx, flow.Event{Kind: flow.EvStart, Key: "open", Actor: actor("U1"), Project: "demo", Module: "bucket",
		Environment: "dev", Thread: &flow.Thread{Channel: "C1", TS: "1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	waitParked(t, a, r.ID, len(r.Owed))

	gate := &gatedStore{Store: ports.Store, entered: make(chan struct{}), release: make(chan struct{})}
	cfgB := ports.Config("replica-b")
	cfgB.Store = gate
	b, err := flow.New(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	ctxB, cancelB := context.WithCancel(context.Background())
	doneB := make(chan error, 1)
	go func() { doneB <- b.Run(ctxB) }()
	t.Cleanup(func() { cancelB(); <-doneB })
	handled := make(chan error, 1)
	go func() {
		_, err := b.Handle(ctxB, r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "on-b", Actor: actor("U1"),
			Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}})
		handled <- err
	}()
	<-gate.entered // B stepped the request under A's live lease
	before := len(ports.Store.Writes(r.ID))
	if err := a.FlushAcks(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	if err := <-handled; err != nil {
		t.Fatalf("B handle: %v", err)
	}
	settleCtx, cancelSettle := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelSettle()
	if err := b.Settle(settleCtx); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != flow.Confirming || len(got.Owed) != 0 {
		t.Errorf("after B settled: %s owing %v, want confirming owing nothing", got.State, got.Owed)
	}
	var owners []string
	for _, w := range ports.Store.Writes(r.ID)[before:] {
		owners = append(owners, w.LeaseOwner)
	}
	// A released; B's retried write took the lease; B's acknowledgement released it.
	if diff := cmp.Diff([]string{"", "replica-b", ""}, owners); diff != "" {
		t.Errorf("lease owners of the writes from A's flush on (-want +got):\n%s", diff)
	}
	checkVersions(t, ports.Store)
}

// TestEngineHandleRereadsAfterAnotherReplicaWrote: an engine steps a request
// as it last wrote it, but when another replica wrote since, the event is
// decided on the stored record: here a confirmation that only fits the
// other replica's newer state.
func TestEngineHandleRereadsAfterAnotherReplicaWrote(t *testing.T) {
	ports := flowtest.NewPorts()
	a := newHarness(t, ports, "replica-a")
	r := a.open("dev")
	a.settle()
	b := newHarness(t, ports, "replica-b")
	b.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "on-b", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}})
	b.settle()
	got := a.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Key: "confirm-on-a", Actor: actor("U1")})
	if got.State != flow.OpeningPR {
		t.Errorf("confirm on A after B set the inputs: %s, want opening_pr", got.State)
	}
	a.settle()
}

// TestEngineLeaseHolderRunsOtherReplicasEffects: replica A holds the lease
// while it follows a plan run; a Cancel handled by replica B owes a card, a
// reply and closing the PR, which only the lease holder may run. A looks at
// the stored record on every poll, so it runs them and stops following the
// cancelled plan, long before its lease or its scan would let anyone notice
// (the lease here lasts an hour).
func TestEngineLeaseHolderRunsOtherReplicasEffects(t *testing.T) {
	ports := flowtest.NewPorts()
	ports.Runs.SetOutcome(flow.WorkflowPlan, flow.RunInProgress, "")
	hour := func(c *flow.Config) { c.LeaseTTL = time.Hour }
	a := newHarness(t, ports, "replica-a", hour)
	r := a.open("dev")
	a.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1"}})
	a.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	// Wait until all A still owes is following the run: its other
	// effects ran and their acknowledgements were written, so nothing but
	// the lease renewal (half an hour away) would make A's runner look at
	// the record again.
	waitUntil(t, "A only follows the plan run, under its lease", func() bool {
		got := a.get(r.ID)
		return got.PlanRun != nil && got.Lease.Owner == "replica-a" && len(got.Owed) == 1 && got.Owed[0].Kind == flow.EffWatchRun
	})

	b := newHarness(t, ports, "replica-b", hour)
	b.handle(r.ID, flow.Event{Kind: flow.EvCancel, Key: "cancel-on-b", Actor: actor("U1")})
	waitUntil(t, "the cancel's effects ran", func() bool {
		got := a.get(r.ID)
		card := ports.Chat.LastCard(r.ID)
		return got.State == flow.Cancelled && len(got.Owed) == 0 && card != nil && card.State == flow.Cancelled
	})
	if got := a.get(r.ID); got.Change == nil || !got.Change.Closed {
		t.Errorf("change after cancel = %+v, want closed", got.Change)
	}
}

// waitUntil polls cond; the deadline only guards against a hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 20 s", what)
		}
	}
}

// TestEngineStartsThroughAStoreHiccup: a store that fails when the engine
// starts (an S3 500 during a restart) does not stop it: the first scan is
// tried again, and the owed work of the previous process is done.
func TestEngineStartsThroughAStoreHiccup(t *testing.T) {
	ports := flowtest.NewPorts()
	h1 := newHarness(t, ports, "one")
	gate := ports.Runs.Block("Dispatch")
	id := h1.submit("dev")
	<-gate.Entered()
	h1.stop()
	gate.Release()
	ports.Runs.Clear("Dispatch")
	ports.Clock.Advance(2 * time.Minute) // replica one's lease expires
	ports.Store.Fail("List", 2, errors.New("s3: InternalError (HTTP 500)"))
	h2 := newHarness(t, ports, "two")
	h2.waitFor(id, "planned by the second replica", func(r *flow.Request) bool { return r.State == flow.AwaitingApproval })
}

// TestEngineEffectRetriesAStoreHiccup: an effect whose first read of its
// request fails (an S3 500) is tried again, not failed for a person to
// press Retry.
func TestEngineEffectRetriesAStoreHiccup(t *testing.T) {
	ports := flowtest.NewPorts()
	h := newHarness(t, ports, "a")
	r := h.open("dev")
	h.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": flowtest.SecretARN}})
	ports.Store.Fail("Get", 1, errors.New("s3: InternalError (HTTP 500)"))
	h.handle(r.ID, flow.Event{Kind: flow.EvConfirm, Actor: actor("U1")})
	h.settle()
	if got := h.get(r.ID); got.State != flow.AwaitingApproval || got.Problem != "" {
		t.Errorf("state %s problem %q, want awaiting_approval without a problem", got.State, got.Problem)
	}
}
