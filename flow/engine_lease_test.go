package flow_test

import (
	"context"
	"log/slog"
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
	b.handle(r.ID, flow.Event{Kind: flow.EvSetInputs, Key: "on-b", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": "s"}})
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
		{Kind: flow.EvSetInputs, Key: "in", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-1", "secret": "s"}},
		{Kind: flow.EvEdit, Key: "edit", Actor: actor("U1")},
		{Kind: flow.EvSetInputs, Key: "in2", Actor: actor("U1"), Inputs: map[string]string{"name": "logs-2"}},
	}
	for i, ev := range events {
		prev, err := eng.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := eng.Handle(ctx, r.ID, ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.Kind, err)
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
